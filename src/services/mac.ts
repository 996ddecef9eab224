/**
 * GenerateMac and VerifyMac with HMAC keys (reference §3.6): each HMAC spec has exactly one MAC
 * algorithm, and the key is the HMAC key material of the key's current version.
 */
import { requireAlgorithm } from '../domain/capability-rules.ts';
import type { KeyRecord } from '../domain/key.ts';
import { capabilitiesOf, MAC_ALGORITHMS, type MacAlgorithm } from '../domain/key-specs.ts';
import type { KeySession } from './key-session.ts';

/** The key's spec must have `algorithm` (InvalidKeyUsageException otherwise). */
export function checkMacAlgorithm(key: KeyRecord, algorithm: string): MacAlgorithm {
  return requireAlgorithm(key, algorithm, capabilitiesOf(key.keySpec).macAlgorithms);
}

export async function generateMac(keys: KeySession, key: KeyRecord, algorithm: MacAlgorithm, message: Buffer): Promise<Buffer> {
  return keys.performCurrent(key, { kind: 'mac', hash: MAC_ALGORITHMS[algorithm].hash, message });
}

export async function verifyMac(keys: KeySession, key: KeyRecord, algorithm: MacAlgorithm, message: Buffer, mac: Buffer): Promise<boolean> {
  return keys.performCurrent(key, { kind: 'verify-mac', hash: MAC_ALGORITHMS[algorithm].hash, message, mac });
}
