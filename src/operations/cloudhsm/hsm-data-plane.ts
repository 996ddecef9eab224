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
import { CloudHsmAccessDeniedException, CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import { checkAdmin, isRole, userOf, verifyPassword, type HsmUserRecord } from '../../domain/hsm-users.ts';
import { activateCluster, changePassword, createUser, deleteUser } from '../../services/hsm-users.ts';
import { authorizedCluster } from './common.ts';
import { checkLogin, DENIED, isLocked } from './hsm-login.ts';
import { authOf, changed, changeOperation, LoginFailure, needAdmin, needUsable, password, refuseLocked, text, username } from './hsm-change.ts';
import { HSM_KEY_OPERATIONS } from './hsm-key-plane.ts';
import { consumed, needQuorum, quorumLockout } from './hsm-quorum-gate.ts';
import { HSM_QUORUM_OPERATIONS } from './hsm-quorum-plane.ts';
import { defineCloudHsmOperation, type CloudHsmContext, type CloudHsmOperation } from './context.ts';

/** The X-Amz-Target prefix of the data plane. */
export const COFFER_HSM_TARGET_PREFIX = 'CofferHsmService.';

const userShape = (u: HsmUserRecord, limit: number) => ({
  Username: u.username, Role: u.role, Locked: isLocked(u, limit), Activated: u.passwordHash !== undefined,
  ClusterCoverage: 'full', Partitions: Object.keys(u.partitions).length, QuorumKeyRegistered: u.quorumPublicKey !== undefined,
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
  const admin = await needAdmin(ctx, c, input);
  if (userOf(c.users, name) !== undefined) throw new CloudHsmInvalidRequestException(`The user ${name} exists already.`);
  const tokenId = needQuorum(c, input, 'CreateUser', admin.username, ctx.now());
  const after = await changed(c, () => createUser(ctx.hsm, c, name, role, pw));
  return { before: c, after: consumed(after, tokenId), answer: { Username: name, Role: role } };
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
  let tokenId: string | undefined;
  if (admin.ok && admin.user.username !== name) {
    // An admin changing another user's password: the user service's quorum (changing one's own is not gated).
    if (userOf(c.users, name) === undefined) throw new CloudHsmInvalidRequestException(`The user ${name} does not exist.`);
    tokenId = needQuorum(c, input, 'ChangePassword', admin.user.username, ctx.now());
  }
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
  return { before: c, after: consumed(after, tokenId), answer: { Username: name, Role: target.role } };
});

export const deleteHsmUser = changeOperation('DeleteUser', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'DeleteUser', text(input, 'ClusterId'));
  const name = username(input);
  needUsable(c);
  const admin = await needAdmin(ctx, c, input);
  const target = userOf(c.users, name);
  if (target === undefined) throw new CloudHsmInvalidRequestException(`The user ${name} does not exist.`);
  const tokenId = needQuorum(c, input, 'DeleteUser', admin.username, ctx.now());
  const lockout = quorumLockout(c, name);
  if (lockout !== undefined) throw new CloudHsmInvalidRequestException(lockout);
  const after = await changed(c, () => deleteUser(ctx.hsm, c, name));
  return { before: c, after: consumed(after, tokenId), answer: { Username: name, Role: target.role } };
});

export const COFFER_HSM_OPERATIONS: ReadonlyMap<string, CloudHsmOperation> = new Map(
  [activate, createHsmUser, listUsers, changeHsmPassword, deleteHsmUser, ...HSM_KEY_OPERATIONS, ...HSM_QUORUM_OPERATIONS].map((op) => [op.name, op]),
);
