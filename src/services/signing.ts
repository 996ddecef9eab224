/**
 * Sign and Verify with asymmetric SIGN_VERIFY keys (reference §3.5). The signing algorithm table
 * says how each algorithm hashes and which MessageType it takes with which Message length; the
 * key's material says which primitive signs. A DIGEST is signed as given (RSA wraps it in its
 * DigestInfo for PKCS#1 v1.5), so a signature over a digest equals one over the message it digests,
 * and sign and verify may use different message types for the same message.
 */
import { ecdsaVerify, ed25519phVerify, ed25519Verify } from '../crypto/ecc.ts';
import { mlDsaVerify } from '../crypto/ml-dsa.ts';
import { digestOf, rsaVerifyDigest } from '../crypto/rsa.ts';
import type { SignSpec } from '../domain/key-operation.ts';
import type { KeyPairKind } from '../crypto/keypair.ts';
import { UnsupportedOperationException } from '../errors/kms-errors.ts';
import { ValidationException } from '../errors/common-errors.ts';
import { requireAlgorithm } from '../domain/capability-rules.ts';
import { publicKeyOf, type KeyRecord } from '../domain/key.ts';
import { capabilitiesOf, SIGNING_ALGORITHMS, type MessageType, type SigningAlgorithm, type SigningAlgorithmInfo } from '../domain/key-specs.ts';
import type { KeySession } from './key-session.ts';

export interface SignRequest {
  readonly algorithm: SigningAlgorithm;
  readonly info: SigningAlgorithmInfo;
  readonly messageType: MessageType;
  readonly message: Buffer;
  readonly pair: KeyPairKind;
}

/**
 * Checks a Sign/Verify request against the key's spec: the algorithm must be the spec's
 * (InvalidKeyUsageException), the message type one the algorithm takes and a digest or μ exactly
 * as long as the algorithm requires (ValidationException, AWS's wording for a digest).
 */
export function checkSignRequest(key: KeyRecord, algorithm: string, messageType: string | undefined, message: Buffer): SignRequest {
  const caps = capabilitiesOf(key.keySpec);
  const alg = requireAlgorithm(key, algorithm, caps.signingAlgorithms);
  const info = SIGNING_ALGORITHMS[alg];
  const type = (messageType ?? 'RAW') as MessageType;
  const length = info.messageTypes[type];
  if (length === undefined) {
    throw new ValidationException(`MessageType ${type} is not valid for signing algorithm ${alg}.`);
  }
  if (length !== 'any' && message.length !== length) {
    throw new ValidationException(type === 'DIGEST'
      ? `Digest is invalid length for algorithm ${alg}.`
      : `External mu is invalid length for algorithm ${alg}.`);
  }
  if (caps.material.kind !== 'pair') throw new UnsupportedOperationException(caps.unsupported ?? `Coffer cannot sign with key spec ${key.keySpec}.`);
  return { algorithm: alg, info, messageType: type, message, pair: caps.material.pair };
}

const rsaHash = (info: SigningAlgorithmInfo): 'sha256' | 'sha384' | 'sha512' => {
  if (info.hash !== 'sha256' && info.hash !== 'sha384' && info.hash !== 'sha512') throw new Error(`no RSA/ECDSA hash ${info.hash}`);
  return info.hash;
};

/** The key store's specification of the signature a request asks for. */
function signSpec(key: KeyRecord, r: SignRequest): SignSpec {
  const isDigest = r.messageType === 'DIGEST';
  const { scheme } = r.info;
  switch (scheme) {
    case 'RSASSA_PSS':
    case 'RSASSA_PKCS1_V1_5': {
      const hash = rsaHash(r.info);
      return { scheme, hash, digest: isDigest ? r.message : digestOf(hash, r.message) };
    }
    case 'ECDSA':
      if (r.pair.type !== 'ec') break;
      return { scheme, curve: r.pair.curve, hash: rsaHash(r.info), message: r.message, isDigest };
    case 'ED25519':
      return { scheme, message: r.message };
    case 'ED25519_PH':
      return { scheme, digest: r.message };
    case 'ML_DSA':
      if (r.pair.type !== 'ml-dsa') break;
      return { scheme, level: r.pair.level, message: r.message, externalMu: r.messageType === 'EXTERNAL_MU' };
    case 'SM2DSA':
      break;
  }
  throw new UnsupportedOperationException(`Coffer cannot sign with ${r.algorithm} and key spec ${key.keySpec}.`);
}

/** Signs with the key's private key, inside the key store. */
export function signMessage(keys: KeySession, key: KeyRecord, r: SignRequest): Promise<Buffer> {
  return keys.performCurrent(key, { kind: 'sign', spec: signSpec(key, r) });
}

/** Whether `signature` is valid for the request; only the public key is used. */
export function verifySignature(key: KeyRecord, r: SignRequest, signature: Buffer): boolean {
  const publicKey = publicKeyOf(key);
  const isDigest = r.messageType === 'DIGEST';
  const { scheme } = r.info;
  switch (scheme) {
    case 'RSASSA_PSS':
    case 'RSASSA_PKCS1_V1_5': {
      const hash = rsaHash(r.info);
      return rsaVerifyDigest(publicKey, scheme, hash, isDigest ? r.message : digestOf(hash, r.message), signature);
    }
    case 'ECDSA':
      if (r.pair.type !== 'ec') break;
      return ecdsaVerify(r.pair.curve, publicKey, rsaHash(r.info), r.message, isDigest, signature);
    case 'ED25519':
      return ed25519Verify(publicKey, r.message, signature);
    case 'ED25519_PH':
      return ed25519phVerify(publicKey, r.message, signature);
    case 'ML_DSA':
      if (r.pair.type !== 'ml-dsa') break;
      return mlDsaVerify(r.pair.level, publicKey, r.message, signature, r.messageType === 'EXTERNAL_MU');
    case 'SM2DSA':
      break;
  }
  throw new UnsupportedOperationException(`Coffer cannot verify with ${r.algorithm} and key spec ${key.keySpec}.`);
}
