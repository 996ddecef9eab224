/**
 * The audit signing key's public half, exported outside the database at first start
 * (`<data>/audit-public-key.pem`, PEM SubjectPublicKeyInfo, mode 0600) so that `audit verify` can
 * pin it instead of trusting the key table of the database it checks. The file is never
 * overwritten: a database whose key is not the file's (a database replaced, or its key re-made to
 * re-sign a rewritten trail) stops the start, since that is the forgery the file exists to catch.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';

export const PUBLIC_KEY_FILE = 'audit-public-key.pem';

/** The file holds another key than the database's. */
export class PublicKeyMismatch extends Error {}

const spki = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });

/** An Ed25519 public key from a PEM file; the error names the file. */
export function readPublicKeyFile(path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(path));
  } catch (e) {
    const why = e instanceof Error && 'code' in e && e.code === 'ENOENT' ? 'does not exist' : 'is not a PEM public key';
    throw new Error(`${path} ${why}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path} is not an Ed25519 public key (the audit signing key is one)`);
  return key;
}

export interface DatabaseKey {
  /** SubjectPublicKeyInfo DER, as the database stores it. */
  readonly publicKey: Buffer;
  readonly id: string;
}

/**
 * Writes the database's key to `path` if the file is absent; otherwise checks that the file holds
 * that key. With no key in the database yet, only checks that no file is there. `database` names
 * the database in the message.
 */
export function pinPublicKeyFile(path: string, key: DatabaseKey | undefined, database: string): 'created' | 'matches' | 'none' {
  if (existsSync(path)) {
    let filed: Buffer;
    try {
      filed = spki(readPublicKeyFile(path));
    } catch (e) {
      throw new PublicKeyMismatch(`${e instanceof Error ? e.message : String(e)}; it should hold the audit public key of ${database}`);
    }
    if (key !== undefined && filed.equals(key.publicKey)) return 'matches';
    const held = key === undefined ? 'has no audit signing key (a new database)' : `has another audit signing key (id ${key.id})`;
    throw new PublicKeyMismatch(
      `the audit public key in ${path} is not the key of the database ${database}, which ${held}: either the database or that file was replaced. ` +
      'Check the database with `npm run coffer -- audit verify --offline --public-key <a copy of the key kept elsewhere>`; only once it is known to be the right one, move the file aside and start again',
    );
  }
  if (key === undefined) return 'none';
  const pem = createPublicKey({ key: key.publicKey, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return 'created';
}
