/**
 * The software key store's execution of a key operation (domain/key-operation.ts) with material in
 * this process's memory, by node:crypto (OpenSSL) and, where it cannot, @noble (ML-DSA, Ed25519ph,
 * ECDSA over a digest). A PKCS#11 store executes the same specifications inside its token.
 */
import { decodeBlob } from '../../crypto/blob.ts';
import { ecdh, ecdsaSign, ed25519phSign, ed25519Sign } from '../../crypto/ecc.ts';
import { hmac, hmacVerify } from '../../crypto/hmac.ts';
import { mlDsaSign } from '../../crypto/ml-dsa.ts';
import { rsaOaepDecrypt, rsaSignDigest } from '../../crypto/rsa.ts';
import { openSymmetric, sealSymmetric } from '../../crypto/symmetric.ts';
import type { KeyOperation, KeyOperationResult, SignSpec } from '../../domain/key-operation.ts';

function sign(material: Buffer, s: SignSpec): Buffer {
  switch (s.scheme) {
    case 'RSASSA_PSS':
    case 'RSASSA_PKCS1_V1_5': return rsaSignDigest(material, s.scheme, s.hash, s.digest);
    case 'ECDSA': return ecdsaSign(s.curve, material, s.hash, s.message, s.isDigest);
    case 'ED25519': return ed25519Sign(material, s.message);
    case 'ED25519_PH': return ed25519phSign(material, s.digest);
    case 'ML_DSA': return mlDsaSign(s.level, material, s.message, s.externalMu);
  }
}

/** `materialId` is the version's id, as bytes (the symmetric blob names it). */
export function executeLocal<O extends KeyOperation>(material: Buffer, materialId: Buffer, op: O): KeyOperationResult<O>;
export function executeLocal(material: Buffer, materialId: Buffer, op: KeyOperation): Buffer | boolean {
  switch (op.kind) {
    case 'encrypt':
      return sealSymmetric({ keyId: op.keyId, materialId, backingKey: material, plaintext: op.plaintext, encryptionContext: op.context });
    case 'decrypt':
      return openSymmetric(decodeBlob(op.blob), material, op.context);
    case 'rsa-decrypt':
      return rsaOaepDecrypt(material, op.hash, op.ciphertext);
    case 'sign':
      return sign(material, op.spec);
    case 'mac':
      return hmac(op.hash, material, op.message);
    case 'verify-mac':
      return hmacVerify(op.hash, material, op.message, op.mac);
    case 'derive':
      return ecdh(op.curve, material, op.peerPublicKey);
  }
}
