/**
 * Finding and opening the key a ciphertext belongs to (Decrypt and ReEncrypt). A symmetric blob
 * names its key and version; an asymmetric ciphertext is raw RSAES-OAEP output and names nothing,
 * so it is taken as such only when the request names an asymmetric ENCRYPT_DECRYPT key (with the
 * EncryptionAlgorithm, which such a key requires).
 */
import { IncorrectKeyException } from '../../errors/kms-errors.ts';
import { AccessDeniedException, ValidationException } from '../../errors/common-errors.ts';
import { decryptAsymmetric, isSymmetricEncryptionKey, refuseContext } from '../../services/asymmetric.ts';
import { assertStateAllows } from '../../domain/key-states.ts';
import { decryptWith, parseCiphertext } from '../../services/symmetric.ts';
import type { CiphertextParts } from '../../crypto/blob.ts';
import type { KeyRecord } from '../../domain/key.ts';
import type { EncryptionAlgorithm } from '../../domain/key-specs.ts';
import type { OperationContext } from '../context.ts';
import { checkEncryptionAlgorithm, kmsFacts, requireSymmetricEncryption, resolveKey } from './common.ts';

/** The ciphertext parts are undefined when DryRunModifiers asked to ignore the ciphertext. */
export type Source =
  | { readonly kind: 'symmetric'; readonly key: KeyRecord; readonly parts: CiphertextParts | undefined; readonly blob: Buffer | undefined }
  | { readonly kind: 'asymmetric'; readonly key: KeyRecord; readonly algorithm: EncryptionAlgorithm; readonly ciphertext: Buffer | undefined };

type Auth = {
  encryptionContext: Readonly<Record<string, string>> | undefined; grantTokens: readonly string[] | undefined;
};

const missingBlob = (member: string): ValidationException =>
  new ValidationException(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);

/**
 * AWS's answer (AccessDeniedException) to a well-formed ciphertext whose key the request's region
 * does not have: the caller cannot tell a key of another region or account from no key at all.
 */
export const UNKNOWN_KEY_MESSAGE = 'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.';

/**
 * The source key of a ciphertext: for a symmetric blob the key it names, which must equal `keyRef`
 * when given (IncorrectKeyException otherwise; AccessDeniedException when the region has no such
 * key); checked against the key-state table for `operation`.
 */
export async function ciphertextSource(
  ctx: OperationContext, operation: string, blob: Uint8Array | undefined, keyRef: string | undefined,
  algorithm: string | undefined, ignoreCiphertext: boolean, blobMember: string, auth: Auth,
): Promise<Source> {
  const requested = keyRef === undefined ? undefined : await resolveKey(ctx, keyRef, true);
  const authorize = async (key: KeyRecord): Promise<void> => {
    const facts = kmsFacts(operation);
    await ctx.authorizeKey({
      ...auth,
      // The source key's action and grant operation (ReEncrypt: ReEncryptFrom), from the operation table.
      action: facts.actions[0] as string,
      ...(facts.grantOperation !== undefined ? { grantOperation: facts.grantOperation } : {}),
      key,
      conditions: { 'kms:EncryptionAlgorithm': algorithm ?? 'SYMMETRIC_DEFAULT' },
      ...(keyRef?.includes('alias/') ? { requestAlias: keyRef.slice(keyRef.indexOf('alias/')) } : {}),
    });
    assertStateAllows(operation, await ctx.keyring.stateOf(key), key.arn);
  };

  if (requested && requested.keyUsage === 'ENCRYPT_DECRYPT' && !isSymmetricEncryptionKey(requested)) {
    await authorize(requested);
    const alg = checkEncryptionAlgorithm(requested, algorithm);
    refuseContext(requested, auth.encryptionContext);
    if (ignoreCiphertext) return { kind: 'asymmetric', key: requested, algorithm: alg, ciphertext: undefined };
    if (blob === undefined) throw missingBlob(blobMember);
    return { kind: 'asymmetric', key: requested, algorithm: alg, ciphertext: Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength) };
  }

  let key: KeyRecord;
  let parts: CiphertextParts | undefined;
  let bytes: Buffer | undefined;
  if (ignoreCiphertext) {
    if (!requested) throw new ValidationException(`KeyId is required when DryRunModifiers includes IGNORE_CIPHERTEXT.`);
    key = requested;
  } else {
    if (blob === undefined) throw missingBlob(blobMember);
    bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    parts = parseCiphertext(bytes);
    const named = await ctx.keyring.byKeyId(parts.keyId, ctx.scope);
    if (requested && requested.keyId !== parts.keyId) throw new IncorrectKeyException();
    if (!named) throw new AccessDeniedException(UNKNOWN_KEY_MESSAGE);
    key = named;
  }
  await authorize(key);
  requireSymmetricEncryption(key, operation);
  checkEncryptionAlgorithm(key, algorithm);
  return { kind: 'symmetric', key, parts, blob: bytes };
}

export interface Opened {
  readonly plaintext: Buffer;
  readonly algorithm: EncryptionAlgorithm;
  /** Symmetric ciphertexts only: the key material version that opened it. */
  readonly materialId?: string;
}

/** Opens a source whose ciphertext was not ignored; every failure is InvalidCiphertextException. */
export async function openSource(ctx: OperationContext, source: Source, ec: Readonly<Record<string, string>> | undefined): Promise<Opened> {
  if (source.kind === 'asymmetric') {
    if (source.ciphertext === undefined) throw new Error('the ciphertext was ignored');
    return { plaintext: await decryptAsymmetric(ctx.keyring, source.key, source.algorithm, source.ciphertext), algorithm: source.algorithm };
  }
  if (source.parts === undefined || source.blob === undefined) throw new Error('the ciphertext was ignored');
  const { plaintext, materialId } = await decryptWith(ctx.keyring, source.key, source.parts, source.blob, ec);
  return { plaintext, algorithm: 'SYMMETRIC_DEFAULT', materialId };
}

/** Whether DryRunModifiers asked to skip the ciphertext. */
export const ignored = (source: Source): boolean => (source.kind === 'asymmetric' ? source.ciphertext === undefined : source.parts === undefined);
