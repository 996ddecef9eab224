/**
 * The TokenAdmin port: one session logged in as the token's security officer. The SO and the user
 * cannot be logged in to one token by one application at once (CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
 * so an admin is opened, used and closed while no user session of this process is open on the token.
 */
import type { TokenAdmin } from '../../ports/hsm.ts';
import { CKF_RW_SESSION, CKF_SERIAL_SESSION, CKU } from './constants.ts';
import { checkPinLength, hsmError, toHsmError } from './errors.ts';
import type { Handle, Pkcs11Library } from './library.ts';
import { trustedKeyTemplate } from './templates.ts';

export function openTokenAdmin(lib: Pkcs11Library, serial: string, soPin: string, onClose: () => void): TokenAdmin {
  const api = lib.api;
  const slot = lib.slotOf(serial);
  let session: Handle;
  try {
    session = api.C_OpenSession(slot, CKF_RW_SESSION | CKF_SERIAL_SESSION);
  } catch (e) {
    throw toHsmError(e, `C_OpenSession on token ${serial}`);
  }
  try {
    api.C_Login(session, CKU.SO, soPin);
  } catch (e) {
    closeQuietly();
    throw toHsmError(e, `C_Login (SO) on token ${serial}`);
  }
  let closed = false;
  const live = (action: string): Handle => {
    if (closed) throw hsmError('COFFER_SESSION_CLOSED', `${action}: the SO session of token ${serial} is closed`);
    return session;
  };

  return {
    async initUserPin(userPin) {
      checkPinLength(userPin, 'C_InitPIN');
      const s = live('C_InitPIN');
      try {
        api.C_InitPIN(s, userPin);
      } catch (e) {
        throw toHsmError(e, `C_InitPIN on token ${serial}`);
      }
    },
    async createTrustedKey(id, label, value) {
      if (value.length !== 32) throw hsmError('CKR_ATTRIBUTE_VALUE_INVALID', 'the cluster key is 32 bytes (AES-256)');
      const s = live('C_CreateObject (trusted key)');
      try {
        api.C_CreateObject(s, trustedKeyTemplate(id, label, value));
      } catch (e) {
        throw toHsmError(e, `C_CreateObject (trusted key) on token ${serial}`);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        api.C_Logout(session);
      } catch {
        // not logged in any more, or the token is gone
      }
      closeQuietly();
      onClose();
    },
  };

  function closeQuietly(): void {
    try {
      api.C_CloseSession(session);
    } catch {
      // the token is gone
    }
  }
}
