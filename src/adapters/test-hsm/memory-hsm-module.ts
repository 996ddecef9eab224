/**
 * TEST ONLY: a minimal in-memory HsmModule (ports/hsm.ts) for the CloudHSM control plane's tests
 * and COFFER_TEST_HSM=memory (honoured only with COFFER_TEST_MODE=true), until the colleague's
 * adapters/hsm/memory-module.ts (held to the HSM conformance suite) lands; then use that and
 * delete this. It keeps PINs, labels and serials as a token does, and does for real what the
 * control plane calls (RSA pairs, SHA256-RSA signatures, random); the key operations it does not
 * need fail with HsmError 'other'. `slots` free slots, as SoftHSM offers (no free slot:
 * 'no-free-slot').
 */
import { generateKeyPairSync, randomBytes, sign as rsaSign, timingSafeEqual, type KeyObject } from 'node:crypto';
import { HsmError, type HsmModule, type TokenAdmin, type TokenInfo, type TokenSession } from '../../ports/hsm.ts';

interface Token {
  readonly serial: string;
  label: string;
  soPin: string;
  userPin: string | undefined;
  readonly pairs: Map<string, { readonly privateKey: KeyObject; readonly spki: Buffer; readonly label: string }>;
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};
const unsupported = async (): Promise<never> => { throw new HsmError('other', 'CKR_FUNCTION_NOT_SUPPORTED', 'not in the test module'); };

export function createMemoryHsmModule(slots = 32): HsmModule {
  const tokens = new Map<string, Token>();
  let next = 1;
  const find = (serial: string): Token => {
    const t = tokens.get(serial);
    if (t === undefined) throw new HsmError('token-not-present', 'CKR_TOKEN_NOT_PRESENT', `no token with serial ${serial}`);
    return t;
  };
  const info = (t: Token): TokenInfo => ({ serial: t.serial, label: t.label, initialized: true, userPinInitialized: t.userPin !== undefined });
  const checkSo = (t: Token, pin: string): void => { if (!same(t.soPin, pin)) throw new HsmError('pin-incorrect', 'CKR_PIN_INCORRECT', 'wrong SO PIN'); };

  const session = (t: Token): TokenSession => {
    const pair = (id: Buffer) => {
      const p = t.pairs.get(id.toString('hex'));
      if (p === undefined) throw new HsmError('object-not-found', 'CKR_OBJECT_HANDLE_INVALID', 'no such object');
      return p;
    };
    return {
      generateAes: unsupported, encryptGcm: unsupported, decryptGcm: unsupported, wrap: unsupported, unwrap: unsupported,
      generateRsaPair: async (id, label, bits) => {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
        const spki = publicKey.export({ type: 'spki', format: 'der' });
        t.pairs.set(id.toString('hex'), { privateKey, spki, label });
        return spki;
      },
      rsaPublicKey: async (id) => Buffer.from(pair(id).spki),
      signRsaSha256: async (id, data) => rsaSign('sha256', data, pair(id).privateKey),
      has: async (id) => t.pairs.has(id.toString('hex')),
      list: async () => [...t.pairs.entries()].map(([id, p]) => ({ id: Buffer.from(id, 'hex'), label: p.label, kind: 'private' as const })),
      destroy: async (id) => (t.pairs.delete(id.toString('hex')) ? 2 : 0),
      random: async (n) => randomBytes(n),
      close: async () => undefined,
    };
  };

  return {
    description: 'in-memory test module',
    tokens: async () => [
      ...[...tokens.values()].map(info),
      ...Array.from({ length: Math.max(0, slots - tokens.size) }, () => ({ serial: '', label: '', initialized: false, userPinInitialized: false })),
    ],
    initToken: async (label, soPin) => {
      if (tokens.size >= slots) throw new HsmError('no-free-slot', 'CKR_SLOT_ID_INVALID', 'no free slot');
      const t: Token = { serial: `mem${String(next++).padStart(13, '0')}`, label, soPin, userPin: undefined, pairs: new Map() };
      tokens.set(t.serial, t);
      return info(t);
    },
    wipeToken: async (serial, soPin) => {
      const t = find(serial);
      checkSo(t, soPin);
      // The slot is free again (SoftHSM: a re-initialised token; here the slot returns to the pool).
      tokens.delete(serial);
    },
    openAdmin: async (serial, soPin): Promise<TokenAdmin> => {
      const t = find(serial);
      checkSo(t, soPin);
      return { initUserPin: async (pin) => { t.userPin = pin; }, createTrustedKey: unsupported, close: async () => undefined };
    },
    openSession: async (serial, pin) => {
      const t = find(serial);
      if (t.userPin === undefined || !same(t.userPin, pin)) throw new HsmError('pin-incorrect', 'CKR_PIN_INCORRECT', 'wrong user PIN');
      return session(t);
    },
    setUserPin: async (serial, oldPin, newPin) => {
      const t = find(serial);
      if (t.userPin === undefined || !same(t.userPin, oldPin)) throw new HsmError('pin-incorrect', 'CKR_PIN_INCORRECT', 'wrong user PIN');
      t.userPin = newPin;
    },
    close: async () => undefined,
  };
}
