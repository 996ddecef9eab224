import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { InvalidKeyError } from './errors.ts';
import { importedMaterialId, inspectPrivateKey, sameKind, sameMaterialId } from './imported-material.ts';
import { generateKeyPair } from './keypair.ts';

const KEY_ID = 'mrk-1234abcd12ab34cd56ef1234567890ab';

test('material ids: HMAC-SHA256 keyed by the material over the label, a zero byte and the key id; same material, same id', () => {
  const material = Buffer.alloc(32, 7);
  const expected = createHmac('sha256', material).update('coffer/v1/imported-key-material\u0000' + KEY_ID).digest('hex');
  assert.equal(importedMaterialId(KEY_ID, material), expected);
  assert.match(expected, /^[0-9a-f]{64}$/);
  assert.equal(importedMaterialId(KEY_ID, Buffer.alloc(32, 7)), expected);
  assert.notEqual(importedMaterialId(KEY_ID, Buffer.alloc(32, 8)), expected);
  assert.notEqual(importedMaterialId('1234abcd-12ab-34cd-56ef-1234567890ab', material), expected, 'bound to the key id');
  assert.equal(sameMaterialId(expected, expected.slice()), true);
  assert.equal(sameMaterialId(expected, importedMaterialId(KEY_ID, Buffer.alloc(32, 8))), false);
  assert.equal(sameMaterialId(expected, expected.slice(1)), false);
});

test('private keys: the kind, the public key and a canonical PKCS#8 for RSA, EC, Ed25519 and ML-DSA', async () => {
  const cases = [{ type: 'rsa', bits: 2048 }, { type: 'ec', curve: 'P-256' }, { type: 'ec', curve: 'P-521' }, { type: 'ec', curve: 'secp256k1' },
    { type: 'ed25519' }, { type: 'ml-dsa', level: 65 }] as const;
  for (const kind of cases) {
    const pair = await generateKeyPair(kind);
    const got = inspectPrivateKey(pair.privateKey);
    assert.ok(sameKind(got.kind, kind), JSON.stringify(kind));
    assert.deepEqual(got.publicKey, pair.publicKey, JSON.stringify(kind));
    assert.deepEqual(inspectPrivateKey(got.privateKey).privateKey, got.privateKey, 'canonical form is stable');
  }
});

test('the same EC key in another valid PKCS#8 encoding (without its public key) is the same material', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const full = privateKey.export({ type: 'pkcs8', format: 'der' });
  const jwk = privateKey.export({ format: 'jwk' });
  const again = createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'der' });
  assert.deepEqual(inspectPrivateKey(again).privateKey, inspectPrivateKey(full).privateKey);
  assert.deepEqual(inspectPrivateKey(full).publicKey, createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
});

test('what is not a supported private key is InvalidKeyError', () => {
  assert.throws(() => inspectPrivateKey(Buffer.alloc(40, 1)), InvalidKeyError);
  const p224 = generateKeyPairSync('ec', { namedCurve: 'secp224r1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
  assert.throws(() => inspectPrivateKey(p224), InvalidKeyError);
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'der' });
  assert.throws(() => inspectPrivateKey(rsa1024), /1024 bits/);
  const x25519 = generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'der' });
  assert.throws(() => inspectPrivateKey(x25519), InvalidKeyError);
});
