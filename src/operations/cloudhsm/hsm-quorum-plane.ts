/**
 * Quorum (token-sign, M of N) operations of the Coffer HSM data plane (design/hsm-tier.md §3.4,
 * §3.5; HSM.md "Quorum authentication"), audited as every CofferHsmService call (no
 * requestParameters, so no key or signature lands in a record):
 *
 * - GenerateQuorumToken {ClusterId, Auth, Service, Operation?, Parameters?}: a token for the caller
 *   (one live token per user per service; expired ones purged). Service `registration` (any
 *   user): a token to sign for RegisterQuorumKey. Services `user`/`quorum` (admins): bound to the
 *   Operation (CreateUser, DeleteUser, ChangePassword, SetQuorumValue, SetQuorumTimeout) and its
 *   Parameters (the operation's own input names: Username, Role, Service, Value, Seconds).
 *   Answers the token file (`{"version":"2.0","tokens":[…]}`).
 * - RegisterQuorumKey {ClusterId, Auth, PublicKey (PEM, RSA-2048), SignedToken (the registration
 *   token file, `signed` by the matching private key)}: the caller's quorum key, proven by the signature.
 * - SetQuorumValue {ClusterId, Auth, Service, Value, Approval?}: admins; M of 1 (off) to 8, never
 *   more than the admins with a registered key; itself under the `quorum` service's quorum.
 * - DeleteQuorumTokens {ClusterId, Auth, Scope: user|all}: the caller's tokens, or every token (admins).
 * - ListQuorumValues {ClusterId}, ListQuorumTimeouts {ClusterId}, ListQuorumTokens {ClusterId}: no login.
 * - SetQuorumTimeout {ClusterId, Auth, Seconds, Approval?}: admins; seconds a new token is valid
 *   (default 600), under the `quorum` service's quorum.
 *
 * Expiry is measured with the server's clock (ctx.now(): the injected clock in test mode).
 */
import { CloudHsmAccessDeniedException, CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import { revise } from '../../domain/cluster.ts';
import {
  isQuorumService, isTokenService, newToken, parseApprovalFile, quorumPublicKey, QUORUM_SERVICES, quorumValue, quorumValueProblem, signatureVerifies,
  timeoutProblem, tokenFile, tokenTimeout, unsignedOf, withoutToken, withToken,
} from '../../domain/hsm-quorum.ts';
import { userOf, verifyPassword } from '../../domain/hsm-users.ts';
import type { ClusterRecord } from '../../domain/cluster.ts';
import { authorizedCluster } from './common.ts';
import { checkLogin } from './hsm-login.ts';
import { authOf, changeOperation, LoginFailure, needAdmin, needUsable, refuseLocked, text } from './hsm-change.ts';
import { consumed, needQuorum, PROTECTED } from './hsm-quorum-gate.ts';
import { defineCloudHsmOperation, type CloudHsmContext, type CloudHsmOperation } from './context.ts';

/** The caller logged in with any role (registration and its token are for every user). */
async function needUser(ctx: CloudHsmContext, c: ClusterRecord, input: Record<string, unknown>) {
  const auth = authOf(input);
  refuseLocked(ctx, c, auth);
  const user = typeof auth.Username === 'string' ? userOf(c.users, auth.Username) : undefined;
  const ok = await verifyPassword(typeof auth.Password === 'string' ? auth.Password : '', user?.passwordHash);
  if (!ok || user === undefined || auth.Role !== user.role) throw new LoginFailure(await checkLogin(c, auth));
  return user;
}

const CU_REFUSAL = 'A crypto user cannot do this: quorum values, timeouts and admin-service tokens are for admins.';

const registeredAdmins = (c: ClusterRecord): number => (c.users ?? []).filter((u) => u.role === 'admin' && u.quorumPublicKey !== undefined).length;

export const generateQuorumToken = changeOperation('GenerateQuorumToken', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'GenerateQuorumToken', text(input, 'ClusterId'));
  needUsable(c);
  const service = input.Service;
  if (!isTokenService(service)) throw new CloudHsmInvalidRequestException('Service must be registration, user, quorum or cluster.');
  let operation = 'RegisterQuorumKey';
  let params: Record<string, unknown> = {};
  let requester: string;
  if (service === 'registration') {
    requester = (await needUser(ctx, c, input)).username;
  } else {
    requester = (await needAdmin(ctx, c, input)).username;
    const op = input.Operation;
    const p = typeof op === 'string' ? PROTECTED[op] : undefined;
    const ops = Object.keys(PROTECTED).filter((k) => PROTECTED[k]?.service === service);
    if (p === undefined || p.service !== service) {
      throw new CloudHsmInvalidRequestException(ops.length === 0 ? `No Coffer command is under the ${service} service's quorum.` : `Operation must name the command the token approves: one of ${ops.join(', ')}.`);
    }
    const given = input.Parameters;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new CloudHsmInvalidRequestException(`Parameters must give the ${op as string} parameters the token is bound to.`);
    operation = op as string;
    params = p.params(given as Record<string, unknown>);
    if (Object.values(params).some((v) => v === undefined)) throw new CloudHsmInvalidRequestException(`Parameters must give ${Object.keys(params).join(', ')} for ${operation}.`);
  }
  const now = ctx.now();
  const token = newToken(c.clusterId, service, operation, params, requester, now, tokenTimeout(c.quorum));
  const tokens = withToken(c.quorum, token, now);
  if (tokens === undefined) throw new CloudHsmInvalidRequestException('The cluster holds 1024 live quorum tokens: wait for some to expire.');
  const after = revise(c, { quorum: { ...c.quorum, tokens } });
  return { before: c, after, answer: { TokenId: token.tokenId, ExpiresInSeconds: Math.round((token.expiresAt - now) / 1000), Token: tokenFile(token) } };
}, 'A crypto user can generate only registration tokens (user, quorum and cluster tokens are for admins).');

export const registerQuorumKey = changeOperation('RegisterQuorumKey', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'RegisterQuorumKey', text(input, 'ClusterId'));
  needUsable(c);
  const user = await needUser(ctx, c, input);
  const key = quorumPublicKey(input.PublicKey);
  if (!key.ok) throw new CloudHsmInvalidRequestException(key.reason);
  const parsed = parseApprovalFile(input.SignedToken);
  if (!parsed.ok) throw new CloudHsmInvalidRequestException(parsed.reason);
  const now = ctx.now();
  const entry = parsed.entries[0];
  const token = (c.quorum?.tokens ?? []).find((t) => t.approvalData === entry?.approvalData);
  if (entry === undefined || token === undefined || token.service !== 'registration') {
    throw new CloudHsmAccessDeniedException('The signed token names no live registration token: generate one with quorum token-sign generate --service registration.');
  }
  if (token.requester !== user.username) throw new CloudHsmAccessDeniedException(`The registration token belongs to ${token.requester}.`);
  if (token.expiresAt <= now) throw new CloudHsmAccessDeniedException(`The registration token ${token.tokenId} expired: generate a new one.`);
  if (entry.unsigned !== unsignedOf(token) || !signatureVerifies(token, key.spki, entry.signed)) {
    throw new CloudHsmAccessDeniedException('The signed token does not verify with this public key: sign the token\'s unsigned value with its private key.');
  }
  const after = revise(c, {
    users: (c.users ?? []).map((u) => (u.username === user.username ? { ...u, quorumPublicKey: key.spki } : u)),
    quorum: { ...c.quorum, tokens: withoutToken(c.quorum, token.tokenId) },
  });
  return { before: c, after, answer: { Username: user.username, Role: user.role } };
});

export const setQuorumValue = changeOperation('SetQuorumValue', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'SetQuorumValue', text(input, 'ClusterId'));
  needUsable(c);
  const admin = await needAdmin(ctx, c, input);
  const service = input.Service;
  if (!isQuorumService(service)) throw new CloudHsmInvalidRequestException('Service must be user, quorum or cluster.');
  const problem = input.Value === 1 ? undefined : quorumValueProblem(input.Value, registeredAdmins(c));
  if (problem !== undefined) throw new CloudHsmInvalidRequestException(problem);
  const tokenId = needQuorum(c, input, 'SetQuorumValue', admin.username, ctx.now());
  const after = revise(c, { quorum: { ...c.quorum, values: { ...c.quorum?.values, [service]: input.Value as number } } });
  return { before: c, after: consumed(after, tokenId), answer: { Service: service, Value: input.Value } };
}, CU_REFUSAL);

export const setQuorumTimeout = changeOperation('SetQuorumTimeout', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'SetQuorumTimeout', text(input, 'ClusterId'));
  needUsable(c);
  const admin = await needAdmin(ctx, c, input);
  const problem = timeoutProblem(input.Seconds);
  if (problem !== undefined) throw new CloudHsmInvalidRequestException(problem);
  const tokenId = needQuorum(c, input, 'SetQuorumTimeout', admin.username, ctx.now());
  const after = revise(c, { quorum: { ...c.quorum, timeoutSeconds: input.Seconds as number } });
  return { before: c, after: consumed(after, tokenId), answer: { GeneratedTokenTimeoutSeconds: input.Seconds } };
}, CU_REFUSAL);

export const deleteQuorumTokens = changeOperation('DeleteQuorumTokens', async (input, ctx) => {
  const c = await authorizedCluster(ctx, 'DeleteQuorumTokens', text(input, 'ClusterId'));
  needUsable(c);
  const scope = input.Scope;
  if (scope !== 'user' && scope !== 'all') throw new CloudHsmInvalidRequestException('Scope must be user (your tokens) or all (every token: admins only).');
  const user = scope === 'all' ? await needAdmin(ctx, c, input) : await needUser(ctx, c, input);
  const tokens = c.quorum?.tokens ?? [];
  const kept = scope === 'all' ? [] : tokens.filter((t) => t.requester !== user.username);
  const after = revise(c, { quorum: { ...c.quorum, tokens: kept } });
  return { before: c, after, answer: { Deleted: tokens.length - kept.length } };
}, 'A crypto user can delete only its own tokens (--scope user).');

export const listQuorumValues = defineCloudHsmOperation('ListQuorumValues', async (input: Record<string, unknown>, ctx) => {
  const c = await authorizedCluster(ctx, 'ListQuorumValues', text(input, 'ClusterId'));
  return { Values: Object.fromEntries(QUORUM_SERVICES.map((s) => [s, quorumValue(c.quorum, s)])) };
});

export const listQuorumTimeouts = defineCloudHsmOperation('ListQuorumTimeouts', async (input: Record<string, unknown>, ctx) => {
  const c = await authorizedCluster(ctx, 'ListQuorumTimeouts', text(input, 'ClusterId'));
  return { GeneratedTokenTimeoutSeconds: tokenTimeout(c.quorum) };
});

export const listQuorumTokens = defineCloudHsmOperation('ListQuorumTokens', async (input: Record<string, unknown>, ctx) => {
  const c = await authorizedCluster(ctx, 'ListQuorumTokens', text(input, 'ClusterId'));
  const now = ctx.now();
  return {
    Tokens: (c.quorum?.tokens ?? []).filter((t) => t.expiresAt > now).map((t) => ({
      Username: t.requester, Service: t.service, Operation: t.operation,
      ApprovalsRequired: isQuorumService(t.service) ? quorumValue(c.quorum, t.service) : 1,
      TokenTimeoutSeconds: Math.ceil((t.expiresAt - now) / 1000),
    })),
  };
});

export const HSM_QUORUM_OPERATIONS: readonly CloudHsmOperation[] = [
  generateQuorumToken, registerQuorumKey, deleteQuorumTokens, setQuorumValue, setQuorumTimeout, listQuorumValues, listQuorumTimeouts, listQuorumTokens,
];
