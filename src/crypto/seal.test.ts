import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SealError } from './errors.ts';
import {
  assertKeyCheckValue,
  deriveRootKeyFromPassphrase,
  keyCheckValue,
  loadOrCreateKeyFileSeal,
  loadOrCreatePassphraseSeal,
  scryptRaw,
} from './seal.ts';

const dir = mkdtempSync(join(tmpdir(), 'coffer-seal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const posix = process.platform !== 'win32';

test('scrypt matches RFC 7914 section 12 vectors 1 and 2', () => {
  assert.equal(
    scryptRaw('', Buffer.alloc(0), { N: 16, r: 1, p: 1, keyLength: 64, maxmem: 32 * 1024 * 1024 }).toString('hex'),
    '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442' +
      'fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906',
  );
  assert.equal(
    scryptRaw('password', Buffer.from('NaCl'), { N: 1024, r: 8, p: 16, keyLength: 64, maxmem: 32 * 1024 * 1024 }).toString('hex'),
    'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162' +
      '2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
  );
});

test('key file is created 0600 with 32 bytes, then reused', () => {
  const path = join(dir, 'root.key');
  const first = loadOrCreateKeyFileSeal(path);
  assert.equal(first.created, true);
  assert.equal(first.rootKey.length, 32);
  if (posix) assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readFileSync(path), first.rootKey);
  const second = loadOrCreateKeyFileSeal(path);
  assert.equal(second.created, false);
  assert.deepEqual(second.rootKey, first.rootKey);
});

test('a group/world-readable key file is refused, naming the path but not the content', { skip: !posix }, () => {
  const path = join(dir, 'open.key');
  const { rootKey } = loadOrCreateKeyFileSeal(path);
  chmodSync(path, 0o644);
  assert.throws(
    () => loadOrCreateKeyFileSeal(path),
    (e: unknown) =>
      e instanceof SealError &&
      e.message.includes(path) &&
      e.message.includes('0644') &&
      !e.message.includes(rootKey.toString('hex')) &&
      !e.message.includes(rootKey.toString('base64')),
  );
  chmodSync(path, 0o640);
  assert.throws(() => loadOrCreateKeyFileSeal(path), SealError);
  chmodSync(path, 0o400);
  assert.deepEqual(loadOrCreateKeyFileSeal(path).rootKey, rootKey, 'read-only for the owner is fine');
});

test('a key file of the wrong size or a directory is refused', () => {
  for (const size of [0, 31, 33, 64]) {
    const path = join(dir, `size-${size}.key`);
    writeFileSync(path, Buffer.alloc(size, 0x41), { mode: 0o600 });
    assert.throws(
      () => loadOrCreateKeyFileSeal(path),
      (e: unknown) => e instanceof SealError && e.message.includes(path) && !e.message.includes('AAAA'),
    );
  }
  assert.throws(() => loadOrCreateKeyFileSeal(dir), SealError);
  assert.throws(() => loadOrCreateKeyFileSeal(join(dir, 'missing', 'root.key')), SealError);
});

test('passphrase seal: same passphrase -> same root key; salt file 0600', () => {
  const saltPath = join(dir, 'seal.salt');
  const a = loadOrCreatePassphraseSeal(saltPath, 'correct horse battery staple');
  assert.equal(a.created, true);
  assert.equal(a.rootKey.length, 32);
  assert.equal(readFileSync(saltPath).length, 16);
  if (posix) assert.equal(statSync(saltPath).mode & 0o777, 0o600);
  const b = loadOrCreatePassphraseSeal(saltPath, 'correct horse battery staple');
  assert.equal(b.created, false);
  assert.deepEqual(b.rootKey, a.rootKey);
  assert.deepEqual(deriveRootKeyFromPassphrase('correct horse battery staple', readFileSync(saltPath)), a.rootKey);

  const c = loadOrCreatePassphraseSeal(saltPath, 'correct horse battery stapler');
  assert.notDeepEqual(keyCheckValue(c.rootKey), keyCheckValue(a.rootKey));
  assertKeyCheckValue(b.rootKey, keyCheckValue(a.rootKey));
  assert.throws(() => assertKeyCheckValue(c.rootKey, keyCheckValue(a.rootKey)), SealError);
  assert.throws(() => assertKeyCheckValue(c.rootKey, Buffer.alloc(3)), SealError);
});

test('passphrase is NFC-normalised; empty passphrase and short salt are refused', () => {
  const salt = Buffer.alloc(16, 7);
  assert.deepEqual(deriveRootKeyFromPassphrase('caf\u00e9', salt), deriveRootKeyFromPassphrase('cafe\u0301', salt));
  assert.throws(() => deriveRootKeyFromPassphrase('', salt), SealError);
  assert.throws(() => deriveRootKeyFromPassphrase('x', Buffer.alloc(8)), SealError);
  const saltPath = join(dir, 'never.salt');
  assert.throws(() => loadOrCreatePassphraseSeal(saltPath, ''), SealError);
  assert.throws(() => statSync(saltPath), 'no salt file is created for an empty passphrase');
});

test('keyCheckValue is HMAC-SHA256 over the fixed label', () => {
  const kcv = keyCheckValue(Buffer.alloc(32, 1));
  assert.equal(kcv.length, 32);
  assert.deepEqual(kcv, keyCheckValue(Buffer.alloc(32, 1)));
  assert.notDeepEqual(kcv, keyCheckValue(Buffer.alloc(32, 2)));
});
