/**
 * HSM logins of the data plane (design/hsm-tier.md §3.2): the credentials a call carries in
 * `Auth {Username, Role, Password}` checked against the user's scrypt hash, and the lockout: each
 * failed login in a row counts on the user's record (committed with the refusal:
 * errors/committed-refusal.ts), and at COFFER_HSM_LOGIN_ATTEMPTS the user is locked out, refused
 * whatever password it gives, until an admin's change-password unlocks it. A successful login
 * clears the count. The refusal says the same for every wrong part (user, role, password), and
 * "locked" only once the user is locked, as cloudhsm-cli does.
 *
 * The slow part (scrypt) runs in `check`, before the state-change lock; `settle` applies the
 * verdict to the record read under the lock.
 */
import { CloudHsmAccessDeniedException } from '../../errors/cloudhsm-errors.ts';
import { committedRefusal } from '../../errors/committed-refusal.ts';
import { revise, type ClusterRecord } from '../../domain/cluster.ts';
import { userOf, verifyPassword, type HsmUserRecord, type HsmUserRole } from '../../domain/hsm-users.ts';
import { save } from './common.ts';
import type { CloudHsmContext } from './context.ts';

export const DENIED = 'The HSM credentials are not valid for this operation.';

/** What a login's password check found (no password kept). */
export interface LoginVerdict {
  readonly username: string;
  readonly role: unknown;
  readonly passwordOk: boolean;
}

export async function checkLogin(c: ClusterRecord, auth: unknown): Promise<LoginVerdict> {
  const a = typeof auth === 'object' && auth !== null && !Array.isArray(auth) ? auth as Record<string, unknown> : {};
  const username = typeof a.Username === 'string' ? a.Username : '';
  const user = userOf(c.users, username);
  const passwordOk = await verifyPassword(typeof a.Password === 'string' ? a.Password : '', user?.passwordHash);
  return { username, role: a.Role, passwordOk };
}

export const isLocked = (u: HsmUserRecord | undefined, limit: number): boolean => (u?.failedLogins ?? 0) >= limit;

const withCount = (c: ClusterRecord, username: string, n: number): ClusterRecord =>
  revise(c, { users: (c.users ?? []).map((u) => (u.username === username ? { ...u, failedLogins: n } : u)) });

/**
 * Applies a verdict to the cluster as read under the lock: answers the logged-in user and the
 * record with its count cleared (the same record when there was none), or throws
 * CloudHsmAccessDeniedException, having counted the failure in the change set when the user exists.
 * `roles` are the roles that may make this call.
 */
export function settleLogin(ctx: CloudHsmContext, c: ClusterRecord, v: LoginVerdict, roles: readonly HsmUserRole[]):
  { user: HsmUserRecord; cluster: ClusterRecord } {
  const user = userOf(c.users, v.username);
  if (user !== undefined && isLocked(user, ctx.loginAttempts)) {
    throw new CloudHsmAccessDeniedException(`The HSM user ${user.username} is locked out after ${ctx.loginAttempts} failed logins: an admin unlocks it with user change-password.`);
  }
  if (user === undefined || !v.passwordOk || v.role !== user.role) {
    if (user !== undefined && user.passwordHash !== undefined) {
      save(ctx, c, withCount(c, user.username, (user.failedLogins ?? 0) + 1));
      throw committedRefusal(new CloudHsmAccessDeniedException(DENIED));
    }
    throw new CloudHsmAccessDeniedException(DENIED);
  }
  if (!roles.includes(user.role)) {
    throw new CloudHsmAccessDeniedException(user.role === 'admin'
      ? 'An admin cannot manage or use keys (rights table: key management and cryptographic operations are for crypto users).'
      : 'A crypto user cannot do this: it needs an admin.');
  }
  return { user, cluster: (user.failedLogins ?? 0) > 0 ? withCount(c, user.username, 0) : c };
}
