/** Small rules several KMS operations share. */
import { DryRunOperationException, InvalidKeyUsageException, InvalidMarkerException, NotFoundException, TagException } from '../../errors/kms-errors.ts';
import { parseKmsArn, type Scope } from '../../core/arn.ts';
import { awsManagedService } from '../../domain/aws-managed-keys.ts';
import { ValidationException } from '../../errors/common-errors.ts';
import { assertStateAllows } from '../../domain/key-states.ts';
import { requireAlgorithm, requireKeyUsage } from '../../domain/capability-rules.ts';
import { capabilitiesOf, type EncryptionAlgorithm } from '../../domain/key-specs.ts';
import type { KeyRecord } from '../../domain/key.ts';
import type { KeyAuthorization, OperationContext } from '../context.ts';
import type { AuthorizationResult } from '../../domain/principal.ts';
import type { Tag } from '@aws-sdk/client-kms';
import { operationFacts, type OperationFacts } from '../../wire/operation-table.ts';

export type AuthorizationExtras = Omit<KeyAuthorization, 'action' | 'key' | 'requestAlias'> & { readonly action?: string };

/**
 * Resolves a KeyId parameter, authorizes the operation's IAM action and grant operation (the
 * operation table's, unless `extras` names others) on the key, then applies the key-state table:
 * an unauthorized caller learns nothing about the key's state.
 */
export async function keyFor(ctx: OperationContext, operation: string, ref: string, aliases: boolean, extras: AuthorizationExtras = {}): Promise<KeyRecord> {
  return (await authorizedKey(ctx, operation, ref, aliases, extras)).key;
}

/** keyFor, also saying how the request was allowed. */
export async function authorizedKey(
  ctx: OperationContext, operation: string, ref: string, aliases: boolean, extras: AuthorizationExtras = {},
): Promise<{ key: KeyRecord; allowedBy: AuthorizationResult }> {
  const key = await resolveKey(ctx, ref, aliases);
  const facts = kmsFacts(operation);
  const grantOperation = extras.grantOperation ?? facts.grantOperation;
  const allowedBy = await ctx.authorizeKey({
    ...extras,
    action: extras.action ?? (facts.actions[0] as string),
    ...(grantOperation !== undefined ? { grantOperation } : {}),
    key,
    ...(aliases && ref.includes('alias/') ? { requestAlias: ref.slice(ref.indexOf('alias/')) } : {}),
  });
  assertStateAllows(operation, await ctx.keyring.stateOf(key), key.arn);
  return { key, allowedBy };
}

/**
 * The key a KeyId parameter names. Where aliases are accepted, `alias/aws/<service>` (or its alias
 * ARN in the caller's account and region) names the AWS managed key, created at its first use.
 */
export function resolveKey(ctx: OperationContext, ref: string, aliases: boolean): Promise<KeyRecord> {
  const found = ctx.keyring.resolve(ctx.scope, ref, { aliases });
  if (!aliases) return found;
  return found.catch((e: unknown) => {
    const name = e instanceof NotFoundException ? awsManagedAliasIn(ctx.scope, ref) : undefined;
    if (name === undefined) throw e;
    return ctx.awsManagedKey(name);
  });
}

/** The AWS managed key alias a reference names in the scope's own account and region, if any. */
function awsManagedAliasIn(scope: Scope, ref: string): string | undefined {
  let name = ref;
  if (ref.startsWith('arn:')) {
    const p = parseKmsArn(ref);
    if (!p || p.resourceType !== 'alias' || p.partition !== scope.partition || p.region !== scope.region || p.accountId !== scope.accountId) return undefined;
    name = p.resource;
  }
  return awsManagedService(name) === undefined ? undefined : name;
}

/** The operation table's facts of a KMS operation (every operation that calls this has a row). */
export function kmsFacts(operation: string): OperationFacts {
  const facts = operationFacts('kms', operation);
  if (facts === undefined) throw new Error(`no operation-table row for ${operation}`);
  return facts;
}

/** The key must have the key usage the operation table gives the operation. */
export function requireOperationUsage(key: KeyRecord, operation: string): void {
  const usage = kmsFacts(operation).usage;
  if (usage === undefined) throw new Error(`the operation table gives ${operation} no key usage`);
  requireKeyUsage(key, usage, operation);
}

/** Symmetric-only operations (GenerateDataKey*, the key that wraps a data key pair). */
export function requireSymmetricEncryption(key: KeyRecord, operation: string): void {
  requireOperationUsage(key, operation);
  if (capabilitiesOf(key.keySpec).keyType !== 'SYMMETRIC') {
    throw new InvalidKeyUsageException(`${key.arn} key spec is ${key.keySpec} which is not valid for ${operation}.`);
  }
}

/**
 * The encryption algorithm of a request (SYMMETRIC_DEFAULT when absent, so an asymmetric key
 * without one is refused as AWS refuses it) must be one of the key spec's.
 */
export function checkEncryptionAlgorithm(key: KeyRecord, algorithm: string | undefined): EncryptionAlgorithm {
  return requireAlgorithm(key, algorithm ?? 'SYMMETRIC_DEFAULT', capabilitiesOf(key.keySpec).encryptionAlgorithms);
}

/** With DryRun, everything has been checked: answer as AWS does instead of acting. */
export function dryRunStop(dryRun: boolean | undefined): void {
  if (dryRun === true) dryRunSucceeded();
}

export function dryRunSucceeded(): never {
  throw new DryRunOperationException();
}

export const MAX_TAGS = 50;

/** aws:RequestTag/<key> and aws:TagKeys for the tags of a request. */
export function requestTagConditions(tags: readonly Tag[]): Record<string, string | string[]> {
  return {
    'aws:TagKeys': tags.map((t) => t.TagKey ?? ''),
    ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.TagKey ?? ''}`, t.TagValue ?? ''])),
  };
}

export function checkTags(tags: readonly Tag[]): void {
  const seen = new Set<string>();
  for (const t of tags) {
    const k = t.TagKey ?? '';
    if (k.toLowerCase().startsWith('aws:')) throw new TagException('Tags beginning with aws: are reserved');
    if (seen.has(k)) throw new TagException('Duplicate tag keys');
    seen.add(k);
  }
  if (tags.length > MAX_TAGS) throw new TagException('Too many tags');
}

/** Opaque pagination markers: the position after which the next page starts. */
export function encodeMarker(position: string): string {
  return Buffer.from(JSON.stringify({ after: position }), 'utf8').toString('base64url');
}

export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 'after' in parsed && typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through: any marker we did not make is invalid
  }
  throw new InvalidMarkerException('Invalid marker.');
}

export function checkLimit(limit: number | undefined, max: number, fallback: number, member = 'limit'): number {
  if (limit === undefined) return fallback;
  if (limit > max) {
    throw new ValidationException(`1 validation error detected: Value '${limit}' at '${member}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  }
  return limit;
}

/** A page of `items` fetched with limit+1 rows: truncated when the extra row came back. */
export function page<T>(rows: T[], limit: number, position: (t: T) => string): { items: T[]; Truncated: boolean; NextMarker?: string } {
  if (rows.length <= limit) return { items: rows, Truncated: false };
  const items = rows.slice(0, limit);
  return { items, Truncated: true, NextMarker: encodeMarker(position(items[items.length - 1] as T)) };
}
