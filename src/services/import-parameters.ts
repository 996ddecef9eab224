/**
 * Import parameters (reference §3.10): a fresh RSA wrapping key pair per GetParametersForImport,
 * and an import token that names the KMS key and carries the wrapping private key, sealed by the
 * key store, for 24 hours of the domain clock. Nothing is stored: the token is the only copy of
 * the private key, and it opens only for the key it was made for.
 */
import { randomBytes, zero } from '../crypto/bytes.ts';
import { CryptoError } from '../crypto/errors.ts';
import { decodeImportParameters, decodeImportToken, encodeImportParameters, encodeImportToken, TOKEN_ID_LENGTH } from '../crypto/import-token.ts';
import { isImportWrappingAlgorithm, type ImportWrappingAlgorithm } from '../crypto/import-wrap.ts';
import { generateKeyPair } from '../crypto/keypair.ts';
import { ExpiredImportTokenException, InvalidImportTokenException } from '../errors/kms-errors.ts';
import type { KeySession } from './key-session.ts';

export const IMPORT_PARAMETERS_VALID_MS = 24 * 3_600_000;
export const WRAPPING_KEY_BITS = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 } as const;
export type WrappingKeySpec = keyof typeof WRAPPING_KEY_BITS;

export interface IssuedParameters {
  /** SubjectPublicKeyInfo DER of the wrapping key. */
  readonly publicKey: Buffer;
  readonly importToken: Buffer;
  readonly validTo: number;
}

/** A new wrapping key pair (generated off the event loop) and its token, for the key `keyArn`. */
export async function issueImportParameters(
  keys: KeySession, keyArn: string, wrappingAlgorithm: ImportWrappingAlgorithm, wrappingKeySpec: WrappingKeySpec,
): Promise<IssuedParameters> {
  const { privateKey, publicKey } = await generateKeyPair({ type: 'rsa', bits: WRAPPING_KEY_BITS[wrappingKeySpec] });
  const validTo = keys.clock.now() + IMPORT_PARAMETERS_VALID_MS;
  const tokenId = randomBytes(TOKEN_ID_LENGTH);
  const payload = encodeImportParameters({ validTo, wrappingAlgorithm, wrappingKeySpec, privateKey });
  try {
    const sealed = await keys.store.seal(keyArn, tokenId.toString('hex'), payload, 'import-token');
    return { publicKey, importToken: encodeImportToken({ tokenId, domainKeyId: sealed.domainKeyId, sealed: sealed.wrapped }), validTo };
  } finally {
    zero(privateKey, payload);
  }
}

export interface OpenedParameters {
  readonly wrappingAlgorithm: ImportWrappingAlgorithm;
  /** PKCS#8 DER of the wrapping private key: the caller zeroes it. */
  readonly privateKey: Buffer;
}

const INVALID = 'The import token is not valid for this KMS key.';

/**
 * Opens a token for the key `keyArn`: InvalidImportTokenException for anything not made by
 * GetParametersForImport for that key, ExpiredImportTokenException once its 24 hours are over.
 */
export async function openImportToken(keys: KeySession, keyArn: string, token: Buffer): Promise<OpenedParameters> {
  let payload: Buffer;
  try {
    const t = decodeImportToken(token);
    payload = await keys.store.unseal(keyArn, t.tokenId.toString('hex'), { domainKeyId: t.domainKeyId, wrapped: t.sealed }, 'import-token');
  } catch (e) {
    if (e instanceof CryptoError) throw new InvalidImportTokenException(INVALID);
    throw e;
  }
  try {
    const p = decodeImportParameters(payload);
    if (!isImportWrappingAlgorithm(p.wrappingAlgorithm)) throw new InvalidImportTokenException(INVALID);
    if (keys.clock.now() >= p.validTo) {
      throw new ExpiredImportTokenException('The import token has expired. Call GetParametersForImport for a new public key and import token.');
    }
    return { wrappingAlgorithm: p.wrappingAlgorithm, privateKey: Buffer.from(p.privateKey) };
  } catch (e) {
    if (e instanceof CryptoError) throw new InvalidImportTokenException(INVALID);
    throw e;
  } finally {
    zero(payload);
  }
}
