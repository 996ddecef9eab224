/** Finding and opening the key a symmetric ciphertext names (Decrypt and ReEncrypt). */
import { IncorrectKeyException, InvalidCiphertextException } from '../../errors/kms-errors.ts';
import { ValidationException } from '../../errors/common-errors.ts';
import { assertStateAllows } from '../../domain/key-states.ts';
import { parseCiphertext } from '../../domain/symmetric.ts';
import type { CiphertextParts } from '../../crypto/blob.ts';
import type { KeyRecord } from '../../domain/key.ts';
import type { OperationContext } from '../context.ts';
import { checkEncryptionAlgorithm, requireSymmetricEncryption } from './common.ts';

export interface Source {
  readonly key: KeyRecord;
  /** Undefined when DryRunModifiers asked to ignore the ciphertext. */
  readonly parts: CiphertextParts | undefined;
}

/**
 * The source key of a ciphertext: the key the blob names, which must equal `keyRef` when given
 * (IncorrectKeyException otherwise), checked against the key-state table for `operation`.
 */
export function ciphertextSource(
  ctx: OperationContext, operation: string, blob: Uint8Array | undefined, keyRef: string | undefined,
  algorithm: string | undefined, ignoreCiphertext: boolean, blobMember: string,
  auth: { action: string; grantOperation: string; encryptionContext: Readonly<Record<string, string>> | undefined; grantTokens: readonly string[] | undefined },
): Source {
  const requested = keyRef === undefined ? undefined : ctx.keyring.resolve(ctx.scope, keyRef, { aliases: true });
  let key: KeyRecord;
  let parts: CiphertextParts | undefined;
  if (ignoreCiphertext) {
    if (!requested) throw new ValidationException(`KeyId is required when DryRunModifiers includes IGNORE_CIPHERTEXT.`);
    key = requested;
  } else {
    if (blob === undefined) {
      throw new ValidationException(`1 validation error detected: Value null at '${blobMember}' failed to satisfy constraint: Member must not be null`);
    }
    parts = parseCiphertext(Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength));
    const named = ctx.keyring.byKeyId(parts.keyId, ctx.scope.region);
    if (requested && requested.keyId !== parts.keyId) throw new IncorrectKeyException();
    if (!named) throw new InvalidCiphertextException();
    key = named;
  }
  ctx.authorizeKey({
    ...auth,
    key,
    conditions: { 'kms:EncryptionAlgorithm': algorithm ?? 'SYMMETRIC_DEFAULT' },
    ...(keyRef?.includes('alias/') ? { requestAlias: keyRef.slice(keyRef.indexOf('alias/')) } : {}),
  });
  assertStateAllows(operation, key.state, key.arn);
  requireSymmetricEncryption(key, operation);
  checkEncryptionAlgorithm(key, algorithm);
  return { key, parts };
}
