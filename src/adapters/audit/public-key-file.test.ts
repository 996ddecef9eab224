/**
 * The exported audit public key: written once (PEM, 0600) from the database's key, accepted while
 * it matches, never overwritten, and refused with a message naming both the file and the database
 * when the database holds another key or none (a replaced database or a replaced file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinPublicKeyFile, PublicKeyMismatch, readPublicKeyFile } from './public-key-file.ts';

const dbKey = (id: string) => ({ id, publicKey: generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }) });

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-pubkey-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('written once from the database key, then accepted while it matches', () => withDir((dir) => {
  const path = join(dir, 'audit-public-key.pem');
  const key = dbKey('k1');
  assert.equal(pinPublicKeyFile(path, undefined, 'coffer.db'), 'none', 'no key yet, no file yet');
  assert.equal(pinPublicKeyFile(path, key, 'coffer.db'), 'created');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.match(readFileSync(path, 'utf8'), /^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
  assert.ok(readPublicKeyFile(path).export({ format: 'der', type: 'spki' }).equals(key.publicKey));
  assert.equal(pinPublicKeyFile(path, key, 'coffer.db'), 'matches');
}));

test('a database with another key, or with none, is refused and the file kept', () => withDir((dir) => {
  const path = join(dir, 'audit-public-key.pem');
  pinPublicKeyFile(path, dbKey('k1'), 'coffer.db');
  const pem = readFileSync(path, 'utf8');
  assert.throws(() => pinPublicKeyFile(path, dbKey('k2'), '/data/coffer.db'), (e: Error) =>
    e instanceof PublicKeyMismatch && e.message.startsWith(`the audit public key in ${path} is not the key of the database /data/coffer.db, which has another audit signing key (id k2): either the database or that file was replaced`));
  assert.throws(() => pinPublicKeyFile(path, undefined, '/data/coffer.db'), /which has no audit signing key \(a new database\)/);
  assert.equal(readFileSync(path, 'utf8'), pem);
  writeFileSync(path, 'garbage');
  assert.throws(() => pinPublicKeyFile(path, dbKey('k1'), '/data/coffer.db'), (e: Error) =>
    e instanceof PublicKeyMismatch && e.message === `${path} is not a PEM public key; it should hold the audit public key of /data/coffer.db`);
}));

test('readPublicKeyFile takes only an Ed25519 public key and names the file', () => withDir((dir) => {
  const path = join(dir, 'k.pem');
  assert.throws(() => readPublicKeyFile(path), new Error(`${path} does not exist`));
  writeFileSync(path, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }));
  assert.throws(() => readPublicKeyFile(path), /is not an Ed25519 public key/);
}));
