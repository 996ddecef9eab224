/**
 * What the data plane's changing operations share (hsm-data-plane.ts, hsm-quorum-plane.ts): input
 * checks, the admin login (Auth {Username, Role, Password}) with its lockout, and `changeOperation`,
 * which runs the slow part before the state-change lock and commits the planned record under it.
 */
import { CloudHsmAccessDeniedException, CloudHsmInternalFailureException, CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import { checkAdmin, passwordProblem, userOf, usernameProblem, type HsmUserRecord } from '../../domain/hsm-users.ts';
import type { ClusterRecord } from '../../domain/cluster.ts';
import { HsmError } from '../../ports/hsm.ts';
import { HsmUserProblem } from '../../services/hsm-users.ts';
import { authorizedCluster, save } from './common.ts';
import { checkLogin, DENIED, isLocked, settleLogin, type LoginVerdict } from './hsm-login.ts';
import type { CloudHsmContext, CloudHsmOperation } from './context.ts';

export interface Auth { Username?: unknown; Role?: unknown; Password?: unknown }

export const text = (input: Record<string, unknown>, name: string): string => {
  const v = input[name];
  if (typeof v !== 'string' || v.length === 0) throw new CloudHsmInvalidRequestException(`${name} is required.`);
  return v;
};

export const password = (input: Record<string, unknown>, name = 'Password'): string => {
  const problem = passwordProblem(input[name]);
  if (problem !== undefined) throw new CloudHsmInvalidRequestException(problem);
  return input[name] as string;
};

export const username = (input: Record<string, unknown>): string => {
  const problem = usernameProblem(input.Username);
  if (problem !== undefined) throw new CloudHsmInvalidRequestException(problem);
  return input.Username as string;
};

export const authOf = (input: Record<string, unknown>): Auth => {
  const a = input.Auth;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw new CloudHsmAccessDeniedException('This operation needs the HSM credentials of an admin (Auth: Username, Role, Password).');
  return a as Auth;
};

/** Credentials that did not verify: counted toward the lockout once the call runs under the lock. */
export class LoginFailure extends Error {
  constructor(readonly verdict: LoginVerdict) { super(DENIED); }
}

/** Refuses a locked-out user (whatever password it gave), not counted again. */
export function refuseLocked(ctx: CloudHsmContext, c: ClusterRecord, auth: Auth): void {
  const u = typeof auth.Username === 'string' ? userOf(c.users, auth.Username) : undefined;
  if (u !== undefined && isLocked(u, ctx.loginAttempts)) {
    throw new CloudHsmAccessDeniedException(`The HSM user ${u.username} is locked out after ${ctx.loginAttempts} failed logins: an admin unlocks it with user change-password.`);
  }
}

export async function needAdmin(ctx: CloudHsmContext, c: ClusterRecord, input: Record<string, unknown>): Promise<HsmUserRecord> {
  const auth = authOf(input);
  refuseLocked(ctx, c, auth);
  const verdict = await checkAdmin(c.users, auth);
  if (!verdict.ok) throw new LoginFailure(await checkLogin(c, auth));
  return verdict.user;
}

export function needUsable(c: ClusterRecord): void {
  if (c.state !== 'ACTIVE' && c.state !== 'DEGRADED') {
    throw new CloudHsmInvalidRequestException(`The cluster ${c.clusterId} is in state ${c.state}: it must be initialized and activated first.`);
  }
}

/** Runs the users service: its refusals are 4xx, token failures a 5xx naming the PKCS#11 code (never a PIN). */
export async function changed(c: ClusterRecord, f: () => Promise<ClusterRecord>): Promise<ClusterRecord> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof HsmUserProblem) throw new CloudHsmInvalidRequestException(e.message);
    if (e instanceof HsmError) throw new CloudHsmInternalFailureException(`An HSM of cluster ${c.clusterId} refused: ${e.kind} (${e.code}).`);
    throw e;
  }
}

/** A change planned on the cluster as read: the record to commit and the answer. */
export interface Planned { readonly before: ClusterRecord; readonly after: ClusterRecord; readonly answer: object }

/**
 * A data-plane change whose slow part (scrypt, token work) runs in `prepare`, outside the
 * state-change lock; `run` commits it if the cluster did not change meanwhile, else plans it again
 * on the fresh record (the token work is idempotent: services/partitions.ts).
 */
export function changeOperation(name: string, plan: (input: Record<string, unknown>, ctx: CloudHsmContext) => Promise<Planned>, cuRefusal?: string): CloudHsmOperation {
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
        throw new CloudHsmAccessDeniedException(user.role === 'crypto-user' ? cuRefusal ?? `A crypto user cannot ${name === 'ChangePassword' ? 'change another user\'s password' : 'create or delete users'}: it needs an admin.` : DENIED);
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

