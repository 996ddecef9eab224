/**
 * The conformance suite of the HSM port (ports/hsm.ts): the in-memory module and the PKCS#11
 * adapter on SoftHSM2 run these cases, so that code above the port can rely on one contract:
 * tokens found by serial, PINs checked, keys used by CKA_ID and never read back, results checked
 * with node:crypto (a signature against the returned SPKI; GCM against the key recovered from a
 * blob wrapped under a cluster key whose value the test chose), the refusals of sensitive,
 * unextractable and not-wrappable keys with their CKR_* codes, and a lost token failing calls
 * without taking the process down.
 *
 * A PKCS#11 library is loaded once per process and tokens cannot be deleted, so `open` may hand
 * every case the same module: cases make tokens of their own, with labels of their own, and never
 * count what they did not make.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createCipheriv, createDecipheriv, createPublicKey, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { HsmError, type HsmErrorKind, type HsmModule, type SecretKeyTemplate, type TokenInfo, type TokenSession } from '../../ports/hsm.ts';

export interface HsmModuleFixture {
  readonly module: HsmModule;
  /** Makes the token with this serial unreadable, as when its files are removed. */
  loseToken(serial: string): void;
  close(): Promise<void> | void;
}

const SO_PIN = 'so-pin-0000';
const USER_PIN = 'user-pin-1111';
const CK_ID = Buffer.from('c0ffee00', 'hex');
const KWP_IV = Buffer.from('a65959a6', 'hex');

const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
const keyId = (): Buffer => randomBytes(8);
const template = (id: Buffer, over: Partial<SecretKeyTemplate> = {}): SecretKeyTemplate => ({
  id, label: `key-${id.toString('hex')}`, usage: ['encrypt', 'decrypt'], wrapWithTrusted: true, extractable: true, ...over,
});

/** Rejects with an HsmError of this kind (and code, when given), whose message names no secret. */
async function rejects(p: Promise<unknown>, kind: HsmErrorKind | readonly HsmErrorKind[], code?: string, secrets: readonly string[] = []): Promise<HsmError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HsmError, `expected an HsmError, got ${String(caught)}`);
  const kinds: readonly HsmErrorKind[] = typeof kind === 'string' ? [kind] : kind;
  assert.ok(kinds.includes(caught.kind), `kind ${caught.kind} (${caught.code}: ${caught.message}) is not ${kinds.join(' or ')}`);
  if (code !== undefined) assert.equal(caught.code, code, caught.message);
  for (const s of [SO_PIN, USER_PIN, ...secrets]) assert.ok(!caught.message.includes(s), 'an error message names a secret');
  return caught;
}

/** A new token with the user PIN set and, when given, the cluster key installed by the SO. */
async function freshToken(m: HsmModule, label: string, clusterKey?: Buffer): Promise<TokenInfo> {
  const info = await m.initToken(label, SO_PIN);
  const admin = await m.openAdmin(info.serial, SO_PIN);
  try {
    await admin.initUserPin(USER_PIN);
    if (clusterKey !== undefined) await admin.createTrustedKey(CK_ID, 'cluster key', clusterKey);
  } finally {
    await admin.close();
  }
  return info;
}

function nodeGcm(key: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

export function hsmModuleConformance(adapter: string, open: () => Promise<HsmModuleFixture>, options: { readonly skip?: string | undefined } = {}): void {
  const run = (name: string, body: (f: HsmModuleFixture) => Promise<void>): void => {
    test(name, { skip: options.skip ?? false }, async () => {
      const f = await open();
      try {
        await body(f);
      } finally {
        await f.module.close();
        await f.close();
      }
    });
  };
  /** Runs `body` with a user session on a fresh token, closed afterwards. */
  const withSession = async (m: HsmModule, body: (s: TokenSession, info: TokenInfo) => Promise<void>, clusterKey?: Buffer): Promise<void> => {
    const info = await freshToken(m, unique('t'), clusterKey);
    const s = await m.openSession(info.serial, USER_PIN);
    try {
      await body(s, info);
    } finally {
      await s.close();
    }
  };

  describe(`HsmModule conformance: ${adapter}`, () => {
    run('initToken takes a free slot: a new serial, its label, no user PIN yet; a free slot remains', async ({ module: m }) => {
      const before = await m.tokens();
      assert.ok(before.some((t) => !t.initialized), 'a free slot to begin with');
      const label = unique('init');
      const info = await m.initToken(label, SO_PIN);
      assert.match(info.serial, /^[0-9a-f]{16}$/);
      assert.deepEqual(info, { serial: info.serial, label, initialized: true, userPinInitialized: false });
      assert.ok(!before.some((t) => t.serial === info.serial));
      const after = await m.tokens();
      assert.deepEqual(after.find((t) => t.serial === info.serial), info);
      assert.ok(after.some((t) => !t.initialized), 'a free slot after');
      await rejects(m.initToken('x'.repeat(33), SO_PIN), 'other', 'CKR_ARGUMENTS_BAD');
    });

    run('two tokens are distinct: their own serials, labels, PINs and objects', async ({ module: m }) => {
      const a = await freshToken(m, unique('a'));
      const b = await freshToken(m, unique('b'));
      assert.notEqual(a.serial, b.serial);
      const listed = await m.tokens();
      for (const t of [a, b]) assert.equal(listed.find((x) => x.serial === t.serial)?.userPinInitialized, true);
      await m.setUserPin(b.serial, USER_PIN, 'other-pin-2222');
      const sa = await m.openSession(a.serial, USER_PIN);
      const sb = await m.openSession(b.serial, 'other-pin-2222');
      try {
        const id = keyId();
        await sa.generateAes(template(id), 32);
        assert.equal(await sa.has(id), true);
        assert.equal(await sb.has(id), false);
        await rejects(sb.encryptGcm(id, randomBytes(12), Buffer.alloc(0), Buffer.from('x')), 'object-not-found');
      } finally {
        await sa.close();
        await sb.close();
      }
    });

    run('wipeToken: a wrong SO PIN is refused, open sessions are refused, then every object and the user PIN go', async ({ module: m }) => {
      const info = await freshToken(m, unique('wipe'));
      const id = keyId();
      const s = await m.openSession(info.serial, USER_PIN);
      await s.generateAes(template(id), 32);
      await rejects(m.wipeToken(info.serial, SO_PIN), 'other', 'CKR_SESSION_EXISTS');
      await s.close();
      await rejects(m.wipeToken(info.serial, 'wrong-so-pin'), 'pin-incorrect', 'CKR_PIN_INCORRECT');
      await m.wipeToken(info.serial, SO_PIN);
      assert.deepEqual((await m.tokens()).find((t) => t.serial === info.serial), { serial: info.serial, label: '', initialized: true, userPinInitialized: false });
      await rejects(m.openSession(info.serial, USER_PIN), 'other', 'CKR_USER_PIN_NOT_INITIALIZED');
      const admin = await m.openAdmin(info.serial, SO_PIN);
      await admin.initUserPin(USER_PIN);
      await admin.close();
      const again = await m.openSession(info.serial, USER_PIN);
      try {
        assert.equal(await again.has(id), false);
        assert.deepEqual(await again.list(), []);
      } finally {
        await again.close();
      }
    });

    run("a wrong PIN is 'pin-incorrect' (CKR_PIN_INCORRECT), for the user, the SO, and a second session of a logged-in token", async ({ module: m }) => {
      const info = await freshToken(m, unique('pin'));
      await rejects(m.openSession(info.serial, 'wrong-pin-9999'), 'pin-incorrect', 'CKR_PIN_INCORRECT', ['wrong-pin-9999']);
      await rejects(m.openAdmin(info.serial, 'wrong-so-9999'), 'pin-incorrect', 'CKR_PIN_INCORRECT', ['wrong-so-9999']);
      await rejects(m.openSession(info.serial, 'no'), 'other', 'CKR_PIN_LEN_RANGE');
      const s = await m.openSession(info.serial, USER_PIN);
      try {
        await rejects(m.openSession(info.serial, 'wrong-pin-9999'), 'pin-incorrect', 'CKR_PIN_INCORRECT');
        await rejects(m.openAdmin(info.serial, SO_PIN), 'other', 'CKR_USER_ANOTHER_ALREADY_LOGGED_IN');
      } finally {
        await s.close();
      }
      const admin = await m.openAdmin(info.serial, SO_PIN);
      try {
        await rejects(m.openSession(info.serial, USER_PIN), 'other', 'CKR_USER_ANOTHER_ALREADY_LOGGED_IN');
      } finally {
        await admin.close();
      }
      await rejects(m.openSession('0000000000000000', USER_PIN), 'token-not-present', 'COFFER_TOKEN_NOT_FOUND');
    });

    run('setUserPin: the new PIN opens, the old one is refused (with and without a session open)', async ({ module: m }) => {
      const info = await freshToken(m, unique('setpin'));
      await rejects(m.setUserPin(info.serial, 'wrong-pin-9999', 'new-pin-3333'), 'pin-incorrect', 'CKR_PIN_INCORRECT');
      await m.setUserPin(info.serial, USER_PIN, 'new-pin-3333');
      await rejects(m.openSession(info.serial, USER_PIN), 'pin-incorrect', 'CKR_PIN_INCORRECT');
      const s = await m.openSession(info.serial, 'new-pin-3333');
      try {
        await m.setUserPin(info.serial, 'new-pin-3333', 'newer-pin-4444');
        await rejects(m.openSession(info.serial, 'new-pin-3333'), 'pin-incorrect', 'CKR_PIN_INCORRECT');
        const second = await m.openSession(info.serial, 'newer-pin-4444');
        await second.close();
        assert.equal((await s.random(4)).length, 4, 'the first session still works');
      } finally {
        await s.close();
      }
      const last = await m.openSession(info.serial, 'newer-pin-4444');
      await last.close();
    });

    run("AES-GCM: decrypt(encrypt(x)) = x with AAD; a changed tag, AAD or IV is 'authentication'; usage is enforced", async ({ module: m }) => {
      await withSession(m, async (s) => {
        const id = keyId();
        await s.generateAes(template(id), 32);
        const iv = randomBytes(12);
        const aad = Buffer.from('context');
        for (const plaintext of [Buffer.alloc(0), Buffer.from('attack at dawn'), randomBytes(5000)]) {
          const ct = await s.encryptGcm(id, iv, aad, plaintext);
          assert.equal(ct.length, plaintext.length + 16);
          assert.deepEqual(await s.decryptGcm(id, iv, aad, ct), plaintext);
        }
        const ct = await s.encryptGcm(id, iv, aad, Buffer.from('secret words'));
        const bad = Buffer.from(ct);
        bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
        await rejects(s.decryptGcm(id, iv, aad, bad), 'authentication', undefined, ['secret words']);
        await rejects(s.decryptGcm(id, iv, Buffer.from('other'), ct), 'authentication');
        await rejects(s.decryptGcm(id, randomBytes(12), aad, ct), 'authentication');
        assert.deepEqual(await s.decryptGcm(id, iv, aad, ct), Buffer.from('secret words'), 'the key still works after failures');
        const encryptOnly = keyId();
        await s.generateAes(template(encryptOnly, { usage: ['encrypt'] }), 16);
        const ct2 = await s.encryptGcm(encryptOnly, iv, aad, Buffer.from('x'));
        await rejects(s.decryptGcm(encryptOnly, iv, aad, ct2), 'not-permitted', 'CKR_KEY_FUNCTION_NOT_PERMITTED');
        await rejects(s.generateAes(template(keyId()), 20), 'other', 'CKR_KEY_SIZE_RANGE');
        await rejects(s.encryptGcm(id, randomBytes(16), aad, Buffer.from('x')), 'other', 'CKR_MECHANISM_PARAM_INVALID');
      });
    });

    run("GCM inside the token equals node:crypto's AES-256-GCM with the key recovered from a blob under a known cluster key", async ({ module: m }) => {
      const ck = randomBytes(32);
      await withSession(m, async (s) => {
        const id = keyId();
        await s.generateAes(template(id), 32);
        const blob = await s.wrap(CK_ID, id);
        assert.equal(blob.length, 40, 'AES-KWP of 32 bytes');
        const d = createDecipheriv('id-aes256-wrap-pad', ck, KWP_IV);
        const key = Buffer.concat([d.update(blob), d.final()]);
        try {
          const iv = randomBytes(12);
          const aad = Buffer.from('aad');
          for (const plaintext of [Buffer.from('the same bytes on both sides'), Buffer.alloc(0), randomBytes(4096)]) {
            assert.deepEqual(await s.encryptGcm(id, iv, aad, plaintext), nodeGcm(key, iv, aad, plaintext));
            assert.deepEqual(await s.decryptGcm(id, iv, aad, nodeGcm(key, iv, aad, plaintext)), plaintext);
          }
        } finally {
          key.fill(0);
        }
      }, ck);
    });

    run('RSA: generateRsaPair answers an SPKI; signRsaSha256 verifies with node:crypto; the private key only signs', async ({ module: m }) => {
      await withSession(m, async (s) => {
        const id = keyId();
        const spki = await s.generateRsaPair(id, 'csr key', 2048);
        const pub = createPublicKey({ key: spki, format: 'der', type: 'spki' });
        assert.equal(pub.asymmetricKeyType, 'rsa');
        assert.equal(pub.asymmetricKeyDetails?.modulusLength, 2048);
        assert.deepEqual(await s.rsaPublicKey(id), spki);
        const data = Buffer.from('certification request info');
        const sig = await s.signRsaSha256(id, data);
        assert.equal(sig.length, 256);
        assert.equal(verify('sha256', data, pub, sig), true);
        assert.equal(verify('sha256', Buffer.from('something else'), pub, sig), false);
        const listed = (await s.list()).filter((o) => o.id.equals(id));
        assert.deepEqual(listed.map((o) => [o.kind, o.label]), [['private', 'csr key']]);
        await rejects(s.signRsaSha256(keyId(), data), 'object-not-found');
        await rejects(s.encryptGcm(id, randomBytes(12), Buffer.alloc(0), data), 'object-not-found');
      });
    });

    run('a cluster: two tokens with the same trusted key; a key wrapped on one unwraps on the other and decrypts its ciphertext', async ({ module: m }) => {
      const ck = randomBytes(32);
      const one = await freshToken(m, unique('hsm1'), ck);
      const two = await freshToken(m, unique('hsm2'), ck);
      const s1 = await m.openSession(one.serial, USER_PIN);
      const s2 = await m.openSession(two.serial, USER_PIN);
      try {
        const id = keyId();
        await s1.generateAes(template(id), 32);
        const iv = randomBytes(12);
        const aad = Buffer.from('cluster');
        const ct = await s1.encryptGcm(id, iv, aad, Buffer.from('replicated'));
        const blob = await s1.wrap(CK_ID, id);
        // A shared copy: never extractable again.
        await s2.unwrap(CK_ID, blob, template(id, { extractable: false }));
        assert.deepEqual(await s2.decryptGcm(id, iv, aad, ct), Buffer.from('replicated'));
        assert.deepEqual(await s1.decryptGcm(id, iv, aad, await s2.encryptGcm(id, iv, aad, Buffer.from('back'))), Buffer.from('back'));
        await rejects(s2.wrap(CK_ID, id), 'not-permitted', 'CKR_KEY_UNEXTRACTABLE');
        const tampered = Buffer.from(blob);
        tampered[5] = (tampered[5] ?? 0) ^ 1;
        await rejects(s2.unwrap(CK_ID, tampered, template(keyId())), 'authentication');
        // The cluster key wraps and unwraps only.
        await rejects(s1.encryptGcm(CK_ID, iv, aad, Buffer.from('x')), 'not-permitted', 'CKR_KEY_FUNCTION_NOT_PERMITTED');
      } finally {
        await s1.close();
        await s2.close();
      }
    });

    run("a WRAP_WITH_TRUSTED key under an ordinary AES key: 'not-permitted' (CKR_KEY_NOT_WRAPPABLE); an unextractable one: CKR_KEY_UNEXTRACTABLE", async ({ module: m }) => {
      await withSession(m, async (s) => {
        const kek = keyId();
        await s.generateAes(template(kek, { usage: ['wrap', 'unwrap'], wrapWithTrusted: false, extractable: false }), 32);
        const target = keyId();
        await s.generateAes(template(target), 32);
        await rejects(s.wrap(kek, target), 'not-permitted', 'CKR_KEY_NOT_WRAPPABLE');
        const sealed = keyId();
        await s.generateAes(template(sealed, { extractable: false }), 32);
        await rejects(s.wrap(CK_ID, sealed), 'not-permitted', 'CKR_KEY_UNEXTRACTABLE');
        await rejects(s.wrap(target, kek), 'not-permitted', 'CKR_KEY_FUNCTION_NOT_PERMITTED');
        assert.equal((await s.wrap(CK_ID, target)).length, 40, 'the trusted key wraps it');
      }, randomBytes(32));
    });

    run('has, list and destroy work by CKA_ID; a destroyed key is gone', async ({ module: m }) => {
      await withSession(m, async (s) => {
        const secret = keyId();
        const pair = keyId();
        await s.generateAes(template(secret, { label: 'the secret' }), 32);
        await s.generateRsaPair(pair, 'the pair', 2048);
        assert.equal(await s.has(secret), true);
        assert.equal(await s.has(pair), true);
        assert.equal(await s.has(keyId()), false);
        const listed = await s.list();
        assert.deepEqual(listed.map((o) => [o.id.toString('hex'), o.label, o.kind]).sort(), [
          [secret.toString('hex'), 'the secret', 'secret'],
          [pair.toString('hex'), 'the pair', 'private'],
        ].sort());
        assert.equal(await s.destroy(pair), 2, 'both halves of the pair');
        assert.equal(await s.destroy(secret), 1);
        assert.equal(await s.destroy(secret), 0);
        assert.equal(await s.has(secret), false);
        assert.deepEqual(await s.list(), []);
        await rejects(s.encryptGcm(secret, randomBytes(12), Buffer.alloc(0), Buffer.from('x')), 'object-not-found', 'COFFER_OBJECT_NOT_FOUND');
        await rejects(s.rsaPublicKey(pair), 'object-not-found');
      });
    });

    run('random answers the bytes asked for, different each time', async ({ module: m }) => {
      await withSession(m, async (s) => {
        const a = await s.random(32);
        const b = await s.random(32);
        assert.equal(a.length, 32);
        assert.notDeepEqual(a, b);
        assert.equal((await s.random(1)).length, 1);
        await rejects(s.random(0), 'other', 'CKR_ARGUMENTS_BAD');
      });
    });

    run('concurrency: 64 encrypts in flight on one session object all succeed, and two sessions of one token share its login', async ({ module: m }) => {
      await withSession(m, async (s, info) => {
        const id = keyId();
        await s.generateAes(template(id), 32);
        const aad = Buffer.from('parallel');
        const inputs = Array.from({ length: 64 }, (_, i) => ({ iv: randomBytes(12), plaintext: Buffer.from(`message ${i}`) }));
        const cts = await Promise.all(inputs.map((x) => s.encryptGcm(id, x.iv, aad, x.plaintext)));
        const plains = await Promise.all(cts.map((ct, i) => s.decryptGcm(id, inputs[i]?.iv ?? Buffer.alloc(0), aad, ct)));
        assert.deepEqual(plains, inputs.map((x) => x.plaintext));
        const other = await m.openSession(info.serial, USER_PIN);
        const [a, b] = await Promise.all([other.encryptGcm(id, inputs[0]?.iv ?? Buffer.alloc(0), aad, Buffer.from('x')), s.random(8)]);
        assert.equal(a.length, 17);
        assert.equal(b.length, 8);
        await other.close();
        await rejects(other.random(8), 'other', 'COFFER_SESSION_CLOSED');
        assert.equal(await s.has(id), true, 'closing one session leaves the other logged in');
      });
    });

    run('module.close closes the sessions and admins opened through it, ending their logins', async ({ module: m }) => {
      const info = await m.initToken(unique('close'), SO_PIN);
      const admin = await m.openAdmin(info.serial, SO_PIN);
      await admin.initUserPin(USER_PIN);
      await m.close();
      await rejects(admin.initUserPin('user-pin-2222'), 'other', 'COFFER_SESSION_CLOSED');
      const s = await m.openSession(info.serial, USER_PIN);
      await m.close();
      await rejects(s.random(4), 'other', 'COFFER_SESSION_CLOSED');
      await (await m.openAdmin(info.serial, SO_PIN)).close();
    });

    run("crypto users' keys: RSA and EC pairs sign (checked with node:crypto), private keys move only wrapped under the trusted key, a non-extractable copy cannot be wrapped, public keys are created from their SPKI", async ({ module: m }) => {
      const ck = randomBytes(32);
      const a = await freshToken(m, unique('cu-a'), ck);
      const b = await freshToken(m, unique('cu-b'), ck);
      const sa = await m.openSession(a.serial, USER_PIN);
      const sb = await m.openSession(b.serial, USER_PIN);
      try {
        const data = Buffer.from('sign me');
        for (const spec of [{ kind: 'rsa', bits: 2048, publicExponent: 65537 }, { kind: 'ec', curve: 'secp256r1' }, { kind: 'ec', curve: 'secp384r1' }] as const) {
          const priv = { id: keyId(), label: 'pair', keyType: spec.kind, usage: ['sign'], wrapWithTrusted: true, extractable: true } as const;
          const pub = { id: keyId(), label: 'pair', usage: ['verify'] } as const;
          const spki = await sa.generateKeyPair(spec, priv, pub);
          assert.deepEqual(await sa.publicKey(pub.id), spki);
          const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
          assert.equal(key.asymmetricKeyType, spec.kind);
          const mech = { scheme: spec.kind === 'rsa' ? 'rsa-pkcs' : 'ecdsa', hash: 'sha256' } as const;
          const check = (sig: Buffer) => verify('sha256', data, spec.kind === 'ec' ? { key, dsaEncoding: 'ieee-p1363' } : key, sig);
          assert.ok(check(await sa.sign(priv.id, mech, data)), `${spec.kind} signature verifies`);
          await rejects(sa.sign(priv.id, { scheme: spec.kind === 'rsa' ? 'ecdsa' : 'rsa-pkcs', hash: 'sha256' }, data), 'other', 'CKR_KEY_TYPE_INCONSISTENT');
          // Under an ordinary key it does not leave; under the trusted key it does, and unwraps elsewhere.
          const kek = keyId();
          await sa.generateAes(template(kek, { usage: ['wrap', 'unwrap'] }), 32);
          await rejects(sa.wrapPrivate(kek, priv.id), 'not-permitted', 'CKR_KEY_NOT_WRAPPABLE');
          const blob = await sa.wrapPrivate(CK_ID, priv.id);
          const copy = { ...priv, extractable: false };
          await sb.unwrapPrivate(CK_ID, blob, copy);
          await sb.createPublicKey(pub, spki);
          assert.deepEqual(await sb.publicKey(pub.id), spki);
          assert.ok(check(await sb.sign(priv.id, mech, data)), `${spec.kind} signature of the unwrapped copy verifies`);
          await rejects(sb.wrapPrivate(CK_ID, priv.id), 'not-permitted', 'CKR_KEY_UNEXTRACTABLE');
          await rejects(sb.unwrapPrivate(CK_ID, Buffer.concat([blob.subarray(0, 8), randomBytes(blob.length - 8)]), { ...priv, id: keyId() }), 'authentication');
          assert.equal(await sb.destroy(priv.id), 1);
          assert.equal(await sb.destroy(pub.id), 1);
        }
        // A generic secret, of whatever length, is wrapped and unwrapped as AES keys are.
        const g = template(keyId(), { keyType: 'generic-secret', usage: ['sign', 'verify'] });
        await rejects(sa.generateSecret(g, 801), 'other', 'CKR_KEY_SIZE_RANGE');
        await sa.generateSecret(g, 20);
        await sb.unwrap(CK_ID, await sa.wrap(CK_ID, g.id), { ...g, extractable: false });
        assert.equal(await sb.has(g.id), true);
        await rejects(sb.wrap(CK_ID, g.id), 'not-permitted', 'CKR_KEY_UNEXTRACTABLE');
      } finally {
        await sa.close();
        await sb.close();
      }
    });

    run('key wrap for crypto users: aes-no-pad (RFC 3394) and rsa-oaep (SHA-1) out of a masked blob and back in, checked against node:crypto with values the test chose', async ({ module: m }) => {
      const ck = randomBytes(32);
      await withSession(m, async (s) => {
        const priv = { id: keyId(), label: 'rsa', keyType: 'rsa', usage: ['unwrap'], wrapWithTrusted: true, extractable: true } as const;
        const pub = { id: keyId(), label: 'rsa', usage: ['wrap'] } as const;
        const spki = await s.generateKeyPair({ kind: 'rsa', bits: 2048, publicExponent: 65537 }, priv, pub);
        const rsa = createPublicKey({ key: spki, format: 'der', type: 'spki' });
        // A wrapping key whose value the test knows, brought in under RSA-OAEP.
        const w = randomBytes(32);
        const wId = keyId();
        await s.importWrapped(priv.id, 'rsa-oaep', publicEncrypt({ key: rsa, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, w), template(wId, { usage: ['wrap', 'unwrap'], wrapWithTrusted: false }));
        // A payload as the repository keeps it (masked under CK); out under w, as RFC 3394 says.
        const k = randomBytes(32);
        const kc = createCipheriv('id-aes256-wrap-pad', ck, KWP_IV);
        const masked = Buffer.concat([kc.update(k), kc.final()]);
        const out = await s.exportWrapped(CK_ID, masked, template(keyId()), wId, 'aes-no-pad');
        const wc = createCipheriv('id-aes256-wrap', w, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
        assert.deepEqual(out, Buffer.concat([wc.update(k), wc.final()]));
        // Out under the RSA public key, back in with the private key: the same value (read back through CK).
        const viaRsa = await s.exportWrapped(CK_ID, masked, template(keyId()), pub.id, 'rsa-oaep');
        assert.equal(viaRsa.length, 256);
        const k2 = keyId();
        await s.importWrapped(priv.id, 'rsa-oaep', viaRsa, template(k2));
        const back = createDecipheriv('id-aes256-wrap-pad', ck, KWP_IV);
        assert.deepEqual(Buffer.concat([back.update(await s.wrap(CK_ID, k2)), back.final()]), k);
        await rejects(s.importWrapped(wId, 'aes-no-pad', randomBytes(40), template(keyId())), ['authentication', 'other']);
        await rejects(s.exportWrapped(CK_ID, masked, template(keyId()), keyId(), 'aes-no-pad'), 'object-not-found');
      }, ck);
    });

    run("a lost token (its files removed): calls fail with 'token-not-present' or 'device-error', and close still works", async (f) => {
      const m = f.module;
      const info = await freshToken(m, unique('lost'));
      const s = await m.openSession(info.serial, USER_PIN);
      const id = keyId();
      await s.generateAes(template(id), 32);
      await s.encryptGcm(id, randomBytes(12), Buffer.alloc(0), Buffer.from('warm the handle cache'));
      f.loseToken(info.serial);
      const lost: readonly HsmErrorKind[] = ['token-not-present', 'device-error'];
      await rejects(s.encryptGcm(id, randomBytes(12), Buffer.alloc(0), Buffer.from('x')), lost);
      await rejects(s.generateAes(template(keyId()), 32), lost);
      await rejects(s.has(id), lost);
      await rejects(s.list(), lost);
      await rejects(s.random(8), lost);
      await s.close();
      assert.equal((await m.tokens()).some((t) => t.serial === info.serial), false);
      await rejects(m.openSession(info.serial, USER_PIN), lost);
    });
  });
}
