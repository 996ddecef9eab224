/**
 * One PKCS#11 library per process: pkcs11js is loaded with a dynamic import (it is an optional
 * dependency with a native build), the module is loaded once per path and initialised with
 * CKF_OS_LOCKING_OK (without it concurrent async calls crash SoftHSM: HSM.md gotcha 5), and it is
 * finalised only when the process exits (C_Finalize while other threads work crashes: gotcha 17).
 *
 * The pkcs11js surface Coffer uses is declared here, structurally, so that the rest of the adapter
 * type-checks whether or not pkcs11js is installed.
 */
import { HsmError, type TokenInfo } from '../../ports/hsm.ts';
import { CKF_OS_LOCKING_OK, CKF_TOKEN_INITIALIZED, CKF_USER_PIN_INITIALIZED } from './constants.ts';
import { hsmError, toHsmError } from './errors.ts';

export type Handle = Buffer;

export interface Attribute {
  readonly type: number;
  readonly value?: number | boolean | string | Buffer;
}

export interface GcmParams {
  readonly type: number;
  readonly iv: Buffer;
  readonly aad: Buffer;
  readonly ivBits: number;
  readonly tagBits: number;
}

export interface OaepParams {
  readonly type: number;
  readonly hashAlg: number;
  readonly mgf: number;
  readonly source: number;
}

export interface Mechanism {
  readonly mechanism: number;
  readonly parameter?: Buffer | number | GcmParams | OaepParams;
}

interface RawTokenInfo {
  readonly label: string;
  readonly serialNumber: string;
  readonly flags: number;
}

/** The part of pkcs11js's PKCS11 class that Coffer calls. */
export interface Pkcs11Api {
  load(path: string): void;
  C_Initialize(options?: { flags?: number }): void;
  C_Finalize(): void;
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetTokenInfo(slot: Handle): RawTokenInfo;
  C_InitToken(slot: Handle, pin?: string, label?: string): string;
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_Logout(session: Handle): void;
  C_InitPIN(session: Handle, pin?: string): void;
  C_SetPIN(session: Handle, oldPin: string, newPin: string): void;
  C_CreateObject(session: Handle, template: readonly Attribute[]): Handle;
  C_DestroyObject(session: Handle, object: Handle): void;
  C_FindObjectsInit(session: Handle, template: readonly Attribute[]): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: readonly Attribute[]): { type: number; value: Buffer }[];
  C_EncryptInit(session: Handle, mechanism: Mechanism, key: Handle): void;
  C_EncryptAsync(session: Handle, inData: Buffer, outData: Buffer): Promise<Buffer>;
  C_EncryptFinalAsync(session: Handle, outData: Buffer): Promise<Buffer>;
  C_DecryptInit(session: Handle, mechanism: Mechanism, key: Handle): void;
  C_DecryptAsync(session: Handle, inData: Buffer, outData: Buffer): Promise<Buffer>;
  C_SignInit(session: Handle, mechanism: Mechanism, key: Handle): void;
  C_SignAsync(session: Handle, inData: Buffer, outData: Buffer): Promise<Buffer>;
  C_GenerateKeyAsync(session: Handle, mechanism: Mechanism, template: readonly Attribute[]): Promise<Handle>;
  C_GenerateKeyPairAsync(session: Handle, mechanism: Mechanism, publicTemplate: readonly Attribute[], privateTemplate: readonly Attribute[]): Promise<{ publicKey: Handle; privateKey: Handle }>;
  C_WrapKeyAsync(session: Handle, mechanism: Mechanism, wrappingKey: Handle, key: Handle, wrappedKey: Buffer): Promise<Buffer>;
  C_UnwrapKeyAsync(session: Handle, mechanism: Mechanism, unwrappingKey: Handle, wrappedKey: Buffer, template: readonly Attribute[]): Promise<Handle>;
  C_GenerateRandom(session: Handle, buf: Buffer): Buffer;
}

interface Pkcs11js {
  readonly PKCS11: new () => Pkcs11Api;
  /** pkcs11js's tag for the 6-field CK_GCM_PARAMS (with ulIvBits), which SoftHSM 2.6.1 reads correctly. */
  readonly CK_PARAMS_GCM: number;
  readonly CK_PARAMS_RSA_OAEP: number;
}

export const PKCS11JS_MISSING =
  'pkcs11js is not installed (an optional dependency with a native build): install a C++ toolchain and Node headers '
  + '(apt-get install build-essential python3), then run npm ci; for SoftHSM2: apt-get install softhsm2 opensc';

/** A slot and the token in it, as listed now (slot ids change when a token is initialised: HSM.md gotcha 4). */
export interface SlotToken {
  readonly slot: Handle;
  readonly info: TokenInfo;
}

/** A loaded, initialised PKCS#11 library. */
export interface Pkcs11Library {
  readonly path: string;
  readonly api: Pkcs11Api;
  readonly gcmParamsType: number;
  readonly oaepParamsType: number;
  /** Every slot whose token answers C_GetTokenInfo (a lost SoftHSM token does not: it is left out). */
  slots(): SlotToken[];
  /** The slot of the initialised token with this serial; HsmError 'token-not-present' when there is none. */
  slotOf(serial: string): Handle;
}

/** A PKCS#11 text field without its blank (or, from pkcs11js's C_InitToken, NUL) padding. */
export const unpad = (s: string): string => s.replace(/[\s\0]+$/, '');

const libraries = new Map<string, Promise<Pkcs11Library>>();

/** The library at `path`, loaded and initialised on first use in this process. */
export function loadPkcs11Library(path: string): Promise<Pkcs11Library> {
  let p = libraries.get(path);
  if (p === undefined) {
    p = load(path);
    libraries.set(path, p);
    p.catch(() => libraries.delete(path));
  }
  return p;
}

async function importPkcs11js(): Promise<Pkcs11js> {
  const specifier = 'pkcs11js';
  let loaded: unknown;
  try {
    loaded = await import(specifier);
  } catch {
    throw new HsmError('other', 'COFFER_PKCS11JS_MISSING', PKCS11JS_MISSING);
  }
  const m = (loaded as { default?: unknown }).default ?? loaded;
  if (typeof m !== 'object' || m === null || typeof (m as { PKCS11?: unknown }).PKCS11 !== 'function' || typeof (m as { CK_PARAMS_GCM?: unknown }).CK_PARAMS_GCM !== 'number') {
    throw new HsmError('other', 'COFFER_PKCS11JS_MISSING', `pkcs11js does not look like pkcs11js 2.x: ${PKCS11JS_MISSING}`);
  }
  return m as Pkcs11js;
}

async function load(path: string): Promise<Pkcs11Library> {
  const js = await importPkcs11js();
  const api = new js.PKCS11();
  try {
    api.load(path);
  } catch (e) {
    throw toHsmError(e, `loading the PKCS#11 module ${path}`);
  }
  try {
    api.C_Initialize({ flags: CKF_OS_LOCKING_OK });
  } catch (e) {
    const err = toHsmError(e, `C_Initialize of ${path}`);
    // SoftHSM reports every configuration problem this way (HSM.md gotcha 2).
    if (err.code === 'CKR_GENERAL_ERROR') throw new HsmError(err.kind, err.code, `${err.message} (SoftHSM: check SOFTHSM2_CONF, its directories.tokendir and objectstore.backend = file)`);
    throw err;
  }
  process.once('exit', () => {
    try {
      api.C_Finalize();
    } catch {
      // The process is ending anyway.
    }
  });

  const slots = (): SlotToken[] => {
    let list: Handle[];
    try {
      list = api.C_GetSlotList(false);
    } catch (e) {
      throw toHsmError(e, 'C_GetSlotList');
    }
    const out: SlotToken[] = [];
    for (const slot of list) {
      let raw: RawTokenInfo;
      try {
        raw = api.C_GetTokenInfo(slot);
      } catch {
        continue; // no token in the slot, or a token that cannot be read (its files gone)
      }
      out.push({
        slot,
        info: {
          serial: unpad(raw.serialNumber),
          label: unpad(raw.label),
          initialized: (raw.flags & CKF_TOKEN_INITIALIZED) !== 0,
          userPinInitialized: (raw.flags & CKF_USER_PIN_INITIALIZED) !== 0,
        },
      });
    }
    return out;
  };

  return {
    path,
    api,
    gcmParamsType: js.CK_PARAMS_GCM,
    oaepParamsType: js.CK_PARAMS_RSA_OAEP,
    slots,
    slotOf(serial) {
      const found = slots().find((s) => s.info.initialized && s.info.serial === serial);
      if (found === undefined) throw hsmError('COFFER_TOKEN_NOT_FOUND', `no token with serial ${serial} in ${path}`);
      return found.slot;
    },
  };
}
