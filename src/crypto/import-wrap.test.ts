import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { AuthenticationError, CryptoError } from './errors.ts';
import { IMPORT_WRAPPING, kwpUnwrap, kwpWrap, maxDirectMaterial, unwrapKeyMaterial, wrapKeyMaterial, type ImportWrappingAlgorithm } from './import-wrap.ts';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = publicKey.export({ type: 'spki', format: 'der' });
const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
const ALGORITHMS = Object.keys(IMPORT_WRAPPING) as ImportWrappingAlgorithm[];

test('AES Key Wrap with Padding: the RFC 5649 §6 test vectors, both ways', () => {
  const kek = Buffer.from('5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8', 'hex');
  const vectors: Array<[string, string]> = [
    ['c37b7e6492584340bed12207808941155068f738', '138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a'],
    ['466f7250617369', 'afbeb0f07dfbf5419200f2ccb50bb24f'],
  ];
  for (const [key, wrapped] of vectors) {
    assert.equal(kwpWrap(kek, Buffer.from(key, 'hex')).toString('hex'), wrapped);
    assert.equal(kwpUnwrap(kek, Buffer.from(wrapped, 'hex')).toString('hex'), key);
  }
  assert.throws(() => kwpWrap(Buffer.alloc(20), Buffer.alloc(8)), CryptoError);
});

test('AES-KWP: a changed byte, a truncated blob or another key fails the integrity check', () => {
  const kek = randomBytes(32);
  const wrapped = kwpWrap(kek, randomBytes(32));
  for (let i = 0; i < wrapped.length; i++) {
    const bad = Buffer.from(wrapped);
    bad[i] = (bad[i] ?? 0) ^ 0x80;
    assert.throws(() => kwpUnwrap(kek, bad), AuthenticationError, `byte ${i}`);
  }
  assert.throws(() => kwpUnwrap(kek, wrapped.subarray(0, 24)), AuthenticationError);
  assert.throws(() => kwpUnwrap(randomBytes(32), wrapped), AuthenticationError);
});

test('every wrapping algorithm round-trips symmetric, HMAC and PKCS#8 material that fits it', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' });
  for (const alg of ALGORITHMS) {
    const materials = [randomBytes(32), randomBytes(64), ec, ...(IMPORT_WRAPPING[alg].aesKeyWrap ? [rsa] : [])];
    for (const m of materials) assert.deepEqual(unwrapKeyMaterial(pkcs8, alg, wrapKeyMaterial(spki, alg, m)), m, `${alg}, ${m.length} bytes`);
  }
  assert.throws(() => wrapKeyMaterial(spki, 'RSAES_OAEP_SHA_256', rsa), 'an RSA private key does not fit RSAES-OAEP');
  assert.equal(maxDirectMaterial(2048, 'RSAES_OAEP_SHA_1'), 214);
  assert.equal(maxDirectMaterial(2048, 'RSAES_OAEP_SHA_256'), 190);
});

test('RSA_AES_KEY_WRAP: the first modulus-length bytes are RSAES-OAEP of a 32-byte AES key, the rest AES-KWP under it', () => {
  const material = randomBytes(32);
  const blob = wrapKeyMaterial(spki, 'RSA_AES_KEY_WRAP_SHA_256', material);
  assert.equal(blob.length, 256 + 40);
  const aesKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, blob.subarray(0, 256));
  assert.equal(aesKey.length, 32);
  assert.deepEqual(kwpUnwrap(aesKey, blob.subarray(256)), material);
});

test('unwrapping fails as one AuthenticationError: wrong algorithm, wrong key, changed bytes, nothing after the RSA block', () => {
  const material = randomBytes(32);
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' });
  for (const alg of ALGORITHMS) {
    const blob = wrapKeyMaterial(spki, alg, material);
    assert.throws(() => unwrapKeyMaterial(other, alg, blob), AuthenticationError, alg);
    const bad = Buffer.from(blob);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    assert.throws(() => unwrapKeyMaterial(pkcs8, alg, bad), AuthenticationError, alg);
  }
  assert.throws(() => unwrapKeyMaterial(pkcs8, 'RSAES_OAEP_SHA_1', wrapKeyMaterial(spki, 'RSAES_OAEP_SHA_256', material)), AuthenticationError);
  assert.throws(() => unwrapKeyMaterial(pkcs8, 'RSA_AES_KEY_WRAP_SHA_256', wrapKeyMaterial(spki, 'RSAES_OAEP_SHA_256', material)), AuthenticationError);
});
