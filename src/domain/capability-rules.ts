/**
 * The checks every key-scoped crypto operation makes against the capability table: the key's
 * usage must be the operation's, and the algorithm asked for must be one the key spec has.
 * Both failures are InvalidKeyUsageException with AWS's recorded wording (reference §1.3).
 */
import { InvalidKeyUsageException } from '../errors/kms-errors.ts';
import type { KeyRecord } from './key.ts';
import type { KeyUsage } from './key-specs.ts';

export function requireKeyUsage(key: KeyRecord, usage: KeyUsage, operation: string): void {
  if (key.keyUsage !== usage) {
    throw new InvalidKeyUsageException(`${key.arn} key usage is ${key.keyUsage} which is not valid for ${operation}.`);
  }
}

/** `algorithm` must be in `allowed` (the spec's list for the usage); narrows it to the list's type. */
export function requireAlgorithm<A extends string>(key: KeyRecord, algorithm: string, allowed: readonly A[]): A {
  const found = allowed.find((a) => a === algorithm);
  if (found === undefined) throw new InvalidKeyUsageException(`Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`);
  return found;
}
