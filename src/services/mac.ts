/**
 * GenerateMac and VerifyMac with HMAC keys (reference §3.6): each HMAC spec has exactly one MAC
 * algorithm, and the key is the HMAC key material of the key's current version.
 */
import { hmac, hmacVerify } from '../crypto/hmac.ts';
import { requireAlgorithm } from '../domain/capability-rules.ts';
import type { KeyRecord } from '../domain/key.ts';
import { capabilitiesOf, MAC_ALGORITHMS, type MacAlgorithm } from '../domain/key-specs.ts';
import type { Keyring } from './keyring.ts';

/** The key's spec must have `algorithm` (InvalidKeyUsageException otherwise). */
export function checkMacAlgorithm(key: KeyRecord, algorithm: string): MacAlgorithm {
  return requireAlgorithm(key, algorithm, capabilitiesOf(key.keySpec).macAlgorithms);
}

export function generateMac(keyring: Keyring, key: KeyRecord, algorithm: MacAlgorithm, message: Buffer): Buffer {
  return hmac(MAC_ALGORITHMS[algorithm].hash, keyring.currentMaterial(key), message);
}

export function verifyMac(keyring: Keyring, key: KeyRecord, algorithm: MacAlgorithm, message: Buffer, mac: Buffer): boolean {
  return hmacVerify(MAC_ALGORITHMS[algorithm].hash, keyring.currentMaterial(key), message, mac);
}
