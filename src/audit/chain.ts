/**
 * The hash chain and the signed digests of the audit trail (the scheme of CloudTrail's log-file
 * integrity validation, per record instead of per file):
 *
 *   hash(record n) = SHA-256(hash(record n-1) ‖ UTF-8 record JSON), hex; record 0's predecessor is GENESIS
 *   digest         = Ed25519 signature over DIGEST_VERSION, seqFrom, seqTo, lastHash, firstTime,
 *                    lastTime, createdAt, prevDigestHash, keyId (a JSON array, see digestPayload)
 *
 * Each record keeps its predecessor's hash, so a changed record (its hash no longer matches), a
 * removed one (a gap, and a predecessor no record has), an inserted one (the next record skips
 * it) and a reordered pair (a predecessor that comes later) each show, and a digest's signature
 * fixes the chain up to its last record: rewriting the chain after the fact needs the signing key.
 */
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import type { AuditDigest } from '../ports/audit.ts';
import { sha256Hex } from '../core/hash.ts';

export const GENESIS = '0'.repeat(64);
export const DIGEST_VERSION = 'coffer-audit-digest-1';

export function chainHash(prevHash: string, record: string): string {
  return chainHashBytes(Buffer.from(prevHash, 'hex'), record).toString('hex');
}

/** chainHash with the predecessor's hash as bytes, returning bytes (the writer keeps its head both ways). */
export function chainHashBytes(prevHash: Buffer, record: string): Buffer {
  // One-shot over one pooled buffer: no Hash object and no ArrayBuffer of its own per record.
  return Buffer.from(sha256Hex(Buffer.concat([prevHash, Buffer.from(record, 'utf8')])), 'hex');
}

export type DigestFields = Omit<AuditDigest, 'signature'>;

/** The exact bytes a digest's signature covers. */
export function digestPayload(d: DigestFields): Buffer {
  return Buffer.from(JSON.stringify([
    DIGEST_VERSION, d.seqFrom, d.seqTo, d.lastHash, d.firstTime, d.lastTime, d.createdAt, d.prevDigestHash, d.keyId,
  ]), 'utf8');
}

export const digestHash = (d: DigestFields): string => createHash('sha256').update(digestPayload(d)).digest('hex');

export function signDigest(d: DigestFields, privateKey: KeyObject): AuditDigest {
  return { ...d, signature: sign(null, digestPayload(d), privateKey).toString('base64') };
}

export function verifyDigestSignature(d: AuditDigest, publicKey: KeyObject): boolean {
  try {
    return verify(null, digestPayload(d), publicKey, Buffer.from(d.signature, 'base64'));
  } catch {
    return false;
  }
}
