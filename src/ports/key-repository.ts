/** Where keys, their wrapped material, aliases, grants and usage records are kept. */
import type { KeyRecord, MaterialRecord } from '../domain/key.ts';
import type { GrantRecord } from '../domain/grant.ts';

export interface AliasRecord {
  readonly accountId: string;
  readonly region: string;
  /** `alias/...` */
  readonly name: string;
  readonly targetKeyArn: string;
  readonly creationDate: number;
  readonly lastUpdatedDate: number;
}

export interface DomainKeyRecord {
  readonly id: string;
  readonly wrapped: Buffer;
  readonly createdAt: number;
}

export interface KeyUsageRecord {
  readonly keyArn: string;
  readonly operation: string;
  readonly timestamp: number;
  readonly requestId: string;
}

/**
 * What the key store holds, read asynchronously (an embedded file today, a database server or a
 * token tomorrow). Writes are not methods: they are changes (ports/changes.ts) that
 * `Storage.commit` applies in one transaction with the call's audit record.
 */
export interface KeyRepository {
  getKey(arn: string): Promise<KeyRecord | undefined>;
  /** The ARN of the key with this id in a region (key ids are unique across accounts). */
  findKeyArn(keyId: string, region: string): Promise<string | undefined>;
  /** Keys of one account and region in ARN order, strictly after `afterArn`. */
  listKeys(accountId: string, region: string, afterArn: string | undefined, limit: number): Promise<KeyRecord[]>;
  keysDueForDeletion(now: number): Promise<string[]>;
  keysDueForRotation(now: number): Promise<string[]>;
  /** Keys with imported material whose ValidTo has come (nextMaterialExpiry of the record). */
  keysDueForMaterialExpiry(now: number): Promise<string[]>;
  /** Every key of an account with this key id, in every region, oldest first (a multi-Region key's set). */
  keysWithKeyId(accountId: string, keyId: string): Promise<KeyRecord[]>;

  getMaterials(keyArn: string): Promise<MaterialRecord[]>;

  getAlias(accountId: string, region: string, name: string): Promise<AliasRecord | undefined>;
  /** Aliases in name order strictly after `afterName`, optionally only those naming one key. */
  listAliases(accountId: string, region: string, targetKeyArn: string | undefined, afterName: string | undefined, limit: number): Promise<AliasRecord[]>;
  countAliases(targetKeyArn: string): Promise<number>;

  getGrant(grantId: string): Promise<GrantRecord | undefined>;
  /** Grants of one key in grant-id order, strictly after `afterId`. */
  listGrants(keyArn: string, afterId: string | undefined, limit: number): Promise<GrantRecord[]>;
  /** Grants whose retiring principal is `principal`, across keys, in grant-id order. */
  listRetirableGrants(principal: string, afterId: string | undefined, limit: number): Promise<GrantRecord[]>;
  countGrants(keyArn: string): Promise<number>;

  getMeta(name: string): Promise<string | undefined>;
  getUsage(keyArn: string): Promise<KeyUsageRecord | undefined>;
}

/** How many keys of one account and region are in one key state (metrics). */
export interface KeyCount {
  readonly accountId: string;
  readonly region: string;
  readonly state: string;
  readonly n: number;
}
