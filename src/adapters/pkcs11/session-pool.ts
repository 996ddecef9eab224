/**
 * The sessions of one logged-in token user. PKCS#11 logs in per application and token, and a
 * session runs one operation at a time (CKR_OPERATION_ACTIVE: HSM.md gotcha 7), so:
 * - an anchor session logs in once and stays open for the pool's life (the login ends when a
 *   token's last session closes), and is never used for operations;
 * - each in-flight operation borrows its own session, up to `max`; further callers queue in order;
 * - a session whose operation failed is closed rather than reused (it may hold a half-done search
 *   or operation), and a new one is opened on demand;
 * - object handles are cached by class and CKA_ID; handles belong to this login (gotcha 6), so the
 *   cache lives and dies with the pool, and a stale handle (another process destroyed the object)
 *   is dropped and found again once (`withObject`).
 * A failure is checked against the token itself (C_GetTokenInfo): when the token is gone, the
 * caller sees 'token-not-present' or 'device-error' rather than what the failing call said.
 * C_GetTokenInfo is not cheap (SoftHSM reads the token's file: 43 µs against 2 µs for 32 random
 * bytes, measured), so a call that checks the token without having failed (`check`) relies on a
 * probe that answered within the last second; a probe that fails forgets that answer.
 */
import type { HsmError } from '../../ports/hsm.ts';
import { CKA, CKF_RW_SESSION, CKF_SERIAL_SESSION, CKU } from './constants.ts';
import { ckrOf, hsmError, toHsmError } from './errors.ts';
import { unpad, type Handle, type Pkcs11Library } from './library.ts';

const STALE_HANDLE = new Set(['CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID', 'CKR_WRAPPING_KEY_HANDLE_INVALID', 'CKR_UNWRAPPING_KEY_HANDLE_INVALID']);
const FLAGS = CKF_RW_SESSION | CKF_SERIAL_SESSION;
/** How long a probe's "the token answers" stands for `check`. */
const PROBE_STANDS_MS = 1000;

interface Waiter {
  resolve(session: Handle): void;
  reject(e: Error): void;
}

export class SessionPool {
  private readonly idle: Handle[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly handles = new Map<string, Handle>();
  private readonly inflight = new Set<Promise<unknown>>();
  private opened = 0;
  private closed = false;
  /** When the token last answered a probe (performance.now()); -Infinity: not since the last failed one. */
  private answeredAt = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly lib: Pkcs11Library,
    readonly serial: string,
    private readonly slot: Handle,
    private readonly anchor: Handle,
    private readonly max: number,
  ) {}

  /** Opens the anchor session and logs in as the user; a wrong PIN is 'pin-incorrect'. */
  static open(lib: Pkcs11Library, serial: string, pin: string, max: number): SessionPool {
    const slot = lib.slotOf(serial);
    let anchor: Handle;
    try {
      anchor = lib.api.C_OpenSession(slot, FLAGS);
    } catch (e) {
      throw toHsmError(e, `C_OpenSession on token ${serial}`);
    }
    try {
      lib.api.C_Login(anchor, CKU.USER, pin);
    } catch (e) {
      try {
        lib.api.C_CloseSession(anchor);
      } catch {
        // already unusable
      }
      throw toHsmError(e, `C_Login (user) on token ${serial}`);
    }
    return new SessionPool(lib, serial, slot, anchor, max);
  }

  /** The anchor session, for the calls that are not operations (C_SetPIN). */
  get loginSession(): Handle {
    return this.anchor;
  }

  /**
   * Runs `fn` on a session of its own. Every failure comes out as an HsmError saying `action`; a
   * failure on a token that no longer answers comes out as the token's error.
   */
  async run<T>(action: string, fn: (session: Handle) => Promise<T> | T): Promise<T> {
    const session = await this.acquire(action);
    const p = (async () => {
      try {
        const result = await fn(session);
        this.release(session);
        return result;
      } catch (e) {
        this.discard(session);
        throw this.explain(e, action);
      }
    })();
    this.inflight.add(p);
    try {
      return await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  /** Runs `fn` with the handle of the object of class `cls` and this CKA_ID, finding it again once if the cached handle went stale. */
  async withObject<T>(session: Handle, cls: number, id: Buffer, fn: (handle: Handle) => Promise<T> | T): Promise<T> {
    const first = this.find(session, cls, id);
    try {
      return await fn(first);
    } catch (e) {
      const ckr = ckrOf(e);
      if (ckr === undefined || !STALE_HANDLE.has(ckr)) throw e;
      this.handles.delete(cacheKey(cls, id));
      return await fn(this.find(session, cls, id));
    }
  }

  /** The handle of the object of class `cls` with this CKA_ID (cached); HsmError 'object-not-found'. */
  find(session: Handle, cls: number, id: Buffer): Handle {
    const key = cacheKey(cls, id);
    const cached = this.handles.get(key);
    if (cached !== undefined) return cached;
    const [found] = this.search(session, [{ type: CKA.CLASS, value: cls }, { type: CKA.ID, value: id }], 1);
    if (found === undefined) throw hsmError('COFFER_OBJECT_NOT_FOUND', `no object with CKA_ID ${id.toString('hex')} on token ${this.serial}`);
    this.handles.set(key, found);
    return found;
  }

  /** C_FindObjects over a template (not cached), always finalised. */
  search(session: Handle, template: readonly { type: number; value: number | Buffer }[], max = 10_000): Handle[] {
    const api = this.lib.api;
    api.C_FindObjectsInit(session, template);
    try {
      return api.C_FindObjects(session, max);
    } finally {
      api.C_FindObjectsFinal(session);
    }
  }

  /** Drops the cached handles of the objects with this CKA_ID (after destroying them). */
  forget(id: Buffer): void {
    const hex = id.toString('hex');
    for (const key of [...this.handles.keys()]) if (key.endsWith(`:${hex}`)) this.handles.delete(key);
  }

  /** Throws the token's own error when it no longer answers as the token with our serial. */
  probe(action: string): void {
    this.answeredAt = Number.NEGATIVE_INFINITY;
    let serial: string;
    try {
      serial = unpad(this.lib.api.C_GetTokenInfo(this.slot).serialNumber);
    } catch (e) {
      const err = toHsmError(e, `${action} (token ${this.serial} does not answer)`);
      if (err.kind === 'other') throw hsmError('CKR_DEVICE_ERROR', `${action} (token ${this.serial} does not answer)`);
      throw err;
    }
    if (serial !== this.serial) throw hsmError('CKR_TOKEN_NOT_PRESENT', `${action} (token ${this.serial} is no longer in its slot)`);
    this.answeredAt = performance.now();
  }

  /** `probe`, unless the token answered one within the last second (for calls that succeed on a lost SoftHSM token). */
  check(action: string): void {
    if (performance.now() - this.answeredAt < PROBE_STANDS_MS) return;
    this.probe(action);
  }

  /** Waits for the operations in flight, then logs out and closes every session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(hsmError('COFFER_SESSION_CLOSED', `token ${this.serial}: session closed`));
    await Promise.allSettled([...this.inflight]);
    const api = this.lib.api;
    for (const s of this.idle.splice(0)) {
      try {
        api.C_CloseSession(s);
      } catch {
        // a lost token: nothing to close
      }
    }
    this.handles.clear();
    try {
      api.C_Logout(this.anchor);
    } catch {
      // not logged in any more, or the token is gone
    }
    try {
      api.C_CloseSession(this.anchor);
    } catch {
      // idem
    }
  }

  private explain(e: unknown, action: string): HsmError {
    const err = toHsmError(e, action);
    if (err.kind === 'object-not-found' || err.kind === 'device-error' || err.kind === 'authentication' || err.kind === 'other') {
      this.probe(action);
    }
    return err;
  }

  private acquire(action: string): Promise<Handle> {
    if (this.closed) return Promise.reject(hsmError('COFFER_SESSION_CLOSED', `${action}: the session of token ${this.serial} is closed`));
    const idle = this.idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.opened < this.max) {
      this.opened++;
      try {
        return Promise.resolve(this.lib.api.C_OpenSession(this.slot, FLAGS));
      } catch (e) {
        this.opened--;
        try {
          this.probe(action);
        } catch (gone) {
          return Promise.reject(gone);
        }
        return Promise.reject(toHsmError(e, `C_OpenSession on token ${this.serial}`));
      }
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(session: Handle): void {
    if (this.closed) {
      this.close1(session);
      return;
    }
    const w = this.waiters.shift();
    if (w !== undefined) w.resolve(session);
    else this.idle.push(session);
  }

  private discard(session: Handle): void {
    this.close1(session);
    const w = this.waiters.shift();
    if (w !== undefined) this.acquire('a waiting operation').then(w.resolve, w.reject);
  }

  private close1(session: Handle): void {
    this.opened--;
    try {
      this.lib.api.C_CloseSession(session);
    } catch {
      // the session or its token is gone already
    }
  }
}

const cacheKey = (cls: number, id: Buffer): string => `${cls}:${id.toString('hex')}`;
