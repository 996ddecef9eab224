/**
 * Limits on request maps that the AWS model does not state, checked by validate.ts together with
 * the model's own constraints, so that every operation and every shape carrying such a map is
 * covered in one place and refused with the same ValidationException wording.
 *
 * Encryption contexts (EncryptionContextType: Encrypt, Decrypt, ReEncrypt source and destination,
 * GenerateDataKey*, GenerateDataKeyPair*, CreateGrant constraints): AWS documents no size for
 * them, so the bound is Coffer's, far above real use (AWS services and the Encryption SDKs send a
 * few pairs of at most a few hundred bytes): at most 64 pairs and 8,192 bytes of UTF-8 keys and
 * values. Each pair becomes two condition keys that every policy may match with wildcards (a
 * ForAnyValue over `kms:EncryptionContextKeys` tries every key against every pattern), so without
 * a bound a 1 MiB body of 40,000 pairs cost that much matching on every policy it met.
 *
 * Grant constraints (CreateGrant API reference, GrantConstraints): AWS's own limits, at most 8
 * pairs in EncryptionContextEquals and in EncryptionContextSubset, each value at most 384
 * characters; on top of the encryption-context bound.
 */

/** One limit on a map: its Coral-style constraint text and the test. */
export interface MapLimit {
  readonly text: string;
  readonly test: (entries: readonly (readonly [string, unknown])[]) => boolean;
}

export const MAX_ENCRYPTION_CONTEXT_PAIRS = 64;
export const MAX_ENCRYPTION_CONTEXT_BYTES = 8192;
export const MAX_GRANT_CONSTRAINT_PAIRS = 8;
export const MAX_GRANT_CONSTRAINT_VALUE_LENGTH = 384;

/** UTF-8 bytes of every key and every string value, stopping once past `max`. */
function withinBytes(entries: readonly (readonly [string, unknown])[], max: number): boolean {
  let total = 0;
  for (const [k, v] of entries) {
    total += Buffer.byteLength(k, 'utf8') + (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : 0);
    if (total > max) return false;
  }
  return true;
}

const ENCRYPTION_CONTEXT: readonly MapLimit[] = [
  { text: `Member must have length less than or equal to ${MAX_ENCRYPTION_CONTEXT_PAIRS}`, test: (e) => e.length <= MAX_ENCRYPTION_CONTEXT_PAIRS },
  {
    text: `Member must have a size (UTF-8 bytes of its keys and values) less than or equal to ${MAX_ENCRYPTION_CONTEXT_BYTES}`,
    test: (e) => withinBytes(e, MAX_ENCRYPTION_CONTEXT_BYTES),
  },
];

const GRANT_CONSTRAINT: readonly MapLimit[] = [
  { text: `Member must have length less than or equal to ${MAX_GRANT_CONSTRAINT_PAIRS}`, test: (e) => e.length <= MAX_GRANT_CONSTRAINT_PAIRS },
  {
    text: `Map value must satisfy constraint: [Member must have length less than or equal to ${MAX_GRANT_CONSTRAINT_VALUE_LENGTH}]`,
    test: (e) => e.every(([, v]) => typeof v !== 'string' || v.length <= MAX_GRANT_CONSTRAINT_VALUE_LENGTH),
  },
];

/** Limits of a map shape wherever it appears. */
export const SHAPE_LIMITS: ReadonlyMap<string, readonly MapLimit[]> = new Map([['EncryptionContextType', ENCRYPTION_CONTEXT]]);

/** Limits of a map in one member of one structure (`Structure.Member`), after the shape's. */
export const MEMBER_LIMITS: ReadonlyMap<string, readonly MapLimit[]> = new Map([
  ['GrantConstraints.EncryptionContextEquals', GRANT_CONSTRAINT],
  ['GrantConstraints.EncryptionContextSubset', GRANT_CONSTRAINT],
]);
