/**
 * The Coffer HSM data plane (design/hsm-tier.md §3.1, §3.2): JSON 1.1 on the CloudHSM endpoint
 * with `X-Amz-Target: CofferHsmService.<Operation>`, SigV4 scope `cloudhsm`, IAM action
 * `cloudhsm:<Operation>` on the cluster's ARN (as the control plane), audited with eventSource
 * cloudhsm.amazonaws.com. HSM users are independent of IAM: calls that need an HSM admin carry its
 * credentials in `Auth {Username, Role, Password}`, checked against the scrypt hash (constant-time);
 * a wrong one is CloudHsmAccessDeniedException that never says which part was wrong.
 *
 * - ActivateCluster {ClusterId, Password}: the unactivated admin's password; INITIALIZED → ACTIVE.
 * - CreateUser {ClusterId, Username, Role, Password, Auth}: admin only; a crypto user gets a
 *   partition (token labelled with the username, USER PIN = password, CK inside) on every ACTIVE HSM.
 * - ListUsers {ClusterId}: no HSM login.
 * - ChangePassword {ClusterId, Username, Password, Auth}: an admin for anyone, or the user itself;
 *   a crypto user's partitions get the new PIN (C_SetPIN) on every HSM.
 * - DeleteUser {ClusterId, Username, Auth}: admin only; a crypto user's partitions are wiped.
 *
 * The slow part of a change (scrypt, token work) runs before the state-change lock (`prepare`).
 * Passwords and PINs appear in no answer, error, log or audit record: these operations are not in
 * the CloudHSMv2 model, so their audit records carry no requestParameters at all.
 */
import { CloudHsmAccessDeniedException, CloudHsmInternalFailureException, CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import { checkAdmin, isRole, passwordProblem, userOf, usernameProblem, verifyPassword, type HsmUserRecord } from '../../domain/hsm-users.ts';
import type { ClusterRecord } from '../../domain/cluster.ts';
import { HsmError } from '../../ports/hsm.ts';
import { activateCluster, changePassword, createUser, deleteUser, HsmUserProblem } from '../../services/hsm-users.ts';
import { authorizedCluster, save } from './common.ts';
import { checkLogin, DENIED, isLocked, settleLogin, type LoginVerdict } from './hsm-login.ts';
import { HSM_KEY_OPERATIONS } from './hsm-key-plane.ts';
import { defineCloudHsmOperation, type CloudHsmContext, type CloudHsmOperation } from './context.ts';

/** The X-Amz-Target prefix of the data plane. */
export const COFFER_HSM_TARGET_PREFIX = 'CofferHsmService.';

interface Auth { Username?: unknown; Role?: unknown; Password?: unknown }

const text = (input: Record<string, unknown>, name: string): string => {
  const v = input[name];
  if (typeof v !== 'string' || v.length === 0) throw new CloudHsmInvalidRequestException(`${name} is required.`);
  return v;
};

const password = (input: Record<string, unknown>, name = 'Password'): string => {
  const problem = passwordProblem(input[name]);
  if (problem !== undefined) throw new CloudHsmInvalidRequestException(problem);
  return input[name] as string;
};

const username = (input: Record<string, unknown>): string => {
  const problem = usernameProblem(input.Username);
  if (problem !== undefined) throw new CloudHsmInvalidRequestException(problem);
  return input.Username as string;
};

const authOf = (input: Record<string, unknown>): Auth => {
  const a = input.Auth;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new CloudHsmAccessDeniedException('This operation needs the HSM credentials of an admin (Auth: Username, Role, Password).');
  return a as Auth;
};

/** Credentials that did not verify: counted toward the lockout once the call runs under the lock. */
class LoginFailure extends Error {
  constructor(readonly verdict: LoginVerdict) { super(DENIED); }
}

/** Refuses a locked-out user (whatever password it gave), not counted again. */
function refuseLocked(ctx: CloudHsmContext, c: ClusterRecord, auth: Auth): void {
  const u = typeof auth.Username === 'string' ? userOf(c.users, auth.Username) : undefined;
  if (u !== undefined && isLocked(u, ctx.loginAttempts)) {
    throw new CloudHsmAccessDeniedException(`The HSM user ${u.username} is locked out after ${ctx.loginAttempts} failed logins: an admin unlocks it with user change-password.`);
  }
}

async function needAdmin(ctx: CloudHsmContext, c: ClusterRecord, input: Record<string, unknown>): Promise<HsmUserRecord> {
  const auth = authOf(input);
  refuseLocked(ctx, c, auth);
  const verdict = await checkAdmin(c.users, auth);
  if (!verdict.ok) throw new LoginFailure(await checkLogin(c, auth));
  return verdict.user;
}

function needUsable(c: ClusterRecord): void {
  if (c.state !== 'ACTIVE' && c.state !== 'DEGRADED') {
    throw new CloudHsmInvalidRequestException(`The cluster ${c.clusterId} is in state ${c.state}: it must be initialized and activated first.`);
  }
}

/** Runs the users service: its refusals are 4xx, token failures a 5xx naming the PKCS#11 code (never a PIN). */
async function changed(c: ClusterRecord, f: () => Promise<ClusterRecord>): Promise<ClusterRecord> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof HsmUserProblem) throw new CloudHsmInvalidRequestException(e.message);
    if (e instanceof HsmError) throw new CloudHsmInternalFailureException(`An HSM of cluster ${c.clusterId} refused: ${e.kind} (${e.code}).`);
    throw e;
  }
}

/** A change planned on the cluster as read: the record to commit and the answer. */
interface Planned { readonly before: ClusterRecord; readonly after: ClusterRecord; readonly answer: object }

/**
 * A data-plane change whose slow part (scrypt, token work) runs in `prepare`, outside the
 * state-change lock; `run` commits it if the cluster did not change meanwhile, else plans it again
 * on the fresh record (the token work is idempotent: services/partitions.ts).
 */
function changeOperation(name: string, plan: (input: Record<string, unknown>, ctx: CloudHsmContext) => Promise<Planned>): CloudHsmOperation {
  const attempt = async (input: Record<string, unknown>, ctx: CloudHsmContext): Promise<Planned | LoginFailure> => {
    try {
      return await plan(input, ctx);
    } catch (e) {
      if (e instanceof LoginFailure) return e;
      throw e;
    }
  };
  return {
    name,
    prepare: (input, ctx) => attempt(input, ctx),
    run: async (input, ctx, prepared) => {
      let p = prepared as Planned | LoginFailure | undefined;
      if (!(p instanceof LoginFailure)) {
        const fresh = p === undefined ? undefined : await ctx.clusters.getCluster(p.before.clusterId);
        if (p === undefined || fresh?.revision !== p.before.revision) p = await attempt(input, ctx);
      }
      if (p instanceof LoginFailure) {
        // Counted on the record as it is now (and refused): hsm-login.ts.
        const fresh = await authorizedCluster(ctx, name, text(input, 'ClusterId'));
        const { user } = settleLogin(ctx, fresh, p.verdict, ['admin', 'crypto-user']);
        // The credentials are right, the role is not: a crypto user cannot manage users (rights table).
        throw new CloudHsmAccessDeniedException(user.role === 'crypto-user' ? `A crypto user cannot ${name === 'ChangePassword' ? 'change another user\'s password' : 'create or delete users'}: it needs an admin.` : DENIED);
      }
      save(ctx, p.before, cleared(p.after, input));
      return p.answer;
    },
  };
}

/** The record with the failed-login count of the user who just logged in (Auth.Username) cleared. */
function cleared(c: ClusterRecord, input: Record<string, unknown>): ClusterRecord {
  const name = (input.Auth as Auth | undefined)?.Username;
  const u = typeof name === 'string' ? userOf(c.users, name) : undefined;
  if (u === undefined || (u.failedLogins ?? 0) === 0) return c;
  return { ...c, users: (c.users ?? []).map((x) => (x === u ? { ...x, failedLogins: 0 } : x)) };
}

const userShape = (u: HsmUserRecord, limit: number) => ({
  Username: u.username, Role: u.role, Locked: isLocked(u, limit), Activated: u.passwordHash !== undefined,
  ClusterCoverage: 'full', Partitions: Object.keys(u.partitions).length,
});

export const activate = changeOperation('ActivateCluster', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'ActivateCluster', text(input, 'ClusterId'));
  const pw = password(input);
  const after = await changed(c, () => activateCluster(c, pw));
  return { before: c, after, answer: { ClusterId: c.clusterId, State: 'ACTIVE' } };
});

export const createHsmUser = changeOperation('CreateUser', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'CreateUser', text(input, 'ClusterId'));
  const name = username(input);
  const role = input.Role;
  if (!isRole(role)) throw new CloudHsmInvalidRequestException('Role must be admin or crypto-user.');
  const pw = password(input);
  needUsable(c);
  await needAdmin(ctx, c, input);
  const after = await changed(c, () => createUser(ctx.hsm, c, name, role, pw));
  return { before: c, after, answer: { Username: name, Role: role } };
});

export const listUsers = defineCloudHsmOperation('ListUsers', async (input: Record<string, unknown>, ctx) => {
  const c = await authorizedCluster(ctx, 'ListUsers', text(input, 'ClusterId'));
  return { Users: (c.users ?? []).map((u) => userShape(u, ctx.loginAttempts)) };
});

export const changeHsmPassword = changeOperation('ChangePassword', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'ChangePassword', text(input, 'ClusterId'));
  const name = username(input);
  const pw = password(input);
  needUsable(c);
  const auth = authOf(input);
  refuseLocked(ctx, c, auth);
  const admin = await checkAdmin(c.users, auth);
  if (!admin.ok) {
    // Not an admin: only the user itself, with its current password and role.
    const self = userOf(c.users, name);
    const ok = await verifyPassword(typeof auth.Password === 'string' ? auth.Password : '', self?.passwordHash);
    if (!ok || self === undefined || auth.Role !== self.role) throw new LoginFailure(await checkLogin(c, auth));
    if (auth.Username !== name) throw new CloudHsmAccessDeniedException(DENIED);
  }
  const target = userOf(c.users, name);
  if (target === undefined) throw new CloudHsmInvalidRequestException(`The user ${name} does not exist.`);
  if (input.Role !== undefined && input.Role !== target.role) throw new CloudHsmInvalidRequestException(`The user ${name} has the role ${target.role}.`);
  const after = await changed(c, () => changePassword(ctx.hsm, c, name, pw));
  return { before: c, after, answer: { Username: name, Role: target.role } };
});

export const deleteHsmUser = changeOperation('DeleteUser', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'DeleteUser', text(input, 'ClusterId'));
  const name = username(input);
  needUsable(c);
  await needAdmin(ctx, c, input);
  const target = userOf(c.users, name);
  if (target === undefined) throw new CloudHsmInvalidRequestException(`The user ${name} does not exist.`);
  const after = await changed(c, () => deleteUser(ctx.hsm, c, name));
  return { before: c, after, answer: { Username: name, Role: target.role } };
});

export const COFFER_HSM_OPERATIONS: ReadonlyMap<string, CloudHsmOperation> = new Map(
  [activate, createHsmUser, listUsers, changeHsmPassword, deleteHsmUser, ...HSM_KEY_OPERATIONS].map((op) => [op.name, op]),
);
