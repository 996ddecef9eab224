import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalEncryptionContext } from './encryption-context.ts';
import { CryptoError } from './errors.ts';

test('exact bytes for a small map', () => {
  assert.equal(
    canonicalEncryptionContext({ b: '2', a: '1' }).toString('hex'),
    '00000002' + '00000001' + '61' + '00000001' + '31' + '00000001' + '62' + '00000001' + '32',
  );
  // Multi-byte UTF-8: lengths count bytes, not UTF-16 units.
  assert.equal(
    canonicalEncryptionContext({ 'é': '€' }).toString('hex'),
    '00000001' + '00000002' + 'c3a9' + '00000003' + 'e282ac',
  );
});

test('undefined and {} both encode as four zero bytes', () => {
  assert.equal(canonicalEncryptionContext(undefined).toString('hex'), '00000000');
  assert.equal(canonicalEncryptionContext({}).toString('hex'), '00000000');
});

test('order-independent and case-sensitive', () => {
  assert.deepEqual(
    canonicalEncryptionContext({ x: '1', y: '2', z: '3' }),
    canonicalEncryptionContext({ z: '3', x: '1', y: '2' }),
  );
  assert.notDeepEqual(canonicalEncryptionContext({ A: '1' }), canonicalEncryptionContext({ a: '1' }));
  assert.notDeepEqual(canonicalEncryptionContext({ a: 'V' }), canonicalEncryptionContext({ a: 'v' }));
});

test('sorted by UTF-8 bytes, not by JS (UTF-16) string order', () => {
  // U+FF61 is ef bd a1; U+1F600 is f0 9f 98 80. UTF-16 order is the reverse (d83d < ff61).
  const enc = canonicalEncryptionContext({ '\u{1F600}': '', '\uFF61': '' });
  assert.equal(enc.subarray(4, 8).toString('hex'), '00000003');
  assert.equal(enc.subarray(8, 11).toString('hex'), 'efbda1');
});

test('no ambiguity between splitting a string differently', () => {
  assert.notDeepEqual(canonicalEncryptionContext({ ab: 'c' }), canonicalEncryptionContext({ a: 'bc' }));
});

test('lone surrogates are refused (they would collide with U+FFFD)', () => {
  assert.throws(() => canonicalEncryptionContext({ k: '\uD800' }), CryptoError);
  assert.throws(() => canonicalEncryptionContext({ '\uDC00': 'v' }), CryptoError);
});
