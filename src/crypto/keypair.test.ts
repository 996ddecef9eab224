import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { generateKeyPair, type KeyPairKind } from './keypair.ts';
import { mlDsaPublicKey } from './ml-dsa.ts';

test('generated pairs are PKCS#8 and SPKI DER of the requested type, and the halves belong together', async () => {
  const kinds: Array<[KeyPairKind, string, Record<string, unknown>]> = [
    [{ type: 'rsa', bits: 2048 }, 'rsa', { modulusLength: 2048, publicExponent: 65537n }],
    [{ type: 'ec', curve: 'P-256' }, 'ec', { namedCurve: 'prime256v1' }],
    [{ type: 'ec', curve: 'P-384' }, 'ec', { namedCurve: 'secp384r1' }],
    [{ type: 'ec', curve: 'P-521' }, 'ec', { namedCurve: 'secp521r1' }],
    [{ type: 'ec', curve: 'secp256k1' }, 'ec', { namedCurve: 'secp256k1' }],
    [{ type: 'ed25519' }, 'ed25519', {}],
  ];
  for (const [kind, type, details] of kinds) {
    const { privateKey, publicKey } = await generateKeyPair(kind);
    const priv = createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' });
    const pub = createPublicKey({ key: publicKey, format: 'der', type: 'spki' });
    assert.equal(priv.asymmetricKeyType, type);
    assert.deepEqual(pub.asymmetricKeyDetails, details, JSON.stringify(kind));
    assert.deepEqual(createPublicKey(priv).export({ type: 'spki', format: 'der' }), publicKey, 'the public key is the private key\'s');
  }
  const mldsa = await generateKeyPair({ type: 'ml-dsa', level: 87 });
  assert.equal(mldsa.privateKey.length, 54, 'seed-only PKCS#8');
  assert.equal(mlDsaPublicKey(87, mldsa.publicKey).length, 2592);
});
