/**
 * The HsmModule port over one PKCS#11 library (pkcs11js; SoftHSM2 in tests, a vendor's module in
 * production).
 *
 * PKCS#11 logs in per application and token, not per session: a second C_Login as the user answers
 * CKR_USER_ALREADY_LOGGED_IN without looking at the PIN, and the first logout ends the login of
 * every session. So every TokenSession this process opens on one token shares one SessionPool (and
 * one login): a later openSession must present the PIN the pool logged in with (compared as an HMAC
 * under a per-process random key, so the PIN itself is not kept), and the pool logs out when its
 * last TokenSession closes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { HsmModule, TokenAdmin, TokenInfo, TokenSession } from '../../ports/hsm.ts';
import { CKF_RW_SESSION, CKF_SERIAL_SESSION, CKU, LABEL_BYTES } from './constants.ts';
import { checkPinLength, checkTokenLabel, hsmError, toHsmError } from './errors.ts';
import { loadPkcs11Library, type Pkcs11Library } from './library.ts';
import { SessionPool } from './session-pool.ts';
import { openTokenAdmin } from './token-admin.ts';
import { createTokenSession } from './token-session.ts';

export interface Pkcs11ModuleOptions {
  /** Sessions each token's pool opens at most, one per operation in flight (default 8; the anchor session is extra). */
  readonly maxSessionsPerToken?: number;
}

interface SharedLogin {
  readonly pool: SessionPool;
  pinMac: Buffer;
  users: number;
}

const PIN_MAC_KEY = randomBytes(32);
const pinMac = (pin: string): Buffer => createHmac('sha256', PIN_MAC_KEY).update(pin, 'utf8').digest();
/** The user logins of this process, per library and token serial. */
const logins = new WeakMap<Pkcs11Library, Map<string, SharedLogin>>();

/** The PKCS#11 module at `path` (loaded and initialised once per process). */
export async function openPkcs11Module(path: string, options: Pkcs11ModuleOptions = {}): Promise<HsmModule> {
  const lib = await loadPkcs11Library(path);
  const maxSessions = options.maxSessionsPerToken ?? 8;
  let shared = logins.get(lib);
  if (shared === undefined) {
    shared = new Map();
    logins.set(lib, shared);
  }
  const byToken = shared;
  const open = new Set<TokenSession | TokenAdmin>();
  const api = lib.api;

  /** Logs in as the user on a session of its own, runs `fn`, logs out (no pool of this process holds the token). */
  const asUserOnce = (serial: string, pin: string, fn: (session: Buffer) => void): void => {
    const session = api.C_OpenSession(lib.slotOf(serial), CKF_RW_SESSION | CKF_SERIAL_SESSION);
    try {
      api.C_Login(session, CKU.USER, pin);
      try {
        fn(session);
      } finally {
        api.C_Logout(session);
      }
    } finally {
      api.C_CloseSession(session);
    }
  };

  return {
    description: path,

    async tokens(): Promise<readonly TokenInfo[]> {
      return lib.slots().map((s) => s.info);
    },

    async initToken(label, soPin) {
      checkTokenLabel(label);
      checkPinLength(soPin, 'C_InitToken');
      const before = lib.slots();
      const free = before.find((s) => !s.info.initialized);
      if (free === undefined) throw hsmError('COFFER_NO_FREE_SLOT', `no uninitialised slot in ${path}`);
      try {
        api.C_InitToken(free.slot, soPin, padLabel(label));
      } catch (e) {
        throw toHsmError(e, 'C_InitToken');
      }
      // The slot id may change with initialisation (HSM.md gotcha 4): find the new token by label and serial.
      const known = new Set(before.filter((s) => s.info.initialized).map((s) => s.info.serial));
      const made = lib.slots().find((s) => s.info.initialized && s.info.label === label && !known.has(s.info.serial));
      if (made === undefined) throw hsmError('CKR_DEVICE_ERROR', `C_InitToken: the token labelled ${JSON.stringify(label)} did not appear`);
      return made.info;
    },

    async wipeToken(serial, soPin) {
      const slot = lib.slotOf(serial);
      try {
        api.C_InitToken(slot, soPin, padLabel(''));
      } catch (e) {
        throw toHsmError(e, `C_InitToken (wipe) of token ${serial}`);
      }
    },

    async openAdmin(serial, soPin) {
      const admin = openTokenAdmin(lib, serial, soPin, () => open.delete(admin));
      open.add(admin);
      return admin;
    },

    async openSession(serial, userPin) {
      checkPinLength(userPin, 'C_Login');
      let login = byToken.get(serial);
      if (login !== undefined) {
        if (!timingSafeEqual(pinMac(userPin), login.pinMac)) throw hsmError('CKR_PIN_INCORRECT', `C_Login (user) on token ${serial}`);
        login.users++;
      } else {
        login = { pool: SessionPool.open(lib, serial, userPin, maxSessions), pinMac: pinMac(userPin), users: 1 };
        byToken.set(serial, login);
      }
      const mine = login;
      const session = createTokenSession(lib, mine.pool, async () => {
        open.delete(session);
        mine.users--;
        if (mine.users === 0) {
          if (byToken.get(serial) === mine) byToken.delete(serial);
          await mine.pool.close();
        }
      });
      open.add(session);
      return session;
    },

    async setUserPin(serial, oldPin, newPin) {
      checkPinLength(newPin, 'C_SetPIN');
      const login = byToken.get(serial);
      try {
        if (login !== undefined) {
          if (!timingSafeEqual(pinMac(oldPin), login.pinMac)) throw hsmError('CKR_PIN_INCORRECT', `C_SetPIN on token ${serial}`);
          api.C_SetPIN(login.pool.loginSession, oldPin, newPin);
          login.pinMac = pinMac(newPin);
        } else {
          asUserOnce(serial, oldPin, (s) => api.C_SetPIN(s, oldPin, newPin));
        }
      } catch (e) {
        throw toHsmError(e, `C_SetPIN on token ${serial}`);
      }
    },

    async close() {
      await Promise.allSettled([...open].map((o) => o.close()));
    },
  };
}

/** A label blank-padded to 32 bytes: pkcs11js pads C_InitToken's label with NULs, which PKCS#11 does not allow. */
function padLabel(label: string): string {
  return label + ' '.repeat(LABEL_BYTES - Buffer.byteLength(label, 'utf8'));
}
