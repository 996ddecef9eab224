/**
 * Where keys, their wrapped material, aliases and usage records are kept. Synchronous: the
 * embedded SQLite adapter is, and every mutation runs inside `transaction` so that it is atomic
 * and durable before the answer is sent. (A networked adapter will need an async variant.)
 */
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

export interface KeyRepository {
  transaction<T>(fn: () => T): T;

  getKey(arn: string): KeyRecord | undefined;
  putKey(key: KeyRecord): void;
  /** The ARN of the key with this id in a region (key ids are unique across accounts). */
  findKeyArn(keyId: string, region: string): string | undefined;
  /** Removes the key with every material, alias and usage record that refers to it. */
  deleteKey(arn: string): void;
  /** Keys of one account and region in ARN order, strictly after `afterArn`. */
  listKeys(accountId: string, region: string, afterArn: string | undefined, limit: number): KeyRecord[];
  keysDueForDeletion(now: number): string[];
  keysDueForRotation(now: number): string[];
  /** Keys with imported material whose ValidTo has come (nextMaterialExpiry of the record). */
  keysDueForMaterialExpiry(now: number): string[];
  /** Every key of an account with this key id, in every region, oldest first (a multi-Region key's set). */
  keysWithKeyId(accountId: string, keyId: string): KeyRecord[];

  getMaterials(keyArn: string): MaterialRecord[];
  putMaterial(material: MaterialRecord): void;
  /** Removes one wrapped material (imported material deleted or expired). */
  deleteMaterial(keyArn: string, materialId: string): void;

  getAlias(accountId: string, region: string, name: string): AliasRecord | undefined;
  putAlias(alias: AliasRecord): void;
  deleteAlias(accountId: string, region: string, name: string): void;
  /** Aliases in name order strictly after `afterName`, optionally only those naming one key. */
  listAliases(accountId: string, region: string, targetKeyArn: string | undefined, afterName: string | undefined, limit: number): AliasRecord[];
  countAliases(targetKeyArn: string): number;

  getGrant(grantId: string): GrantRecord | undefined;
  putGrant(grant: GrantRecord): void;
  deleteGrant(grantId: string): void;
  /** Grants of one key in grant-id order, strictly after `afterId`. */
  listGrants(keyArn: string, afterId: string | undefined, limit: number): GrantRecord[];
  /** Grants whose retiring principal is `principal`, across keys, in grant-id order. */
  listRetirableGrants(principal: string, afterId: string | undefined, limit: number): GrantRecord[];
  countGrants(keyArn: string): number;

  getDomainKeys(): DomainKeyRecord[];
  putDomainKey(key: DomainKeyRecord): void;
  getMeta(name: string): string | undefined;
  setMeta(name: string, value: string): void;

  getUsage(keyArn: string): KeyUsageRecord | undefined;
  putUsage(records: readonly KeyUsageRecord[]): void;

  close(): void;
}
