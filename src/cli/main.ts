/**
 * Coffer's admin command, run on a data folder while its server is stopped (the server holds the
 * database's exclusive lock):
 *
 *   npm run coffer -- accounts create <12-digit account id>
 *   npm run coffer -- accounts list
 *
 * The data folder is COFFER_DATA_DIR (default ./data). `accounts create` adds the account and its
 * root credentials: the secret is written once to `<data>/accounts/<id>/root-credentials.json`
 * (mode 0600, folder 0700) and only that path is printed. Exit status: 0 done, 1 failed, 2 usage.
 */
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config/config.ts';
import { openDatabase } from '../adapters/storage/sqlite.ts';
import { createSqliteIdentityRepository } from '../adapters/storage/sqlite-identity.ts';
import { ACCOUNT_ID, newAccessKeyId, newSecretAccessKey } from '../domain/identity.ts';

const USAGE = `Usage:
  npm run coffer -- accounts create <12-digit account id>
  npm run coffer -- accounts list

Works on the data folder COFFER_DATA_DIR (default ./data) while the Coffer server is stopped.`;

class UsageError extends Error {}

export const accountCredentialsFile = (dataDir: string, accountId: string): string => join(dataDir, 'accounts', accountId, 'root-credentials.json');

function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
}

function open(dataDir: string): ReturnType<typeof createSqliteIdentityRepository> & { close(): void } {
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(join(dataDir, 'coffer.db'));
  } catch (e) {
    if (e instanceof Error && /in use by another Coffer process/.test(e.message)) {
      throw new Error(`the data folder ${dataDir} is in use: a running Coffer server holds its database's exclusive lock. Stop the server, run this command, then start the server again.`);
    }
    throw e;
  }
  return Object.assign(createSqliteIdentityRepository(db), { close: () => db.close() });
}

function createAccount(dataDir: string, defaultAccountId: string, accountId: string | undefined): void {
  if (accountId === undefined || !ACCOUNT_ID.test(accountId)) throw new UsageError('accounts create needs a 12-digit account id, e.g. 444455556666');
  if (accountId === defaultAccountId) throw new Error(`account ${accountId} is the default account (COFFER_ACCOUNT_ID); it exists already`);
  privateDir(dataDir);
  const repo = open(dataDir);
  try {
    if (repo.getAccount(accountId)) throw new Error(`account ${accountId} exists already`);
    const creds = { accountId, accessKeyId: newAccessKeyId('AKIA'), secretAccessKey: newSecretAccessKey() };
    const file = accountCredentialsFile(dataDir, accountId);
    privateDir(resolve(file, '..'));
    // The file first (refusing to overwrite one), then the database: a failure leaves neither behind.
    writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    try {
      const now = Date.now();
      repo.transaction(() => {
        repo.addAccount({ accountId, createDate: now });
        repo.putAccessKey({ accessKeyId: creds.accessKeyId, accountId, owner: 'root', secretAccessKey: creds.secretAccessKey, status: 'Active', createDate: now });
      });
    } catch (e) {
      rmSync(file, { force: true });
      throw e;
    }
    console.log(`Created account ${accountId}.`);
    console.log(`Root credentials (account ${accountId}): ${file}`);
  } finally {
    repo.close();
  }
}

function listAccounts(dataDir: string, defaultAccountId: string): void {
  privateDir(dataDir);
  const repo = open(dataDir);
  try {
    const accounts = repo.listAccounts();
    if (!accounts.some((a) => a.accountId === defaultAccountId)) accounts.unshift({ accountId: defaultAccountId, createDate: 0 });
    for (const a of accounts) {
      const where = a.accountId === defaultAccountId
        ? 'default account; root credentials: COFFER_ROOT_* or root-credentials.json'
        : `root credentials: ${accountCredentialsFile(dataDir, a.accountId)}`;
      const users = repo.listUsers(a.accountId).length, roles = repo.listRoles(a.accountId).length;
      console.log(`${a.accountId}  ${users} user${users === 1 ? '' : 's'}, ${roles} role${roles === 1 ? '' : 's'}  (${where})`);
    }
  } finally {
    repo.close();
  }
}

function run(args: readonly string[]): number {
  const [area, command, ...rest] = args;
  try {
    const config = loadConfig();
    const dataDir = resolve(config.dataDir);
    if (area === 'accounts' && command === 'create' && rest.length <= 1) createAccount(dataDir, config.accountId, rest[0]);
    else if (area === 'accounts' && command === 'list' && rest.length === 0) listAccounts(dataDir, config.accountId);
    else throw new UsageError(area === undefined || area === 'help' || area === '--help' ? '' : `unknown command: ${args.join(' ')}`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message !== '') console.error(`coffer: ${e.message}`);
      console.error(USAGE);
      return 2;
    }
    const message = e instanceof ConfigError ? `configuration error: ${e.message}` : e instanceof Error ? e.message : String(e);
    console.error(`coffer: ${message}`);
    return 1;
  }
}

process.exitCode = run(process.argv.slice(2));
