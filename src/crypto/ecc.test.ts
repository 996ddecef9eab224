import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, sign, verify } from 'node:crypto';
import { ecPrivateScalar, ed25519Seed } from './der.ts';
import { ecdh, ecdsaSign, ecdsaVerify, ed25519phSign, ed25519phVerify, ed25519Sign, ed25519Verify, type EcdsaHash } from './ecc.ts';
import { InvalidKeyError } from './errors.ts';
import type { EcCurve } from './keypair.ts';

const der = (curve: string) => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return { spki: publicKey.export({ type: 'spki', format: 'der' }), pkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }), publicKey, privateKey };
};
const CURVES: Array<[EcCurve, EcdsaHash, number]> = [['P-256', 'sha256', 32], ['P-384', 'sha384', 48], ['P-521', 'sha512', 66], ['secp256k1', 'sha256', 32]];
const message = Buffer.from('a token to sign');

test('ECDSA: a signature over a digest (noble) and over the message (OpenSSL) both verify either way, on every curve', () => {
  for (const [curve, hash] of CURVES) {
    const k = der(curve);
    const digest = createHash(hash).update(message).digest();
    const overDigest = ecdsaSign(curve, k.pkcs8, hash, digest, true);
    const overMessage = ecdsaSign(curve, k.pkcs8, hash, message, false);
    for (const sig of [overDigest, overMessage]) {
      assert.equal(verify(hash, message, { key: k.publicKey, dsaEncoding: 'der' }, sig), true, `OpenSSL verifies (${curve})`);
      assert.equal(ecdsaVerify(curve, k.spki, hash, message, false, sig), true, `message form (${curve})`);
      assert.equal(ecdsaVerify(curve, k.spki, hash, digest, true, sig), true, `digest form (${curve})`);
    }
    const theirs = sign(hash, message, { key: k.privateKey, dsaEncoding: 'der' });
    assert.equal(ecdsaVerify(curve, k.spki, hash, digest, true, theirs), true, `OpenSSL's signature, digest form (${curve})`);
    assert.equal(ecdsaVerify(curve, k.spki, hash, Buffer.from('other message'), false, overDigest), false);
    assert.equal(ecdsaVerify(curve, k.spki, hash, digest, true, Buffer.from('not DER')), false);
    assert.equal(ecdsaVerify(curve, k.spki, hash, message, false, Buffer.from('not DER')), false);
  }
});

test('the EC private scalar is read from PKCS#8 at its full field length', () => {
  for (const [curve, , bytes] of CURVES) {
    const k = der(curve);
    const d = ecPrivateScalar(k.pkcs8);
    assert.equal(d.length, bytes, curve);
    assert.deepEqual(d, Buffer.from(k.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'), curve);
  }
  assert.throws(() => ecPrivateScalar(Buffer.from('3003020100', 'hex')), InvalidKeyError);
});

test('Ed25519 (OpenSSL) and Ed25519ph (RFC 8032 §7.3 test vector "abc")', () => {
  const seed = Buffer.from('833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42', 'hex');
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
  assert.equal(spki.subarray(12).toString('hex'), 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf');
  assert.deepEqual(ed25519Seed(pkcs8), seed);
  const ph = ed25519phSign(pkcs8, Buffer.from('abc'));
  assert.equal(ph.toString('hex'),
    '98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406');
  assert.equal(ed25519phVerify(spki, Buffer.from('abc'), ph), true);
  assert.equal(ed25519phVerify(spki, Buffer.from('abd'), ph), false);
  const pure = ed25519Sign(pkcs8, Buffer.from('abc'));
  assert.equal(ed25519Verify(spki, Buffer.from('abc'), pure), true);
  assert.equal(ed25519Verify(spki, Buffer.from('abc'), ph), false, 'pure and pre-hashed signatures differ');
  assert.equal(ed25519phVerify(spki, Buffer.from('abc'), pure), false);
});

test('ECDH equals OpenSSL computing it from the other side; a key on another curve or garbage is InvalidKeyError', () => {
  const a = der('P-384');
  const b = der('P-384');
  const secret = ecdh('P-384', a.pkcs8, b.spki);
  assert.equal(secret.length, 48);
  assert.deepEqual(secret, diffieHellman({ privateKey: b.privateKey, publicKey: a.publicKey }));
  assert.throws(() => ecdh('P-384', a.pkcs8, der('P-256').spki), InvalidKeyError);
  assert.throws(() => ecdh('P-384', a.pkcs8, Buffer.from('garbage')), InvalidKeyError);
  const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
  assert.throws(() => ecdh('P-384', a.pkcs8, ed), InvalidKeyError);
});
