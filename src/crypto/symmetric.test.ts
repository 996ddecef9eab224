import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBlob } from './blob.ts';
import { AuthenticationError, BlobFormatError, CryptoError } from './errors.ts';
import { openSymmetric, sealSymmetric } from './symmetric.ts';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const materialId = Buffer.alloc(32, 0xab);
const backingKey = Buffer.alloc(32, 0x5a);
const plaintext = Buffer.from('attack at dawn', 'utf8');
const ctx = { tenant: 'acme', purpose: 'test' };

const seal = (encryptionContext?: Record<string, string>): Buffer =>
  sealSymmetric({ keyId: KEY_ID, materialId, backingKey, plaintext, encryptionContext });
const open = (blob: Buffer, ec?: Record<string, string>, key = backingKey): Buffer =>
  openSymmetric(decodeBlob(blob), key, ec);

test('round trip without encryption context', () => {
  const blob = seal();
  assert.deepEqual(open(blob), plaintext);
  assert.deepEqual(open(blob, {}), plaintext, '{} and undefined are the same context');
  const parts = decodeBlob(blob);
  assert.equal(parts.keyId, KEY_ID);
  assert.deepEqual(parts.materialId, materialId);
});

test('round trip with encryption context; pair order does not matter', () => {
  const blob = seal(ctx);
  assert.deepEqual(open(blob, ctx), plaintext);
  assert.deepEqual(open(blob, { purpose: 'test', tenant: 'acme' }), plaintext);
});

test('every seal uses a fresh nonce and IV', () => {
  const a = decodeBlob(seal());
  const b = decodeBlob(seal());
  assert.notDeepEqual(a.nonce, b.nonce);
  assert.notDeepEqual(a.iv, b.iv);
  assert.notDeepEqual(a.ciphertext, b.ciphertext);
});

test('a different encryption context is an AuthenticationError', () => {
  const blob = seal(ctx);
  const wrong: (Record<string, string> | undefined)[] = [
    undefined,
    {},
    { tenant: 'acme' },
    { tenant: 'acme', purpose: 'Test' },
    { tenant: 'acme', Purpose: 'test' },
    { tenant: 'acme', purpose: 'test', extra: '' },
  ];
  for (const ec of wrong) assert.throws(() => open(blob, ec), AuthenticationError, JSON.stringify(ec));
  assert.throws(() => open(seal(), ctx), AuthenticationError, 'context given but none was sealed');
  assert.throws(() => open(blob, { tenant: '\uD800' }), AuthenticationError, 'unencodable context');
});

test('a wrong backing key is an AuthenticationError', () => {
  assert.throws(() => open(seal(ctx), ctx, Buffer.alloc(32, 0x5b)), AuthenticationError);
});

const isRejection = (e: unknown): boolean => e instanceof BlobFormatError || e instanceof AuthenticationError;

test('flipping any single byte of a blob never yields a plaintext', () => {
  for (const ec of [undefined, ctx]) {
    const blob = seal(ec);
    for (let i = 0; i < blob.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = Buffer.from(blob);
        bad[i] = (bad[i] ?? 0) ^ mask;
        assert.throws(() => open(bad, ec), isRejection, `byte ${i} ^ ${mask}`);
      }
    }
  }
});

test('truncating or extending a blob never yields a plaintext', () => {
  const blob = seal(ctx);
  for (let n = 0; n < blob.length; n++) assert.throws(() => open(blob.subarray(0, n), ctx), isRejection, `length ${n}`);
  assert.throws(() => open(Buffer.concat([blob, Buffer.of(0)]), ctx), AuthenticationError);
});

test('hand-built parts with bad field lengths are an AuthenticationError', () => {
  const parts = decodeBlob(seal());
  assert.throws(() => openSymmetric({ ...parts, tag: parts.tag.subarray(0, 12) }, backingKey), AuthenticationError);
  assert.throws(() => openSymmetric({ ...parts, iv: Buffer.alloc(16) }, backingKey), AuthenticationError);
  assert.throws(() => openSymmetric({ ...parts, keyId: '' }, backingKey), AuthenticationError);
});

test('empty plaintext is refused', () => {
  assert.throws(
    () => sealSymmetric({ keyId: KEY_ID, materialId, backingKey, plaintext: Buffer.alloc(0) }),
    (e: unknown) => e instanceof CryptoError && !(e instanceof AuthenticationError),
  );
});
