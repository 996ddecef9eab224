/**
 * Adding an account: the one place that decides whether an account id may be added and what an
 * added account is (its record and its root user's first access key). Both ways of adding one
 * call it: the admin API of a running server (operations/coffer/admin.ts, `CreateAccount`) and
 * the offline `coffer accounts create --offline` on a stopped server's storage (cli/commands/accounts.ts).
 * The caller commits the changes (with the call's audit record on the server) and hands the
 * secret out once.
 */
import { ACCOUNT_ID, newAccessKeyId, newSecretAccessKey, type AccessKeyRecord, type AccountRecord } from './identity.ts';

/** Why an account cannot be added: its id is not one (`invalid`), or it exists (`exists`). */
export class AccountProblem extends Error {
  constructor(readonly kind: 'invalid' | 'exists', message: string) {
    super(message);
    this.name = 'AccountProblem';
  }
}

export interface RootCredentials {
  readonly accountId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A new account: its root credentials (the secret, to hand out once) and the changes that store it. */
export interface NewAccount {
  readonly credentials: RootCredentials;
  readonly changes: readonly [
    { readonly kind: 'addAccount'; readonly account: AccountRecord },
    { readonly kind: 'putAccessKey'; readonly key: AccessKeyRecord },
  ];
}

/** Why `accountId` is no account id, or undefined. */
export function accountIdProblem(accountId: unknown): string | undefined {
  return typeof accountId === 'string' && ACCOUNT_ID.test(accountId) ? undefined : 'An account id is 12 digits, e.g. 444455556666.';
}

/**
 * The account `accountId`, planned: AccountProblem when the id is not one, is the home account
 * (COFFER_ACCOUNT_ID, which the server creates itself) or names an account that `exists`.
 */
export async function planNewAccount(accountId: string, homeAccountId: string, exists: (accountId: string) => Promise<boolean>, now: number): Promise<NewAccount> {
  const problem = accountIdProblem(accountId);
  if (problem !== undefined) throw new AccountProblem('invalid', problem);
  if (accountId === homeAccountId) throw new AccountProblem('exists', `Account ${accountId} is the home account (COFFER_ACCOUNT_ID); it exists already.`);
  if (await exists(accountId)) throw new AccountProblem('exists', `Account ${accountId} exists already.`);
  const credentials = { accountId, accessKeyId: newAccessKeyId('AKIA'), secretAccessKey: newSecretAccessKey() };
  return {
    credentials,
    changes: [
      { kind: 'addAccount', account: { accountId, createDate: now } },
      { kind: 'putAccessKey', key: { accessKeyId: credentials.accessKeyId, accountId, owner: 'root', secretAccessKey: credentials.secretAccessKey, status: 'Active', createDate: now } },
    ],
  };
}
