/**
 * Coffer's admin API: JSON 1.1 on the same endpoint with `X-Amz-Target: CofferAdminService.<Operation>`,
 * SigV4 scope `coffer`, IAM actions `coffer:<Operation>`, audited with eventSource
 * coffer.amazonaws.com (model: wire/coffer-admin-model.ts). No AWS service has these operations;
 * they let an operator add accounts while the server runs.
 *
 * - CreateAccount {AccountId} → {AccountId, RootAccessKeyId, RootSecretAccessKey}: adds the account
 *   and its root user's access key (domain/accounts.ts, as the offline `accounts create` does). The
 *   secret is answered once, as IAM CreateAccessKey answers its own; the model marks it sensitive,
 *   so no audit record or log holds it. Errors: ValidationException, EntityAlreadyExistsException
 *   (the home account included), AccessDeniedException.
 * - ListAccounts {Marker?, Limit?} → {Accounts: [{AccountId, CreatedAt}], NextMarker?}: in account-id
 *   order, Limit 1–1000 (default 100); the marker is the last account id of the previous page.
 *
 * The audit trail's operations (GetAuditPublicKey, ExportAuditRecords, ListAuditDigests,
 * PruneAuditTrail) are in admin-audit.ts; COFFER_ADMIN_OPERATIONS (operations.ts) holds them all.
 *
 * Who may call: principals of the home account (COFFER_ACCOUNT_ID) only, its root always, its IAM
 * users and roles when their IAM policies allow the action; anyone else is AccessDeniedException.
 */
import { AccessDeniedException, ValidationException } from '../../errors/common-errors.ts';
import { EntityAlreadyExistsException } from '../../errors/admin-errors.ts';
import { AccountProblem, planNewAccount } from '../../domain/accounts.ts';
import type { AccountRecord } from '../../domain/identity.ts';
import type { UnitOfWork } from '../../ports/changes.ts';
import type { Caller, RequestInfo } from '../context.ts';
import type { AdminAudit } from './admin-audit.ts';

export { COFFER_ADMIN_TARGET_PREFIX } from '../../wire/coffer-admin-model.ts';

export interface AdminContext {
  readonly caller: Caller;
  readonly request: RequestInfo;
  /** COFFER_ACCOUNT_ID: the account whose principals administer this Coffer. */
  readonly homeAccountId: string;
  readonly accounts: { getAccount(accountId: string): Promise<AccountRecord | undefined>; listAccounts(): Promise<AccountRecord[]> };
  readonly uow: UnitOfWork;
  /** The audit trail, every chain of it (admin-audit.ts). */
  readonly audit: AdminAudit;
  now(): number;
  /** Rejects with AccessDeniedException unless the caller's IAM policies allow `action` (the root user: always). */
  authorizeAccount(action: string, resource: string): Promise<void>;
}

export interface AdminOperation {
  readonly name: string;
  run(input: Record<string, unknown>, ctx: AdminContext): Promise<object | undefined>;
}

/** Only the home account's principals administer; then their IAM policies decide (the root: allowed). */
export async function authorize(ctx: AdminContext, operation: string): Promise<void> {
  const action = `coffer:${operation}`;
  if (ctx.caller.accountId !== ctx.homeAccountId) {
    throw new AccessDeniedException(`User: ${ctx.caller.arn} is not authorized to perform: ${action}: only principals of the home account ${ctx.homeAccountId} administer this Coffer`);
  }
  await ctx.authorizeAccount(action, '*');
}

export const createAccount: AdminOperation = {
  name: 'CreateAccount',
  async run(input, ctx) {
    await authorize(ctx, 'CreateAccount');
    const accountId = input.AccountId as string;
    try {
      const planned = await planNewAccount(accountId, ctx.homeAccountId, async (id) => (await ctx.accounts.getAccount(id)) !== undefined, ctx.now());
      ctx.uow.changes.push(...planned.changes);
      return { AccountId: accountId, RootAccessKeyId: planned.credentials.accessKeyId, RootSecretAccessKey: planned.credentials.secretAccessKey };
    } catch (e) {
      if (e instanceof AccountProblem) throw e.kind === 'exists' ? new EntityAlreadyExistsException(e.message) : new ValidationException(e.message);
      throw e;
    }
  },
};

const DEFAULT_LIMIT = 100;

export const listAccounts: AdminOperation = {
  name: 'ListAccounts',
  async run(input, ctx) {
    await authorize(ctx, 'ListAccounts');
    const marker = input.Marker as string | undefined;
    const limit = (input.Limit as number | undefined) ?? DEFAULT_LIMIT;
    const all = (await ctx.accounts.listAccounts()).sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
    if (marker !== undefined && !/^\d{12}$/.test(marker)) throw new ValidationException('Marker is not one this API answered.');
    const rest = marker === undefined ? all : all.filter((a) => a.accountId > marker);
    const page = rest.slice(0, limit);
    return {
      Accounts: page.map((a) => ({ AccountId: a.accountId, CreatedAt: new Date(a.createDate) })),
      ...(rest.length > limit ? { NextMarker: page.at(-1)?.accountId } : {}),
    };
  },
};
