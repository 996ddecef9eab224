/**
 * The TokenSession port over a SessionPool. The calls that take time go through pkcs11js's async
 * variants (a libuv pool thread each), so the event loop never waits on the token; the C_*Init,
 * find and attribute calls are synchronous and fast (HSM.md §c).
 *
 * SoftHSM 2.6.1 answers a GCM tag that does not verify, and an AES-KWP blob that does not unwrap,
 * with CKR_GENERAL_ERROR rather than CKR_ENCRYPTED_DATA_INVALID / CKR_WRAPPED_KEY_INVALID; in
 * decrypt and unwrap such a failure is reported as kind 'authentication' (with the code the token
 * gave) once the token has been seen to answer, since a lost token fails the probe first.
 */
import { createHash } from 'node:crypto';
import { HsmError, type SecretKeyTemplate, type TokenSession, type WrapMechanism } from '../../ports/hsm.ts';
import { CKA, CKG_MGF1_SHA1, CKK, CKM, CKO } from './constants.ts';
import { hsmError, toHsmError } from './errors.ts';
import type { Handle, Mechanism, Pkcs11Library } from './library.ts';
import type { SessionPool } from './session-pool.ts';
import { rsaPairTemplates, rsaSpki, secretKeyTemplate } from './templates.ts';
import { privateKeyTemplate, publicKeyGenTemplate, publicKeyObjectTemplate, spkiOf } from './pair-templates.ts';

const RSA_PKCS = { sha256: CKM.SHA256_RSA_PKCS, sha384: CKM.SHA384_RSA_PKCS, sha512: CKM.SHA512_RSA_PKCS } as const;
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
const KWP: Mechanism = { mechanism: CKM.AES_KEY_WRAP_PAD };
/** Room for a KWP blob of an RSA-4096 private key (about 2.4 KB) and more. */
const WRAP_BUFFER_BYTES = 8192;
const UNAUTHENTIC = new Set(['CKR_GENERAL_ERROR', 'CKR_FUNCTION_FAILED', 'CKR_ENCRYPTED_DATA_INVALID', 'CKR_ENCRYPTED_DATA_LEN_RANGE', 'CKR_WRAPPED_KEY_INVALID', 'CKR_WRAPPED_KEY_LEN_RANGE']);

export function createTokenSession(lib: Pkcs11Library, pool: SessionPool, onClose: () => Promise<void>): TokenSession {
  const api = lib.api;
  const gcm = (iv: Buffer, aad: Buffer): Mechanism => {
    if (iv.length !== GCM_IV_BYTES) throw hsmError('CKR_MECHANISM_PARAM_INVALID', `AES-GCM needs a ${GCM_IV_BYTES}-byte IV`);
    return { mechanism: CKM.AES_GCM, parameter: { type: lib.gcmParamsType, iv, aad, ivBits: GCM_IV_BYTES * 8, tagBits: GCM_TAG_BYTES * 8 } };
  };
  /**
   * A decrypt or unwrap failure that means "does not verify" (once the token has answered the
   * probe) as an 'authentication' HsmError; any other failure as it came, so that a stale handle
   * is still found again by withObject.
   */
  const unauthentic = (e: unknown, action: string): unknown => {
    const err = toHsmError(e, action);
    if (!UNAUTHENTIC.has(err.code)) return e;
    pool.probe(action);
    return new HsmError('authentication', err.code, `${action}: the data does not authenticate (${err.code})`);
  };
  const wrapMechanism = (m: WrapMechanism): Mechanism => (m === 'aes-no-pad'
    ? { mechanism: CKM.AES_KEY_WRAP }
    : { mechanism: CKM.RSA_PKCS_OAEP, parameter: { type: lib.oaepParamsType, hashAlg: CKM.SHA_1, mgf: CKG_MGF1_SHA1, source: 1 } });
  let closed = false;
  const run = <T>(action: string, fn: (session: Handle) => Promise<T> | T): Promise<T> =>
    closed ? Promise.reject(hsmError('COFFER_SESSION_CLOSED', `${action}: this TokenSession is closed`)) : pool.run(action, fn);

  return {
    async generateAes(template, bytes) {
      if (bytes !== 16 && bytes !== 24 && bytes !== 32) throw hsmError('CKR_KEY_SIZE_RANGE', `AES keys are 16, 24 or 32 bytes, not ${bytes}`);
      await run('C_GenerateKey (AES)', async (s) => {
        await api.C_GenerateKeyAsync(s, { mechanism: CKM.AES_KEY_GEN }, secretKeyTemplate(template, bytes));
      });
    },

    async generateSecret(template, bytes) {
      const generic = template.keyType === 'generic-secret';
      if (generic ? !Number.isInteger(bytes) || bytes < 1 || bytes > 800 : bytes !== 16 && bytes !== 24 && bytes !== 32) {
        throw hsmError('CKR_KEY_SIZE_RANGE', `${generic ? 'generic secrets are 1 to 800' : 'AES keys are 16, 24 or 32'} bytes, not ${bytes}`);
      }
      await run(`C_GenerateKey (${generic ? 'GENERIC_SECRET' : 'AES'})`, async (s) => {
        await api.C_GenerateKeyAsync(s, { mechanism: generic ? CKM.GENERIC_SECRET_KEY_GEN : CKM.AES_KEY_GEN }, secretKeyTemplate(template, bytes));
      });
    },

    async generateKeyPair(spec, privateKey, publicKey) {
      const mechanism = spec.kind === 'ec' ? CKM.EC_KEY_PAIR_GEN : CKM.RSA_PKCS_KEY_PAIR_GEN;
      return run(`C_GenerateKeyPair (${spec.kind.toUpperCase()})`, async (s) => {
        const pair = await api.C_GenerateKeyPairAsync(s, { mechanism }, publicKeyGenTemplate(spec, publicKey), privateKeyTemplate(privateKey));
        return anyPublicKeyOf(s, pair.publicKey);
      });
    },

    async publicKey(id) {
      return run('reading a public key', (s) => pool.withObject(s, CKO.PUBLIC_KEY, id, (h) => anyPublicKeyOf(s, h)));
    },

    async sign(id, mechanism, data) {
      const ecdsa = mechanism.scheme === 'ecdsa';
      const mech = ecdsa ? CKM.ECDSA : RSA_PKCS[mechanism.hash];
      const input = ecdsa ? createHash(mechanism.hash).update(data).digest() : data;
      const action = `C_Sign (${mechanism.scheme}, ${mechanism.hash})`;
      return run(action, (s) => pool.withObject(s, CKO.PRIVATE_KEY, id, async (h) => {
        // SoftHSM answers a mechanism of the other key type with CKR_GENERAL_ERROR: refuse it here, as the standard says.
        if ((keyTypeOf(s, h) === CKK.EC) !== ecdsa) throw hsmError('CKR_KEY_TYPE_INCONSISTENT', action);
        api.C_SignInit(s, { mechanism: mech }, h);
        return Buffer.from(await api.C_SignAsync(s, input, Buffer.alloc(1024)));
      }));
    },

    async wrapPrivate(wrappingId, targetId) {
      return run('C_WrapKey (AES_KEY_WRAP_PAD, private key)', (s) => pool.withObject(s, CKO.SECRET_KEY, wrappingId, (wh) =>
        pool.withObject(s, CKO.PRIVATE_KEY, targetId, async (th) =>
          Buffer.from(await api.C_WrapKeyAsync(s, KWP, wh, th, Buffer.alloc(WRAP_BUFFER_BYTES))))));
    },

    async unwrapPrivate(wrappingId, wrapped, template) {
      await run('C_UnwrapKey (AES_KEY_WRAP_PAD, private key)', (s) => pool.withObject(s, CKO.SECRET_KEY, wrappingId, async (wh) => {
        try {
          await api.C_UnwrapKeyAsync(s, KWP, wh, wrapped, privateKeyTemplate(template));
        } catch (e) {
          throw unauthentic(e, 'C_UnwrapKey (AES_KEY_WRAP_PAD, private key)');
        }
      }));
    },

    async exportWrapped(trustedId, masked, payload, wrappingId, mechanism) {
      const mech = wrapMechanism(mechanism);
      // A session object, extractable under any key: destroyed before this returns.
      const transient = secretKeyTemplate({ ...payload, extractable: true, wrapWithTrusted: false }, undefined, false);
      return run(`C_WrapKey (${mechanism})`, (s) => pool.withObject(s, CKO.SECRET_KEY, trustedId, async (ck) => {
        const tmp = await api.C_UnwrapKeyAsync(s, KWP, ck, masked, transient);
        try {
          return await pool.withObject(s, mechanism === 'aes-no-pad' ? CKO.SECRET_KEY : CKO.PUBLIC_KEY, wrappingId, async (wh) =>
            Buffer.from(await api.C_WrapKeyAsync(s, mech, wh, tmp, Buffer.alloc(WRAP_BUFFER_BYTES))));
        } finally {
          api.C_DestroyObject(s, tmp);
        }
      }));
    },

    async importWrapped(unwrappingId, mechanism, wrapped, template) {
      const mech = wrapMechanism(mechanism);
      await run(`C_UnwrapKey (${mechanism})`, (s) => pool.withObject(s, mechanism === 'aes-no-pad' ? CKO.SECRET_KEY : CKO.PRIVATE_KEY, unwrappingId, async (uh) => {
        try {
          await api.C_UnwrapKeyAsync(s, mech, uh, wrapped, secretKeyTemplate(template));
        } catch (e) {
          throw unauthentic(e, `C_UnwrapKey (${mechanism})`);
        }
      }));
    },

    async createPublicKey(template, spki) {
      const attrs = publicKeyObjectTemplate(template, spki);
      await run('C_CreateObject (public key)', (s) => { api.C_CreateObject(s, attrs); });
    },

    async generateRsaPair(id, label, bits) {
      const t = rsaPairTemplates(id, label, bits);
      return run('C_GenerateKeyPair (RSA)', async (s) => {
        const pair = await api.C_GenerateKeyPairAsync(s, { mechanism: CKM.RSA_PKCS_KEY_PAIR_GEN }, t.publicKey, t.privateKey);
        return publicKeyOf(s, pair.publicKey);
      });
    },

    async rsaPublicKey(id) {
      return run('reading an RSA public key', (s) => pool.withObject(s, CKO.PUBLIC_KEY, id, (h) => publicKeyOf(s, h)));
    },

    async signRsaSha256(id, data) {
      return run('C_Sign (SHA256_RSA_PKCS)', (s) => pool.withObject(s, CKO.PRIVATE_KEY, id, async (h) => {
        api.C_SignInit(s, { mechanism: CKM.SHA256_RSA_PKCS }, h);
        return Buffer.from(await api.C_SignAsync(s, data, Buffer.alloc(1024)));
      }));
    },

    async encryptGcm(id, iv, aad, plaintext) {
      const mech = gcm(iv, aad);
      return run('C_Encrypt (AES-GCM)', (s) => pool.withObject(s, CKO.SECRET_KEY, id, async (h) => {
        api.C_EncryptInit(s, mech, h);
        const out = Buffer.alloc(plaintext.length + GCM_TAG_BYTES);
        // pkcs11js hands an empty input to the module as a null pointer (SoftHSM: CKR_ARGUMENTS_BAD);
        // the tag alone comes from C_EncryptFinal.
        return Buffer.from(plaintext.length === 0 ? await api.C_EncryptFinalAsync(s, out) : await api.C_EncryptAsync(s, plaintext, out));
      }));
    },

    async decryptGcm(id, iv, aad, ciphertextAndTag) {
      const mech = gcm(iv, aad);
      if (ciphertextAndTag.length < GCM_TAG_BYTES) throw hsmError('CKR_ENCRYPTED_DATA_LEN_RANGE', 'C_Decrypt (AES-GCM): shorter than its tag');
      return run('C_Decrypt (AES-GCM)', (s) => pool.withObject(s, CKO.SECRET_KEY, id, async (h) => {
        api.C_DecryptInit(s, mech, h);
        // SoftHSM wants room for the whole input; the answer is the plaintext only.
        const out = Buffer.alloc(ciphertextAndTag.length);
        try {
          const plain = await api.C_DecryptAsync(s, ciphertextAndTag, out);
          return Buffer.from(plain);
        } catch (e) {
          throw unauthentic(e, 'C_Decrypt (AES-GCM)');
        } finally {
          out.fill(0);
        }
      }));
    },

    async wrap(wrappingId, targetId) {
      return run('C_WrapKey (AES_KEY_WRAP_PAD)', (s) => pool.withObject(s, CKO.SECRET_KEY, wrappingId, (wh) =>
        pool.withObject(s, CKO.SECRET_KEY, targetId, async (th) =>
          Buffer.from(await api.C_WrapKeyAsync(s, KWP, wh, th, Buffer.alloc(WRAP_BUFFER_BYTES))))));
    },

    async unwrap(wrappingId, wrapped, template) {
      await run('C_UnwrapKey (AES_KEY_WRAP_PAD)', (s) => pool.withObject(s, CKO.SECRET_KEY, wrappingId, async (wh) => {
        try {
          await api.C_UnwrapKeyAsync(s, KWP, wh, wrapped, secretKeyTemplate(template));
        } catch (e) {
          throw unauthentic(e, 'C_UnwrapKey (AES_KEY_WRAP_PAD)');
        }
      }));
    },

    async has(id) {
      const found = await run('finding an object', (s) => pool.search(s, [{ type: CKA.ID, value: id }], 1).length > 0);
      if (!found) pool.probe('finding an object');
      return found;
    },

    async list() {
      return run('listing objects', (s) => {
        pool.probe('listing objects');
        const byId = new Map<string, { id: Buffer; label: string; kind: 'secret' | 'private' | 'public' }>();
        // Strongest class first: a pair is listed once, as its private key.
        for (const [cls, kind] of [[CKO.SECRET_KEY, 'secret'], [CKO.PRIVATE_KEY, 'private'], [CKO.PUBLIC_KEY, 'public']] as const) {
          for (const h of pool.search(s, [{ type: CKA.CLASS, value: cls }])) {
            const [idAttr, labelAttr] = api.C_GetAttributeValue(s, h, [{ type: CKA.ID }, { type: CKA.LABEL }]);
            const id = Buffer.from(idAttr?.value ?? Buffer.alloc(0));
            const hex = id.toString('hex');
            if (!byId.has(hex)) byId.set(hex, { id, label: (labelAttr?.value ?? Buffer.alloc(0)).toString('utf8'), kind });
          }
        }
        return [...byId.values()];
      });
    },

    async destroy(id) {
      const n = await run('C_DestroyObject', (s) => {
        const found = pool.search(s, [{ type: CKA.ID, value: id }]);
        for (const h of found) api.C_DestroyObject(s, h);
        return found.length;
      });
      pool.forget(id);
      if (n === 0) pool.probe('C_DestroyObject');
      return n;
    },

    async random(bytes) {
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1_048_576) throw hsmError('CKR_ARGUMENTS_BAD', 'C_GenerateRandom: 1 to 1048576 bytes');
      return run('C_GenerateRandom', (s) => {
        // SoftHSM answers random bytes from a token whose files are gone: ask the token (at most once a second).
        pool.check('C_GenerateRandom');
        return Buffer.from(api.C_GenerateRandom(s, Buffer.alloc(bytes)));
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      await onClose();
    },
  };

  function keyTypeOf(session: Handle, handle: Handle): number {
    const [kt] = api.C_GetAttributeValue(session, handle, [{ type: CKA.KEY_TYPE }]);
    return kt?.value === undefined || kt.value.length === 0 ? -1 : kt.value.readUIntLE(0, Math.min(kt.value.length, 6));
  }

  function anyPublicKeyOf(session: Handle, handle: Handle): Buffer {
    const keyType = keyTypeOf(session, handle);
    const wanted = keyType === 0 ? [CKA.MODULUS, CKA.PUBLIC_EXPONENT] : [CKA.EC_PARAMS, CKA.EC_POINT];
    const attrs = api.C_GetAttributeValue(session, handle, wanted.map((type) => ({ type })));
    return spkiOf(keyType, (type) => attrs.find((a) => a.type === type)?.value);
  }

  function publicKeyOf(session: Handle, handle: Handle): Buffer {
    const attrs = api.C_GetAttributeValue(session, handle, [{ type: CKA.MODULUS }, { type: CKA.PUBLIC_EXPONENT }]);
    const modulus = attrs.find((a) => a.type === CKA.MODULUS)?.value;
    const exponent = attrs.find((a) => a.type === CKA.PUBLIC_EXPONENT)?.value;
    if (modulus === undefined || exponent === undefined) throw hsmError('CKR_TEMPLATE_INCOMPLETE', 'reading an RSA public key');
    return rsaSpki(modulus, exponent);
  }
}
