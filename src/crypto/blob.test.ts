import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BLOB_OVERHEAD_FOR, BLOB_VERSION, blobHeader, decodeBlob, encodeBlob, type CiphertextParts } from './blob.ts';
import { BlobFormatError, CryptoError } from './errors.ts';

const PARTS: CiphertextParts = {
  keyId: 'key-1',
  materialId: Buffer.alloc(32, 0x11),
  nonce: Buffer.alloc(32, 0x22),
  iv: Buffer.alloc(12, 0x33),
  tag: Buffer.alloc(16, 0x44),
  ciphertext: Buffer.from('cafe', 'hex'),
};

const EXPECTED_HEADER =
  '01' + '05' + '6b65792d31' + '11'.repeat(32) + '22'.repeat(32) + '33'.repeat(12);

test('encodeBlob produces the exact layout', () => {
  assert.equal(BLOB_VERSION, 1);
  assert.equal(encodeBlob(PARTS).toString('hex'), EXPECTED_HEADER + '44'.repeat(16) + 'cafe');
  assert.equal(blobHeader(PARTS).toString('hex'), EXPECTED_HEADER);
});

test('decode(encode(x)) = x', () => {
  assert.deepEqual(decodeBlob(encodeBlob(PARTS)), PARTS);
  const uuid = { ...PARTS, keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', ciphertext: Buffer.alloc(4096, 9) };
  assert.deepEqual(decodeBlob(encodeBlob(uuid)), uuid);
  const longest = { ...PARTS, keyId: 'k'.repeat(64) };
  assert.deepEqual(decodeBlob(encodeBlob(longest)), longest);
});

test('decoded parts are copies, not views of the input', () => {
  const blob = encodeBlob(PARTS);
  const parts = decodeBlob(blob);
  blob.fill(0);
  assert.deepEqual(parts, PARTS);
});

test('BLOB_OVERHEAD_FOR is the size added to the plaintext', () => {
  for (const keyId of ['k', 'key-1', '1234abcd-12ab-34cd-56ef-1234567890ab']) {
    const blob = encodeBlob({ ...PARTS, keyId, ciphertext: Buffer.alloc(100) });
    assert.equal(blob.length, 100 + BLOB_OVERHEAD_FOR(keyId.length));
  }
  assert.equal(BLOB_OVERHEAD_FOR(36), 130);
});

test('decodeBlob refuses malformed blobs with BlobFormatError', () => {
  const good = encodeBlob(PARTS);
  const withByte = (i: number, v: number): Buffer => {
    const b = Buffer.from(good);
    b[i] = v;
    return b;
  };
  const bad: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.of(1)],
    ['version 0', withByte(0, 0)],
    ['version 3', withByte(0, 3)],
    ['key id length 0', withByte(1, 0)],
    ['key id length 65', withByte(1, 65)],
    ['key id non-ASCII', withByte(2, 0xe9)],
    ['key id control char', withByte(2, 0x0a)],
    ['key id space', withByte(2, 0x20)],
    ['no ciphertext', good.subarray(0, good.length - 2)],
    ['truncated header', good.subarray(0, 40)],
  ];
  for (const [name, b] of bad) assert.throws(() => decodeBlob(b), BlobFormatError, name);
});

test('encodeBlob refuses invalid parts (programming errors) with CryptoError', () => {
  const bad: Partial<CiphertextParts>[] = [
    { keyId: '' },
    { keyId: 'k'.repeat(65) },
    { keyId: 'clé' },
    { keyId: 'a b' },
    { materialId: Buffer.alloc(31) },
    { nonce: Buffer.alloc(33) },
    { iv: Buffer.alloc(16) },
    { tag: Buffer.alloc(12) },
    { ciphertext: Buffer.alloc(0) },
  ];
  for (const b of bad) assert.throws(() => encodeBlob({ ...PARTS, ...b }), CryptoError, JSON.stringify(b));
});

test('a token blob (version 2) decodes with its version, and the software path refuses it', async () => {
  const { openSymmetric, sealSymmetric } = await import('./symmetric.ts');
  const backingKey = Buffer.alloc(32, 7);
  const v1 = sealSymmetric({ keyId: 'k', materialId: Buffer.alloc(32, 1), backingKey, plaintext: Buffer.from('x') });
  assert.equal(decodeBlob(v1).version ?? 1, 1);
  const v2 = Buffer.from(v1);
  v2[0] = 2;
  const parts = decodeBlob(v2);
  assert.equal(parts.version, 2);
  assert.throws(() => openSymmetric(parts, backingKey), /authentication failed/);
  assert.deepEqual(openSymmetric(decodeBlob(v1), backingKey), Buffer.from('x'));
});
