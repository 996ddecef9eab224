/**
 * DeriveSharedSecret with KEY_AGREEMENT keys (reference §3.6): ECDH between the key's private key
 * and a peer's DER SubjectPublicKeyInfo on the same curve, answering the raw shared secret. A peer
 * key that does not parse or is on another curve is a ValidationException with no message, as
 * AWS answered in the recorded test.
 */
import { CryptoError } from '../crypto/errors.ts';
import { UnsupportedOperationException } from '../errors/kms-errors.ts';
import { ValidationException } from '../errors/common-errors.ts';
import { requireAlgorithm } from '../domain/capability-rules.ts';
import type { KeyRecord } from '../domain/key.ts';
import { capabilitiesOf, type KeyAgreementAlgorithm } from '../domain/key-specs.ts';
import type { KeySession } from './key-session.ts';

export function checkKeyAgreementAlgorithm(key: KeyRecord, algorithm: string): KeyAgreementAlgorithm {
  return requireAlgorithm(key, algorithm, capabilitiesOf(key.keySpec).keyAgreementAlgorithms);
}

export async function deriveSharedSecret(keys: KeySession, key: KeyRecord, peerPublicKey: Buffer): Promise<Buffer> {
  const { material } = capabilitiesOf(key.keySpec);
  if (material.kind !== 'pair' || material.pair.type !== 'ec') {
    throw new UnsupportedOperationException(`Coffer cannot derive a shared secret with key spec ${key.keySpec}.`);
  }
  try {
    return await keys.performCurrent(key, { kind: 'derive', curve: material.pair.curve, peerPublicKey });
  } catch (e) {
    if (e instanceof CryptoError) throw new ValidationException('');
    throw e;
  }
}
