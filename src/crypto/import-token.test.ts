import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BlobFormatError, CryptoError } from './errors.ts';
import { decodeImportParameters, decodeImportToken, encodeImportParameters, encodeImportToken } from './import-token.ts';

test('import token: version | token id | domain key id | sealed parameters, round trip', () => {
  const t = { tokenId: randomBytes(32), domainKeyId: '6b1d4c0e-0f3c-4a51-9a57-3f1f0c7d2e11', sealed: randomBytes(300) };
  const buf = encodeImportToken(t);
  assert.equal(buf[0], 1);
  assert.deepEqual(buf.subarray(1, 33), t.tokenId);
  assert.equal(buf[33], t.domainKeyId.length);
  assert.deepEqual(decodeImportToken(buf), t);
});

test('import token: every truncation and a wrong version are BlobFormatError', () => {
  const buf = encodeImportToken({ tokenId: randomBytes(32), domainKeyId: 'dk', sealed: Buffer.of(1) });
  for (let n = 0; n < buf.length; n++) assert.throws(() => decodeImportToken(buf.subarray(0, n)), BlobFormatError, `truncated to ${n}`);
  assert.throws(() => decodeImportToken(Buffer.concat([Buffer.of(2), buf.subarray(1)])), BlobFormatError);
  assert.throws(() => encodeImportToken({ tokenId: randomBytes(31), domainKeyId: 'dk', sealed: Buffer.of(1) }), CryptoError);
  assert.throws(() => encodeImportToken({ tokenId: randomBytes(32), domainKeyId: 'd k', sealed: Buffer.of(1) }), CryptoError);
});

test('import parameters: validTo, algorithm, spec and the private key survive the round trip; malformed input is refused', () => {
  const p = { validTo: 1_767_225_600_000, wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_4096', privateKey: randomBytes(1200) };
  const buf = encodeImportParameters(p);
  assert.deepEqual({ ...decodeImportParameters(buf), privateKey: Buffer.from(decodeImportParameters(buf).privateKey) }, p);
  assert.throws(() => decodeImportParameters(buf.subarray(0, 12)), BlobFormatError);
  assert.throws(() => decodeImportParameters(Buffer.concat([Buffer.of(9), buf.subarray(1)])), BlobFormatError);
  assert.throws(() => encodeImportParameters({ ...p, validTo: -1 }), CryptoError);
  assert.throws(() => encodeImportParameters({ ...p, privateKey: Buffer.alloc(0) }), CryptoError);
});
