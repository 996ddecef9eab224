/**
 * Coffer's admin command, run on a data folder while its server is stopped (the server holds the
 * data folder's owner lock):
 *
 *   npm run coffer -- accounts create <12-digit account id>
 *   npm run coffer -- accounts list
 *   npm run coffer -- audit verify [--public-key <file.pem>] [--digest-log <file.jsonl>]...
 *   npm run coffer -- audit export --out <file.jsonl> [--chain] [--since <date>] [--before <date>]
 *   npm run coffer -- audit public-key [--out <file.pem>]
 *   npm run coffer -- audit prune --before <date>
 *
 * The data folder is COFFER_DATA_DIR (default ./data). `accounts create` adds the account and its
 * root credentials: the secret is written once to `<data>/accounts/<id>/root-credentials.json`
 * (mode 0600, folder 0700) and only that path is printed. `audit verify` exits 1 when the trail
 * fails verification and names the first bad record; it pins `--public-key` (else the data
 * folder's audit-public-key.pem) and checks each `--digest-log` (else the data folder's and
 * COFFER_AUDIT_DIGEST_LOG's). Exit status: 0 done, 1 failed, 2 usage.
 */
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config/config.ts';
import { closeDatabase, openDatabase } from '../adapters/storage/sqlite.ts';
import { sqliteDomainKeys } from '../adapters/storage/sqlite-keys.ts';
import { createSqliteStorage } from '../adapters/storage/sqlite-storage.ts';
import type { IdentityRepository } from '../ports/identity-repository.ts';
import type { Storage } from '../ports/storage.ts';
import { openSealedKeyStore } from '../adapters/keystore/open.ts';
import { createSqliteIdentityRepository } from '../adapters/storage/sqlite-identity.ts';
import { ACCOUNT_ID, newAccessKeyId, newSecretAccessKey } from '../domain/identity.ts';
import { auditExport, auditPrune, auditPublicKey, auditVerify, type AuditCommandResult } from './audit.ts';

const USAGE = `Usage:
  npm run coffer -- accounts create <12-digit account id>
  npm run coffer -- accounts list
  npm run coffer -- audit verify [--public-key <file.pem>] [--digest-log <file.jsonl>]...
  npm run coffer -- audit export --out <file.jsonl> [--chain] [--since <date>] [--before <date>]
  npm run coffer -- audit public-key [--out <file.pem>]
  npm run coffer -- audit prune --before <date>

Works on the data folder COFFER_DATA_DIR (default ./data) while the Coffer server is stopped.`;

class UsageError extends Error {}

export const accountCredentialsFile = (dataDir: string, accountId: string): string => join(dataDir, 'accounts', accountId, 'root-credentials.json');

function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
}

function openDb(dataDir: string): ReturnType<typeof openDatabase> {
  try {
    return openDatabase(join(dataDir, 'coffer.db'));
  } catch (e) {
    if (e instanceof Error && /in use by another Coffer process/.test(e.message)) {
      throw new Error(`the data folder ${dataDir} is in use: a running Coffer server holds its owner lock. Stop the server, run this command, then start the server again.`);
    }
    throw e;
  }
}

/** The identity store; its secrets are sealed under the data folder's key hierarchy, opened with the server's seal. */
function open(dataDir: string, passphrase: string | undefined): { repo: IdentityRepository; storage: Storage; close(): void } {
  const db = openDb(dataDir);
  try {
    const store = openSealedKeyStore(dataDir, passphrase, sqliteDomainKeys(db), () => Date.now());
    return {
      repo: createSqliteIdentityRepository(db, store.secrets), storage: createSqliteStorage(db, store.secrets),
      close: () => { store.close(); closeDatabase(db); },
    };
  } catch (e) {
    closeDatabase(db);
    throw e;
  }
}

/** `--name value` options of the audit commands. */
function options(rest: readonly string[], known: Readonly<Record<string, 'value' | 'flag'>>): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] ?? '';
    const kind = known[a];
    if (kind === undefined) throw new UsageError(`unknown option ${a}`);
    if (kind === 'flag') { out.set(a, 'true'); continue; }
    const v = rest[++i];
    if (v === undefined) throw new UsageError(`${a} needs a value`);
    out.set(a, v);
  }
  return out;
}

function date(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new UsageError(`${name} must be a date such as 2026-01-31 or 2026-01-31T12:00:00Z, got '${v}'`);
  return ms;
}

/** `audit verify`'s options: `--public-key FILE` once, `--digest-log FILE` any number of times. */
function verifyOptions(rest: readonly string[]): { publicKeyFile: string | undefined; digestLogs: string[] } {
  let publicKeyFile: string | undefined;
  const digestLogs: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const [name, value] = [rest[i], rest[i + 1]];
    if (name !== '--public-key' && name !== '--digest-log') throw new UsageError(`unknown option ${name ?? ''}`);
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    if (name === '--digest-log') digestLogs.push(value);
    else if (publicKeyFile !== undefined) throw new UsageError('--public-key may be given once');
    else publicKeyFile = value;
  }
  return { publicKeyFile, digestLogs };
}

async function audit(dataDir: string, configuredDigestLog: string | undefined, command: string | undefined, rest: readonly string[]): Promise<number> {
  let run: (db: ReturnType<typeof openDatabase>) => AuditCommandResult | Promise<AuditCommandResult>;
  if (command === 'verify') {
    const o = { dataDir, configuredDigestLog, ...verifyOptions(rest) };
    run = (db) => auditVerify(db, o);
  } else if (command === 'export') {
    const o = options(rest, { '--out': 'value', '--chain': 'flag', '--since': 'value', '--before': 'value' });
    const out = o.get('--out');
    if (out === undefined) throw new UsageError('audit export needs --out <file.jsonl>');
    const opts = { chain: o.has('--chain'), since: date(o.get('--since'), '--since'), before: date(o.get('--before'), '--before') };
    run = (db) => auditExport(db, out, opts);
  } else if (command === 'public-key') {
    const out = options(rest, { '--out': 'value' }).get('--out');
    run = (db) => auditPublicKey(db, out);
  } else if (command === 'prune') {
    const before = date(options(rest, { '--before': 'value' }).get('--before'), '--before');
    if (before === undefined) throw new UsageError('audit prune needs --before <date>');
    run = (db) => auditPrune(db, before);
  } else throw new UsageError(`unknown command: audit ${[command, ...rest].join(' ')}`);
  privateDir(dataDir);
  const db = openDb(dataDir);
  try {
    const r = await run(db);
    for (const line of r.lines) (r.exitCode === 0 ? console.log : console.error)(line);
    return r.exitCode;
  } finally {
    closeDatabase(db);
  }
}

async function createAccount(dataDir: string, passphrase: string | undefined, defaultAccountId: string, accountId: string | undefined): Promise<void> {
  if (accountId === undefined || !ACCOUNT_ID.test(accountId)) throw new UsageError('accounts create needs a 12-digit account id, e.g. 444455556666');
  if (accountId === defaultAccountId) throw new Error(`account ${accountId} is the default account (COFFER_ACCOUNT_ID); it exists already`);
  privateDir(dataDir);
  const { repo, storage, close } = open(dataDir, passphrase);
  try {
    if (await repo.getAccount(accountId)) throw new Error(`account ${accountId} exists already`);
    const creds = { accountId, accessKeyId: newAccessKeyId('AKIA'), secretAccessKey: newSecretAccessKey() };
    const file = accountCredentialsFile(dataDir, accountId);
    privateDir(resolve(file, '..'));
    // The file first (refusing to overwrite one), then the database: a failure leaves neither behind.
    writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    try {
      const now = Date.now();
      await storage.commit({
        changes: [
          { kind: 'addAccount', account: { accountId, createDate: now } },
          { kind: 'putAccessKey', key: { accessKeyId: creds.accessKeyId, accountId, owner: 'root', secretAccessKey: creds.secretAccessKey, status: 'Active', createDate: now } },
        ],
      });
    } catch (e) {
      rmSync(file, { force: true });
      throw e;
    }
    console.log(`Created account ${accountId}.`);
    console.log(`Root credentials (account ${accountId}): ${file}`);
  } finally {
    close();
  }
}

async function listAccounts(dataDir: string, passphrase: string | undefined, defaultAccountId: string): Promise<void> {
  privateDir(dataDir);
  const { repo, close } = open(dataDir, passphrase);
  try {
    const accounts = await repo.listAccounts();
    if (!accounts.some((a) => a.accountId === defaultAccountId)) accounts.unshift({ accountId: defaultAccountId, createDate: 0 });
    for (const a of accounts) {
      const where = a.accountId === defaultAccountId
        ? 'default account; root credentials: COFFER_ROOT_* or root-credentials.json'
        : `root credentials: ${accountCredentialsFile(dataDir, a.accountId)}`;
      const users = (await repo.listUsers(a.accountId)).length, roles = (await repo.listRoles(a.accountId)).length;
      console.log(`${a.accountId}  ${users} user${users === 1 ? '' : 's'}, ${roles} role${roles === 1 ? '' : 's'}  (${where})`);
    }
  } finally {
    close();
  }
}

async function run(args: readonly string[]): Promise<number> {
  const [area, command, ...rest] = args;
  try {
    const config = loadConfig();
    const dataDir = resolve(config.dataDir);
    if (area === 'accounts' && command === 'create' && rest.length <= 1) await createAccount(dataDir, config.rootPassphrase, config.accountId, rest[0]);
    else if (area === 'accounts' && command === 'list' && rest.length === 0) await listAccounts(dataDir, config.rootPassphrase, config.accountId);
    else if (area === 'audit') return audit(dataDir, config.auditDigestLog, command, rest);
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

process.exitCode = await run(process.argv.slice(2));
