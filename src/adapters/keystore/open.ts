/**
 * Opens the data folder's key hierarchy: the root key from its seal (the key file, or
 * COFFER_ROOT_PASSPHRASE through scrypt), then the software key store on it. The root key is
 * zeroed as soon as the domain keys are open. Used by the server and by the admin command.
 */
import { join } from 'node:path';
import { zero } from '../../crypto/bytes.ts';
import { loadOrCreateKeyFileSeal, loadOrCreatePassphraseSeal } from '../../crypto/seal.ts';
import { openSoftwareKeyStore, type DomainKeyTable } from './software.ts';

export function openSealedKeyStore(dataDir: string, passphrase: string | undefined, table: DomainKeyTable, now: () => number) {
  const seal = passphrase !== undefined
    ? loadOrCreatePassphraseSeal(join(dataDir, 'root-key.salt'), passphrase)
    : loadOrCreateKeyFileSeal(join(dataDir, 'root.key'));
  try {
    return openSoftwareKeyStore(table, seal.rootKey, now);
  } finally {
    zero(seal.rootKey);
  }
}
