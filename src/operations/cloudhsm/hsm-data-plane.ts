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

const DENIED = 'The HSM credentials are not valid for this operation.';

async function needAdmin(c: ClusterRecord, input: Record<string, unknown>): Promise<HsmUserRecord> {
  const verdict = await checkAdmin(c.users, authOf(input));
  if (!verdict.ok) throw new CloudHsmAccessDeniedException(DENIED);
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
  return {
    name,
    prepare: (input, ctx) => plan(input, ctx),
    run: async (input, ctx, prepared) => {
      const p = prepared as Planned | undefined;
      const fresh = p === undefined ? undefined : await ctx.clusters.getCluster(p.before.clusterId);
      const done = p !== undefined && fresh?.revision === p.before.revision ? p : await plan(input, ctx);
      save(ctx, done.before, done.after);
      return done.answer;
    },
  };
}

const userShape = (u: HsmUserRecord) => ({
  Username: u.username, Role: u.role, Locked: false, Activated: u.passwordHash !== undefined,
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
  await needAdmin(c, input);
  const after = await changed(c, () => createUser(ctx.hsm, c, name, role, pw));
  return { before: c, after, answer: { Username: name, Role: role } };
});

export const listUsers = defineCloudHsmOperation('ListUsers', async (input: Record<string, unknown>, ctx) => {
  const c = await authorizedCluster(ctx, 'ListUsers', text(input, 'ClusterId'));
  return { Users: (c.users ?? []).map(userShape) };
});

export const changeHsmPassword = changeOperation('ChangePassword', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'ChangePassword', text(input, 'ClusterId'));
  const name = username(input);
  const pw = password(input);
  needUsable(c);
  const auth = authOf(input);
  const admin = await checkAdmin(c.users, auth);
  if (!admin.ok) {
    // Not an admin: only the user itself, with its current password and role.
    const self = userOf(c.users, name);
    const ok = await verifyPassword(typeof auth.Password === 'string' ? auth.Password : '', self?.passwordHash);
    if (!ok || self === undefined || auth.Username !== name || auth.Role !== self.role) throw new CloudHsmAccessDeniedException(DENIED);
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
  await needAdmin(c, input);
  const target = userOf(c.users, name);
  if (target === undefined) throw new CloudHsmInvalidRequestException(`The user ${name} does not exist.`);
  const after = await changed(c, () => deleteUser(ctx.hsm, c, name));
  return { before: c, after, answer: { Username: name, Role: target.role } };
});

export const COFFER_HSM_OPERATIONS: ReadonlyMap<string, CloudHsmOperation> = new Map(
  [activate, createHsmUser, listUsers, changeHsmPassword, deleteHsmUser].map((op) => [op.name, op]),
);
