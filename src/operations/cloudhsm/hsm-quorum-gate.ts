/**
 * The quorum gate of the data plane's protected operations (design/hsm-tier.md §3.4; HSM.md
 * "Services under quorum"): when the service's quorum value M is above 1, the operation needs an
 * `Approval` (a token file signed by M distinct admins with registered quorum keys) naming a live
 * token the caller generated for exactly this operation and these parameters. The gate runs before
 * any change or token work, so a refusal changes nothing; the token is removed from the record the
 * operation commits, so it cannot be used twice (a concurrent second use finds the revision changed,
 * plans again and no longer finds it).
 */
import { CloudHsmAccessDeniedException, CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import type { ClusterRecord } from '../../domain/cluster.ts';
import { checkApproval, parseApprovalFile, QUORUM_SERVICES, quorumValue, withoutToken, type QuorumService } from '../../domain/hsm-quorum.ts';

/** The operations a quorum service protects, and the parameters (never a password) a token is bound to. */
export const PROTECTED: Readonly<Record<string, { service: QuorumService; params: (input: Record<string, unknown>) => Record<string, unknown> }>> = {
  CreateUser: { service: 'user', params: (i) => ({ Username: i.Username, Role: i.Role }) },
  DeleteUser: { service: 'user', params: (i) => ({ Username: i.Username }) },
  ChangePassword: { service: 'user', params: (i) => ({ Username: i.Username }) },
  SetQuorumValue: { service: 'quorum', params: (i) => ({ Service: i.Service, Value: i.Value }) },
  SetQuorumTimeout: { service: 'quorum', params: (i) => ({ Seconds: i.Seconds }) },
};

/**
 * Checks the quorum of `operation` for `requester` on the cluster as read: answers the token id to
 * consume (undefined when the service's M is 1), or throws a clear refusal.
 */
export function needQuorum(c: ClusterRecord, input: Record<string, unknown>, operation: string, requester: string, now: number): string | undefined {
  const p = PROTECTED[operation];
  if (p === undefined) return undefined;
  const required = quorumValue(c.quorum, p.service);
  if (required <= 1) return undefined;
  if (input.Approval === undefined) {
    throw new CloudHsmAccessDeniedException(`Quorum approval is required for this operation: the ${p.service} service needs ${required} approvals (quorum token-sign generate, then --approval FILE).`);
  }
  const parsed = parseApprovalFile(input.Approval);
  if (!parsed.ok) throw new CloudHsmInvalidRequestException(parsed.reason);
  const verdict = checkApproval(c.quorum, c.users ?? [], input.Approval, {
    service: p.service, operation, params: p.params(input), requester, required, approverRoles: ['admin'],
  }, now);
  if (!verdict.ok) throw new CloudHsmAccessDeniedException(verdict.reason);
  return verdict.tokenId;
}

/** The record to commit with the used token removed. */
export function consumed(c: ClusterRecord, tokenId: string | undefined): ClusterRecord {
  if (tokenId === undefined) return c;
  return { ...c, quorum: { ...c.quorum, tokens: withoutToken(c.quorum, tokenId) } };
}

/**
 * Why deleting `username` would lock administration up, or undefined: an admin with a registered
 * quorum key cannot be deleted while fewer such admins would remain than a service's quorum value.
 */
export function quorumLockout(c: ClusterRecord, username: string): string | undefined {
  const target = (c.users ?? []).find((u) => u.username === username);
  if (target?.role !== 'admin' || target.quorumPublicKey === undefined) return undefined;
  const left = (c.users ?? []).filter((u) => u.role === 'admin' && u.quorumPublicKey !== undefined && u !== target).length;
  const most = Math.max(...QUORUM_SERVICES.map((s) => quorumValue(c.quorum, s)));
  if (most > 1 && left < most) return `Deleting ${username} would leave ${left} admin(s) with a registered quorum key, fewer than a quorum value of ${most}: lower the quorum value first.`;
  return undefined;
}
