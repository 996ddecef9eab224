/**
 * `coffer accounts create <id>` and `coffer accounts list`: by default calls to the running server's
 * admin API (CofferAdminService: authorized and audited like any call; cli/admin-client.ts), with
 * the client options of the other client commands. `create` writes the new root credentials to
 * --out (default ./accounts/<id>/root-credentials.json; mode 0600, folder 0700) and prints only
 * that path, never the secret.
 *
 * `--offline` (or `--data-dir DIR`) works on the storage directly (data-folder.ts), for disaster
 * recovery with the server stopped (or on COFFER_DATABASE_URL's PostgreSQL): the account is added
 * as the server adds it (domain/accounts.ts) and its credentials go to
 * <data>/accounts/<id>/root-credentials.json. Nothing is audited on that path.
 */
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { accountIdProblem, AccountProblem, planNewAccount, type RootCredentials } from '../../domain/accounts.ts';
import { act, UsageError } from './action.ts';
import { clientOptions, withClientOptions, type ClientOptions } from './client-options.ts';
import { privateDir, withIdentities } from './data-folder.ts';
import { adminCaller, modeOf, offlineFolder, offlineHelp, online, whileRunning, withOfflineOptions, type Mode } from './offline.ts';
import { printRows } from './output.ts';

export const accountCredentialsFile = (dataDir: string, accountId: string): string => join(dataDir, 'accounts', accountId, 'root-credentials.json');

/** The credentials file, created empty (mode 0600, folder 0700; an existing one is refused) before the account exists, so the secret always has a place. */
function openCredentialsFile(file: string): number {
  privateDir(resolve(file, '..'));
  try {
    return openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${file} exists already: choose another --out, or move it away`);
    throw e;
  }
}

function writeCredentials(fd: number, creds: RootCredentials): void {
  try {
    writeSync(fd, `${JSON.stringify({ accountId: creds.accountId, accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
}

function printCreated(accountId: string, file: string): void {
  console.log(`Created account ${accountId}.`);
  console.log(`Root credentials (account ${accountId}): ${file}`);
}

async function createOnline(cmd: Command, accountId: string, options: ClientOptions): Promise<number | void> {
  const out = resolve(cmd.opts<{ out?: string }>().out ?? accountCredentialsFile('.', accountId));
  const fd = openCredentialsFile(out);
  return online(cmd, async () => {
    let answer: Record<string, unknown>;
    try {
      answer = await adminCaller(options)('CreateAccount', { AccountId: accountId });
    } catch (e) {
      // Refused or not reached: no credentials file is left behind.
      closeSync(fd);
      rmSync(out, { force: true });
      throw e;
    }
    const { RootAccessKeyId: accessKeyId, RootSecretAccessKey: secretAccessKey } = answer;
    if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string') {
      closeSync(fd);
      throw new Error(`the server created account ${accountId} but answered no root credentials`);
    }
    writeCredentials(fd, { accountId, accessKeyId, secretAccessKey });
    printCreated(accountId, out);
  });
}

async function createOffline(accountId: string, mode: Mode): Promise<void> {
  const { config, dataDir } = offlineFolder(mode);
  await whileRunning(() => withIdentities(config, dataDir, async ({ repo, storage, notice }) => {
    const planned = await planNewAccount(accountId, config.accountId, async (id) => (await repo.getAccount(id)) !== undefined, Date.now());
    const file = accountCredentialsFile(dataDir, accountId);
    // The file first (refusing to overwrite one), then the database: a failure leaves neither behind.
    const fd = openCredentialsFile(file);
    writeCredentials(fd, planned.credentials);
    try {
      // On PostgreSQL running nodes read the notice and drop their cached identities.
      await storage.commit({ notice, changes: [...planned.changes] });
    } catch (e) {
      rmSync(file, { force: true });
      throw e;
    }
    printCreated(accountId, file);
  }));
}

async function createAccount(cmd: Command): Promise<number | void> {
  const accountId = String(cmd.processedArgs[0]);
  const problem = accountIdProblem(accountId);
  if (problem !== undefined) throw new UsageError(`accounts create needs a 12-digit account id, e.g. 444455556666, got '${accountId}'`);
  const mode = modeOf(cmd);
  if (mode.offline && cmd.opts<{ out?: string }>().out !== undefined) throw new UsageError('--out is for the server\'s API; offline the credentials go to <data>/accounts/<id>/root-credentials.json');
  if (!mode.offline) return createOnline(cmd, accountId, clientOptions(cmd, process.env));
  try {
    await createOffline(accountId, mode);
  } catch (e) {
    if (e instanceof AccountProblem) throw new Error(e.message);
    throw e;
  }
}

async function listOnline(cmd: Command, options: ClientOptions): Promise<number | void> {
  const call = adminCaller(options);
  const rows: { AccountId: string; CreatedAt: string }[] = [];
  return online(cmd, async () => {
    let marker: string | undefined;
    do {
      const page = await call('ListAccounts', marker === undefined ? {} : { Marker: marker });
      for (const a of (Array.isArray(page.Accounts) ? page.Accounts : []) as { AccountId?: unknown; CreatedAt?: unknown }[]) {
        rows.push({ AccountId: String(a.AccountId), CreatedAt: typeof a.CreatedAt === 'number' ? new Date(a.CreatedAt * 1000).toISOString() : '' });
      }
      marker = typeof page.NextMarker === 'string' ? page.NextMarker : undefined;
    } while (marker !== undefined);
    if (options.output === 'json') console.log(JSON.stringify({ Accounts: rows }, null, 2));
    else printRows('table', rows, [['AccountId', 'Account'], ['CreatedAt', 'Created']]);
  });
}

async function listOffline(mode: Mode): Promise<void> {
  const { config, dataDir } = offlineFolder(mode);
  const defaultAccountId = config.accountId;
  await whileRunning(() => withIdentities(config, dataDir, async ({ repo }) => {
    const accounts = await repo.listAccounts();
    if (!accounts.some((a) => a.accountId === defaultAccountId)) accounts.unshift({ accountId: defaultAccountId, createDate: 0 });
    for (const a of accounts) {
      const file = accountCredentialsFile(dataDir, a.accountId);
      // An account added through the API has its credentials where `create --out` wrote them, not here.
      const where = a.accountId === defaultAccountId ? 'default account; root credentials: COFFER_ROOT_* or root-credentials.json'
        : existsSync(file) ? `root credentials: ${file}` : 'root credentials: where `accounts create --out` wrote them';
      const users = (await repo.listUsers(a.accountId)).length, roles = (await repo.listRoles(a.accountId)).length;
      console.log(`${a.accountId}  ${users} user${users === 1 ? '' : 's'}, ${roles} role${roles === 1 ? '' : 's'}  (${where})`);
    }
  }));
}

const ACTIONS = ['coffer:CreateAccount', 'coffer:ListAccounts'];

export function accountsCommand(program: Command): void {
  const accounts = program.command('accounts').description('accounts and their root credentials, through the running server (or --offline on its storage)')
    .addHelpText('after', offlineHelp(ACTIONS));
  const create = accounts.command('create').argument('<account-id>', '12-digit account id, e.g. 444455556666')
    .description('add an account; its root credentials go to --out (mode 0600), only the path is printed')
    .option('--out <file>', 'where the new root credentials go (default ./accounts/<id>/root-credentials.json; offline: <data>/accounts/<id>/root-credentials.json)');
  act(withOfflineOptions(withClientOptions(create, { output: false }), ACTIONS), (cmd) => createAccount(cmd));
  const list = accounts.command('list').description('the accounts (offline: with their user and role counts and where their root credentials are)');
  act(withOfflineOptions(withClientOptions(list, { output: true }), ACTIONS), (cmd) => {
    const mode = modeOf(cmd);
    return mode.offline ? listOffline(mode) : listOnline(cmd, clientOptions(cmd, process.env));
  });
}
