/**
 * The conformance suite of the KeyStore port: every key store (the software store; PKCS#11 to
 * come) runs these cases, so the services can rely on one contract: material generated or held
 * for one key version and performed with by reference; results checked against the public key or
 * against crypto/ computed from known material, never by reading the material back; one key's
 * material never opening as another's (a copy is the only way); seals bound to their owner, id
 * and purpose. A failing operation throws a CryptoError, whatever the store.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { decodeBlob } from '../../crypto/blob.ts';
import { ecdh, ecdsaVerify, ed25519phVerify, ed25519Verify } from '../../crypto/ecc.ts';
import { CryptoError } from '../../crypto/errors.ts';
import { hmac } from '../../crypto/hmac.ts';
import { generateKeyPair, type KeyPairKind } from '../../crypto/keypair.ts';
import { mlDsaVerify } from '../../crypto/ml-dsa.ts';
import { digestOf, rsaOaepEncrypt, rsaVerifyDigest } from '../../crypto/rsa.ts';
import { openSymmetric, sealSymmetric } from '../../crypto/symmetric.ts';
import type { KeyStore, MaterialRef } from '../../ports/key-store.ts';

/** A fresh store of one adapter, and how to dispose of it. */
export interface KeyStoreFixture {
  readonly store: KeyStore;
  close(): Promise<void> | void;
}

/** What differs between stores by design. */
export interface KeyStoreTraits {
  /**
   * Whether a forgotten version still performs from its stored reference (the software store
   * unwraps it again; a token store may destroy its object instead).
   */
  readonly performsAfterForget: boolean;
}

const ACCOUNT = '111122223333';
const arnOf = (keyId: string, region = 'us-east-1'): string => `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`;
const version = (n: number): string => n.toString(16).padStart(64, '0');
const CONTEXT = { purpose: 'conformance', tenant: 'a' };

/** Generates material for a fresh version of `keyArn`: its reference and, for a pair, its public key. */
async function generate(store: KeyStore, keyArn: string, spec: { kind: 'secret'; bytes: number } | { kind: 'pair'; pair: KeyPairKind }, n = 1) {
  const { wrapped, publicKey } = await store.generate(keyArn, version(n), spec);
  const ref: MaterialRef = { keyArn, materialId: version(n), ...wrapped };
  return { ref, publicKey };
}

const secret = { kind: 'secret', bytes: 32 } as const;
const pair = (p: KeyPairKind) => ({ kind: 'pair', pair: p }) as const;

/** A public key the store returned: present, and SubjectPublicKeyInfo DER of the expected type. */
function spki(publicKey: Buffer | undefined, type: string): Buffer {
  assert.ok(publicKey, 'a key pair comes with its public key');
  // ML-DSA SPKIs are not node:crypto's to parse on Node 20; the verify functions check them.
  if (type !== 'ml-dsa') assert.equal(createPublicKey({ key: publicKey, format: 'der', type: 'spki' }).asymmetricKeyType, type);
  return publicKey;
}

/** Registers the suite for one store; `open` makes a fresh store for each case. */
export function keyStoreConformance(adapter: string, open: () => Promise<KeyStoreFixture>, traits: KeyStoreTraits): void {
  const run = (name: string, body: (store: KeyStore) => Promise<void>): void => {
    test(name, async () => {
      const f = await open();
      try {
        await body(f.store);
      } finally {
        await f.close();
      }
    });
  };

  describe(`KeyStore conformance: ${adapter}`, () => {
    run('a secret: no public key; encrypt then decrypt round trips, with and without an encryption context; the blob names the key and version', async (store) => {
      const { ref, publicKey } = await generate(store, arnOf('k1'), secret);
      assert.equal(publicKey, undefined);
      assert.equal(ref.keyArn, arnOf('k1'));
      const plaintext = Buffer.from('attack at dawn');
      for (const context of [undefined, CONTEXT]) {
        const blob = await store.perform(ref, { kind: 'encrypt', keyId: 'k1', plaintext, context });
        const parts = decodeBlob(blob);
        assert.equal(parts.keyId, 'k1');
        assert.deepEqual(parts.materialId, Buffer.from(version(1), 'hex'));
        assert.equal(blob.includes(plaintext), false, 'the plaintext is not in the blob');
        assert.deepEqual(await store.perform(ref, { kind: 'decrypt', blob, context }), plaintext);
      }
    });

    run('decrypt throws a CryptoError for a wrong or missing context, a changed blob, or another version\'s material', async (store) => {
      const { ref } = await generate(store, arnOf('k1'), secret, 1);
      const { ref: other } = await generate(store, arnOf('k1'), secret, 2);
      const blob = await store.perform(ref, { kind: 'encrypt', keyId: 'k1', plaintext: Buffer.from('secret'), context: CONTEXT });
      await assert.rejects(store.perform(ref, { kind: 'decrypt', blob, context: { ...CONTEXT, tenant: 'b' } }), CryptoError);
      await assert.rejects(store.perform(ref, { kind: 'decrypt', blob, context: undefined }), CryptoError);
      for (const at of [blob.length - 1, blob.length - 20, 3]) {
        const changed = Buffer.from(blob);
        changed[at] = (changed[at] ?? 0) ^ 1;
        await assert.rejects(store.perform(ref, { kind: 'decrypt', blob: changed, context: CONTEXT }), CryptoError, `byte ${at} changed`);
      }
      await assert.rejects(store.perform(other, { kind: 'decrypt', blob, context: CONTEXT }), CryptoError);
      assert.deepEqual(await store.perform(ref, { kind: 'decrypt', blob, context: CONTEXT }), Buffer.from('secret'));
    });

    run('rsa-decrypt opens what the public key sealed with OAEP (SHA-1 and SHA-256), and nothing else', async (store) => {
      const { ref, publicKey } = await generate(store, arnOf('rsa'), pair({ type: 'rsa', bits: 2048 }));
      const pub = spki(publicKey, 'rsa');
      for (const hash of ['sha1', 'sha256'] as const) {
        const ciphertext = rsaOaepEncrypt(pub, hash, Buffer.from(`data key ${hash}`));
        assert.deepEqual(await store.perform(ref, { kind: 'rsa-decrypt', hash, ciphertext }), Buffer.from(`data key ${hash}`));
      }
      const sha1 = rsaOaepEncrypt(pub, 'sha1', Buffer.from('x'));
      await assert.rejects(store.perform(ref, { kind: 'rsa-decrypt', hash: 'sha256', ciphertext: sha1 }), CryptoError);
      await assert.rejects(store.perform(ref, { kind: 'rsa-decrypt', hash: 'sha1', ciphertext: randomBytes(256) }), CryptoError);
    });

    run('sign: RSA PSS and PKCS #1, ECDSA P-256, Ed25519, Ed25519ph and ML-DSA-44 verify with the public key, and not for another message', async (store) => {
      const message = Buffer.from('the message');
      const other = Buffer.from('another message');
      const rsa = await generate(store, arnOf('rsa'), pair({ type: 'rsa', bits: 2048 }));
      const rsaPub = spki(rsa.publicKey, 'rsa');
      for (const scheme of ['RSASSA_PSS', 'RSASSA_PKCS1_V1_5'] as const) {
        const digest = digestOf('sha256', message);
        const signature = await store.perform(rsa.ref, { kind: 'sign', spec: { scheme, hash: 'sha256', digest } });
        assert.ok(rsaVerifyDigest(rsaPub, scheme, 'sha256', digest, signature), scheme);
        assert.equal(rsaVerifyDigest(rsaPub, scheme, 'sha256', digestOf('sha256', other), signature), false, scheme);
      }
      const ec = await generate(store, arnOf('ec'), pair({ type: 'ec', curve: 'P-256' }));
      const ecPub = spki(ec.publicKey, 'ec');
      for (const isDigest of [false, true]) {
        const signed = isDigest ? digestOf('sha256', message) : message;
        const signature = await store.perform(ec.ref, { kind: 'sign', spec: { scheme: 'ECDSA', curve: 'P-256', hash: 'sha256', message: signed, isDigest } });
        assert.ok(ecdsaVerify('P-256', ecPub, 'sha256', signed, isDigest, signature), `ECDSA, digest ${isDigest}`);
        assert.equal(ecdsaVerify('P-256', ecPub, 'sha256', isDigest ? digestOf('sha256', other) : other, isDigest, signature), false);
      }
      const ed = await generate(store, arnOf('ed'), pair({ type: 'ed25519' }));
      const edPub = spki(ed.publicKey, 'ed25519');
      const edSig = await store.perform(ed.ref, { kind: 'sign', spec: { scheme: 'ED25519', message } });
      assert.ok(ed25519Verify(edPub, message, edSig));
      assert.equal(ed25519Verify(edPub, other, edSig), false);
      const phSig = await store.perform(ed.ref, { kind: 'sign', spec: { scheme: 'ED25519_PH', digest: message } });
      assert.ok(ed25519phVerify(edPub, message, phSig));
      assert.equal(ed25519phVerify(edPub, other, phSig), false);
      const ml = await generate(store, arnOf('ml'), pair({ type: 'ml-dsa', level: 44 }));
      const mlPub = spki(ml.publicKey, 'ml-dsa');
      const mlSig = await store.perform(ml.ref, { kind: 'sign', spec: { scheme: 'ML_DSA', level: 44, message, externalMu: false } });
      assert.ok(mlDsaVerify(44, mlPub, message, mlSig, false));
      assert.equal(mlDsaVerify(44, mlPub, other, mlSig, false), false);
    });

    run('mac and verify-mac: a MAC verifies for its message only; held material MACs as HMAC with it', async (store) => {
      const { ref } = await generate(store, arnOf('mac'), { kind: 'secret', bytes: 64 });
      const message = Buffer.from('authenticate me');
      const mac = await store.perform(ref, { kind: 'mac', hash: 'sha384', message });
      assert.equal(mac.length, 48);
      assert.deepEqual(await store.perform(ref, { kind: 'mac', hash: 'sha384', message }), mac, 'HMAC is deterministic');
      assert.equal(await store.perform(ref, { kind: 'verify-mac', hash: 'sha384', message, mac }), true);
      assert.equal(await store.perform(ref, { kind: 'verify-mac', hash: 'sha384', message: Buffer.from('another'), mac }), false);
      const changed = Buffer.from(mac);
      changed[0] = (changed[0] ?? 0) ^ 1;
      assert.equal(await store.perform(ref, { kind: 'verify-mac', hash: 'sha384', message, mac: changed }), false);
      const known = randomBytes(32);
      const held: MaterialRef = { keyArn: arnOf('held'), materialId: version(1), ...await store.hold(arnOf('held'), version(1), Buffer.from(known)) };
      assert.deepEqual(await store.perform(held, { kind: 'mac', hash: 'sha256', message }), hmac('sha256', known, message));
    });

    run('derive: the shared secret equals ECDH computed with the peer\'s private key and the key\'s public key', async (store) => {
      const { ref, publicKey } = await generate(store, arnOf('ka'), pair({ type: 'ec', curve: 'P-256' }));
      const peer = await generateKeyPair({ type: 'ec', curve: 'P-256' });
      const shared = await store.perform(ref, { kind: 'derive', curve: 'P-256', peerPublicKey: peer.publicKey });
      assert.equal(shared.length, 32);
      assert.deepEqual(shared, ecdh('P-256', peer.privateKey, spki(publicKey, 'ec')));
      const stranger = await generateKeyPair({ type: 'ec', curve: 'P-256' });
      assert.notDeepEqual(await store.perform(ref, { kind: 'derive', curve: 'P-256', peerPublicKey: stranger.publicKey }), shared);
      const wrongCurve = await generateKeyPair({ type: 'ec', curve: 'P-384' });
      await assert.rejects(store.perform(ref, { kind: 'derive', curve: 'P-256', peerPublicKey: wrongCurve.publicKey }), CryptoError);
    });

    run('hold: imported material performs as itself (a symmetric key opens what crypto/ sealed with it, a private key signs for its public key)', async (store) => {
      const known = randomBytes(32);
      const keyArn = arnOf('imported');
      const ref: MaterialRef = { keyArn, materialId: version(7), ...await store.hold(keyArn, version(7), Buffer.from(known)) };
      const outside = sealSymmetric({ keyId: 'imported', materialId: Buffer.from(version(7), 'hex'), backingKey: known, plaintext: Buffer.from('from outside'), encryptionContext: CONTEXT });
      assert.deepEqual(await store.perform(ref, { kind: 'decrypt', blob: outside, context: CONTEXT }), Buffer.from('from outside'));
      const inside = await store.perform(ref, { kind: 'encrypt', keyId: 'imported', plaintext: Buffer.from('from inside'), context: undefined });
      assert.deepEqual(openSymmetric(decodeBlob(inside), known), Buffer.from('from inside'));
      const ed = await generateKeyPair({ type: 'ed25519' });
      const signer: MaterialRef = { keyArn: arnOf('imported-ed'), materialId: version(8), ...await store.hold(arnOf('imported-ed'), version(8), Buffer.from(ed.privateKey)) };
      const signature = await store.perform(signer, { kind: 'sign', spec: { scheme: 'ED25519', message: Buffer.from('m') } });
      assert.ok(ed25519Verify(ed.publicKey, Buffer.from('m'), signature));
    });

    run('copy: the same material held for another key performs the same (a replica decrypts, MACs and signs as its primary)', async (store) => {
      const primary = arnOf('mrk-1');
      const replica = arnOf('mrk-1', 'eu-west-1');
      const sym = await generate(store, primary, secret);
      const symCopy: MaterialRef = { keyArn: replica, materialId: sym.ref.materialId, ...await store.copy(sym.ref, replica) };
      const blob = await store.perform(sym.ref, { kind: 'encrypt', keyId: 'mrk-1', plaintext: Buffer.from('replicated'), context: CONTEXT });
      assert.deepEqual(await store.perform(symCopy, { kind: 'decrypt', blob, context: CONTEXT }), Buffer.from('replicated'));
      const back = await store.perform(symCopy, { kind: 'encrypt', keyId: 'mrk-1', plaintext: Buffer.from('and back'), context: undefined });
      assert.deepEqual(await store.perform(sym.ref, { kind: 'decrypt', blob: back, context: undefined }), Buffer.from('and back'));
      const message = Buffer.from('m');
      assert.deepEqual(await store.perform(symCopy, { kind: 'mac', hash: 'sha256', message }), await store.perform(sym.ref, { kind: 'mac', hash: 'sha256', message }));
      const ec = await generate(store, arnOf('mrk-2'), pair({ type: 'ec', curve: 'P-256' }));
      const ecReplica = arnOf('mrk-2', 'eu-west-1');
      const ecCopy: MaterialRef = { keyArn: ecReplica, materialId: ec.ref.materialId, ...await store.copy(ec.ref, ecReplica) };
      const signature = await store.perform(ecCopy, { kind: 'sign', spec: { scheme: 'ECDSA', curve: 'P-256', hash: 'sha256', message, isDigest: false } });
      assert.ok(ecdsaVerify('P-256', spki(ec.publicKey, 'ec'), 'sha256', message, false, signature));
    });

    run('material of one key never opens as another\'s, nor as another version of the same key (a copy is the only way)', async (store) => {
      const a = await generate(store, arnOf('ka'), secret, 1);
      const blob = await store.perform(a.ref, { kind: 'encrypt', keyId: 'ka', plaintext: Buffer.from('p'), context: undefined });
      const asOtherKey: MaterialRef = { ...a.ref, keyArn: arnOf('kb') };
      const asOtherVersion: MaterialRef = { ...a.ref, materialId: version(2) };
      for (const ref of [asOtherKey, asOtherVersion]) {
        await assert.rejects(store.perform(ref, { kind: 'decrypt', blob, context: undefined }), CryptoError);
        await assert.rejects(store.perform(ref, { kind: 'mac', hash: 'sha256', message: Buffer.from('m') }), CryptoError);
      }
      // Nor is a copy made from a reference that is not the key's own.
      await assert.rejects(store.copy(asOtherKey, arnOf('kc')), CryptoError);
      assert.deepEqual(await store.perform(a.ref, { kind: 'decrypt', blob, context: undefined }), Buffer.from('p'));
    });

    run('seal and unseal: a round trip for each purpose; another purpose, owner or id does not open it', async (store) => {
      const owner = arnOf('k1');
      const id = version(9);
      for (const purpose of ['key-material', 'import-token'] as const) {
        const sealed = await store.seal(owner, id, Buffer.from(`sealed for ${purpose}`), purpose);
        assert.equal(sealed.wrapped.includes(Buffer.from(`sealed for ${purpose}`)), false);
        assert.deepEqual(await store.unseal(owner, id, sealed, purpose), Buffer.from(`sealed for ${purpose}`));
        const otherPurpose = purpose === 'key-material' ? 'import-token' : 'key-material';
        await assert.rejects(store.unseal(owner, id, sealed, otherPurpose), CryptoError, `${purpose} opened as ${otherPurpose}`);
        await assert.rejects(store.unseal(arnOf('k2'), id, sealed, purpose), CryptoError);
        await assert.rejects(store.unseal(owner, version(10), sealed, purpose), CryptoError);
      }
      // A sealed import token's parameters never perform as key material of the same key and id.
      const token = await store.seal(owner, id, randomBytes(32), 'import-token');
      await assert.rejects(store.perform({ keyArn: owner, materialId: id, ...token }, { kind: 'mac', hash: 'sha256', message: Buffer.from('m') }), CryptoError);
    });

    run(`forget: a version, then every version of a key; ${traits.performsAfterForget ? 'each still performs from its reference' : 'each is refused after'}`, async (store) => {
      const keyArn = arnOf('k1');
      const v1 = await generate(store, keyArn, secret, 1);
      const v2 = await generate(store, keyArn, secret, 2);
      const message = Buffer.from('m');
      const macs = [await store.perform(v1.ref, { kind: 'mac', hash: 'sha256', message }), await store.perform(v2.ref, { kind: 'mac', hash: 'sha256', message })];
      store.forget(keyArn, version(1));
      const after = async (ref: MaterialRef, mac: Buffer | undefined): Promise<void> => {
        if (traits.performsAfterForget) assert.deepEqual(await store.perform(ref, { kind: 'mac', hash: 'sha256', message }), mac);
        else await assert.rejects(store.perform(ref, { kind: 'mac', hash: 'sha256', message }), CryptoError);
      };
      await after(v1.ref, macs[0]);
      assert.deepEqual(await store.perform(v2.ref, { kind: 'mac', hash: 'sha256', message }), macs[1], 'another version is untouched');
      store.forget(keyArn);
      await after(v1.ref, macs[0]);
      await after(v2.ref, macs[1]);
    });
  });
}
