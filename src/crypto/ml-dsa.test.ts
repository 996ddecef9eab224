import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { InvalidKeyError } from './errors.ts';
import { mlDsaKeyPair, mlDsaPkcs8, mlDsaPublicKey, mlDsaSign, mlDsaSpki, mlDsaVerify, type MlDsaLevel } from './ml-dsa.ts';

const NOBLE = { 44: ml_dsa44, 65: ml_dsa65, 87: ml_dsa87 } as const;
const LEVELS: MlDsaLevel[] = [44, 65, 87];

/** μ = SHAKE256(SHAKE256(pk, 64) || 0x00 || 0x00 || M, 64): FIPS 204 §6.2 with an empty context. */
const mu = (publicKey: Uint8Array, message: Buffer): Buffer => {
  const tr = createHash('shake256', { outputLength: 64 }).update(publicKey).digest();
  return createHash('shake256', { outputLength: 64 }).update(tr).update(Buffer.of(0, 0)).update(message).digest();
};

test('key encodings: RFC 9881 SPKI and seed-only PKCS#8 with the id-ml-dsa OIDs', () => {
  const seed = Buffer.alloc(32, 1);
  assert.equal(mlDsaPkcs8(44, seed).toString('hex'), `3034020100300b06096086480165030403110422${'8020'}${'01'.repeat(32)}`);
  const spki = mlDsaSpki(65, new Uint8Array(1952));
  assert.equal(spki.subarray(0, 22).toString('hex'), '308207b2300b0609608648016503040312038207a100');
  assert.equal(spki.length, 22 + 1952);
});

test('RAW and EXTERNAL_MU signatures verify with @noble/post-quantum, at every level', () => {
  const message = Buffer.from('firmware image digest');
  for (const level of LEVELS) {
    const { privateKey, publicKey } = mlDsaKeyPair(level);
    const pk = mlDsaPublicKey(level, publicKey);
    const raw = mlDsaSign(level, privateKey, message, false);
    assert.equal(raw.length, NOBLE[level].lengths.signature, `ML-DSA-${level} signature size`);
    assert.equal(NOBLE[level].verify(raw, message, pk), true, `noble verifies RAW (ML-DSA-${level})`);
    const external = mlDsaSign(level, privateKey, mu(pk, message), true);
    assert.equal(NOBLE[level].verify(external, message, pk), true, `a μ signature is a signature of the message (ML-DSA-${level})`);
    assert.equal(mlDsaVerify(level, publicKey, message, raw, false), true);
    assert.equal(mlDsaVerify(level, publicKey, mu(pk, message), raw, true), true);
    assert.equal(mlDsaVerify(level, publicKey, Buffer.from('other'), raw, false), false);
    assert.equal(mlDsaVerify(level, publicKey, message, raw.subarray(1), false), false);
  }
});

test('keys of another level or another algorithm are InvalidKeyError', () => {
  const { privateKey, publicKey } = mlDsaKeyPair(44);
  assert.throws(() => mlDsaPublicKey(65, publicKey), InvalidKeyError);
  assert.throws(() => mlDsaSign(87, privateKey, Buffer.from('m'), false), InvalidKeyError);
  assert.throws(() => mlDsaPublicKey(44, Buffer.from('3003020100', 'hex')), InvalidKeyError);
});
