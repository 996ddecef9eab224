import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationError, CryptoError } from './errors.ts';
import { backingKeyAad, domainKeyAad, unwrapKey, wrapKey } from './wrap.ts';

const kek = Buffer.alloc(32, 0x01);
const key = Buffer.alloc(32, 0x02);
const MATERIAL = 'ab'.repeat(32);
const ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const aad = backingKeyAad(ARN, MATERIAL);

test('wrapKey/unwrapKey round trip; layout version | iv | tag | ciphertext', () => {
  const wrapped = wrapKey(kek, key, aad);
  assert.equal(wrapped.length, 1 + 12 + 16 + 32);
  assert.equal(wrapped[0], 1);
  assert.deepEqual(unwrapKey(kek, wrapped, aad), key);
  assert.notDeepEqual(wrapKey(kek, key, aad), wrapped, 'random IV');
});

test('wrong AAD, wrong KEK, malformed input are AuthenticationError', () => {
  const wrapped = wrapKey(kek, key, aad);
  assert.throws(() => unwrapKey(kek, wrapped, backingKeyAad(ARN, 'cd'.repeat(32))), AuthenticationError);
  assert.throws(() => unwrapKey(kek, wrapped, backingKeyAad(ARN.replace('111122223333', '111122223334'), MATERIAL)), AuthenticationError);
  assert.throws(() => unwrapKey(kek, wrapped, domainKeyAad('dk-1')), AuthenticationError);
  assert.throws(() => unwrapKey(Buffer.alloc(32, 0x03), wrapped, aad), AuthenticationError);
  for (let n = 0; n < wrapped.length; n++) {
    assert.throws(() => unwrapKey(kek, wrapped.subarray(0, n), aad), AuthenticationError, `truncated to ${n}`);
  }
  for (let i = 0; i < wrapped.length; i++) {
    const bad = Buffer.from(wrapped);
    bad[i] = (bad[i] ?? 0) ^ 0x01;
    assert.throws(() => unwrapKey(kek, bad, aad), AuthenticationError, `byte ${i}`);
  }
  assert.throws(() => unwrapKey(kek, Buffer.concat([wrapped, Buffer.of(0)]), aad), AuthenticationError);
});

test('AAD encodings are exact and length-prefixed', () => {
  assert.equal(
    domainKeyAad('dk-1').toString('hex'),
    '00000014' + Buffer.from('coffer/v1/domain-key').toString('hex') + '00000004' + '646b2d31',
  );
  const b = backingKeyAad('arn:x', MATERIAL);
  assert.equal(
    b.toString('hex'),
    '00000015' + Buffer.from('coffer/v1/backing-key').toString('hex') + '00000005' + '61726e3a78' + '00000040' + Buffer.from(MATERIAL).toString('hex'),
  );
});

test('AAD helpers refuse bad input', () => {
  assert.throws(() => backingKeyAad(ARN, 'AB'.repeat(32)), CryptoError, 'uppercase hex');
  assert.throws(() => backingKeyAad(ARN, 'ab'), CryptoError, 'short');
  assert.throws(() => backingKeyAad('', MATERIAL), CryptoError);
  assert.throws(() => domainKeyAad(''), CryptoError);
  assert.throws(() => wrapKey(kek, Buffer.alloc(0), aad), CryptoError);
  assert.throws(() => wrapKey(Buffer.alloc(16), key, aad), CryptoError, 'KEK must be AES-256');
});
