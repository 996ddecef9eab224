/**
 * The root seal: what wraps the domain keys. Three kinds, one contract:
 * - `key-file` and `passphrase`: a 32-byte root key in this process's memory (from the data
 *   folder's key file, or scrypt of COFFER_ROOT_PASSPHRASE over the stored salt); a domain key is
 *   wrapped with AES-256-GCM in process (crypto/wrap.ts, layout version 1).
 * - `pkcs11`: the root key is a non-extractable AES-256 key inside a token and never leaves it; a
 *   domain key is wrapped by AES-GCM inside the token (layout version 2: u8 2 | iv 12 | ciphertext
 *   || tag 16), under a 96-bit IV Coffer draws (tokens let a caller reuse an IV; HSM.md gotcha 8).
 *
 * The first byte of a wrapped domain key says which kind of seal made it, so a data folder opened
 * with another seal than its own stops with a message saying which, instead of failing to
 * authenticate. Any failure to unwrap is an AuthenticationError (or, for a token, an HsmError of
 * a kind other than 'authentication': the token is away, the PIN is wrong).
 */
import { randomBytes, zero } from '../../crypto/bytes.ts';
import { AuthenticationError, SealError } from '../../crypto/errors.ts';
import { WRAP_VERSION, unwrapKey, wrapKey } from '../../crypto/wrap.ts';
import { HsmError, type HsmModule, type TokenSession } from '../../ports/hsm.ts';

export type SealKind = 'key-file' | 'passphrase' | 'pkcs11';

export interface RootSeal {
  readonly kind: SealKind;
  /** Wraps a domain key; the caller zeroes its copy. */
  wrap(key: Buffer, aad: Buffer): Promise<Buffer>;
  /** Unwraps what `wrap` made (the caller zeroes the result); anything else is an AuthenticationError. */
  unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer>;
  /** Whether `wrapped` has the layout this kind of seal makes. */
  made(wrapped: Buffer): boolean;
  /** Zeroes the root key, or logs out of the token. */
  close(): Promise<void>;
}

export const TOKEN_WRAP_VERSION = 2;
const IV = 12;
const TAG = 16;

/** The kind of seal whose layout `wrapped` has: version 1 is a software seal (key file or passphrase), 2 a token. */
export const sealLayoutOf = (wrapped: Buffer): 'software' | 'pkcs11' | 'unknown' =>
  (wrapped[0] === WRAP_VERSION ? 'software' : wrapped[0] === TOKEN_WRAP_VERSION ? 'pkcs11' : 'unknown');

/** A seal on a root key held in memory; takes ownership of `rootKey` (zeroed at close). */
export function softwareRootSeal(kind: 'key-file' | 'passphrase', rootKey: Buffer): RootSeal {
  return {
    kind,
    wrap: async (key, aad) => wrapKey(rootKey, key, aad),
    unwrap: async (wrapped, aad) => unwrapKey(rootKey, wrapped, aad),
    made: (wrapped) => sealLayoutOf(wrapped) === 'software',
    close: async () => { zero(rootKey); },
  };
}

/** Where the token seal's root key is: the token (by label), its user PIN, and the key's label. */
export interface TokenSealSettings {
  readonly tokenLabel: string;
  readonly pin: string;
  readonly keyLabel: string;
}

/**
 * Opens the token seal: finds the token by label, logs in, and finds the root key by its label
 * (as CKA_ID and CKA_LABEL), generating it inside the token on first use (`created`). A missing
 * token, a wrong PIN or a failing module is a SealError naming the setting to check.
 */
export async function openTokenRootSeal(module: HsmModule, s: TokenSealSettings): Promise<RootSeal & { readonly created: boolean }> {
  const token = (await module.tokens()).find((t) => t.initialized && t.label === s.tokenLabel);
  if (token === undefined) {
    throw new SealError(`no initialised token labelled "${s.tokenLabel}" in ${module.description} (COFFER_SEAL_PKCS11_TOKEN_LABEL)`);
  }
  let session: TokenSession;
  try {
    session = await module.openSession(token.serial, s.pin);
  } catch (e) {
    if (e instanceof HsmError && (e.kind === 'pin-incorrect' || e.kind === 'pin-locked')) {
      throw new SealError(`the token "${s.tokenLabel}" refused COFFER_SEAL_PKCS11_PIN (${e.code})`);
    }
    throw e;
  }
  const id = Buffer.from(s.keyLabel, 'utf8');
  let created = false;
  try {
    if (!(await session.has(id))) {
      await session.generateAes({ id, label: s.keyLabel, usage: ['encrypt', 'decrypt'], wrapWithTrusted: false, extractable: false }, 32);
      created = true;
    }
  } catch (e) {
    await session.close();
    throw e;
  }
  return {
    kind: 'pkcs11',
    created,
    async wrap(key, aad) {
      const iv = randomBytes(IV);
      return Buffer.concat([Buffer.of(TOKEN_WRAP_VERSION), iv, await session.encryptGcm(id, iv, aad, key)]);
    },
    async unwrap(wrapped, aad) {
      if (wrapped.length < 1 + IV + TAG + 1 || wrapped[0] !== TOKEN_WRAP_VERSION) throw new AuthenticationError('authentication failed');
      try {
        return await session.decryptGcm(id, wrapped.subarray(1, 1 + IV), aad, wrapped.subarray(1 + IV));
      } catch (e) {
        if (e instanceof HsmError && e.kind === 'authentication') throw new AuthenticationError('authentication failed');
        throw e;
      }
    },
    made: (wrapped) => sealLayoutOf(wrapped) === 'pkcs11',
    close: () => session.close(),
  };
}
