/**
 * Coffer's admin command, run on an installation's storage: the data folder's SQLite database while
 * its server is stopped (the server holds the data folder's owner lock), or its PostgreSQL database:
 *
 *   npm run coffer -- accounts create <12-digit account id>
 *   npm run coffer -- accounts list
 *   npm run coffer -- audit verify [--public-key <file.pem>] [--digest-log <file.jsonl>]...
 *   npm run coffer -- audit export --out <file.jsonl> [--chain] [--since <date>] [--before <date>]
 *   npm run coffer -- audit public-key [--out <file.pem>]
 *   npm run coffer -- audit prune --before <date>
 *   npm run coffer -- migrate-storage --to <postgres://user:password@host:5432/database>
 *   npm run coffer -- seal migrate --from <key-file|passphrase|pkcs11> --to <key-file|passphrase|pkcs11>
 *   npm run coffer -- backup create --out <file>
 *   npm run coffer -- backup restore <file> --data-dir <new folder>
 *   npm run coffer -- hsm <cluster activate | user create | user list | user change-password | user delete> … (cli/hsm/client.ts)
 *   npm run coffer -- encrypt --key-id <key> [--in <file>] [--out <file>] [--context k=v]... (cli/file-crypto/command.ts)
 *   npm run coffer -- decrypt [--in <file>] [--out <file>] [--key-id <key>] [--context k=v]...
 *
 * The data folder is COFFER_DATA_DIR (default ./data). The storage is the server's: with
 * COFFER_DATABASE_URL set, that PostgreSQL database (cli/backend.ts; nodes may be serving, and a
 * change the command commits tells them to drop their cached identities), else the data folder's
 * SQLite database, whose owner lock the command takes (so the server must be stopped). The audit
 * commands work over every chain (each writer's). `accounts create` adds the account and its
 * root credentials: the secret is written once to `<data>/accounts/<id>/root-credentials.json`
 * (mode 0600, folder 0700) and only that path is printed. `audit verify` exits 1 when the trail
 * fails verification and names the first bad record; it pins `--public-key` (else the data
 * folder's audit-public-key.pem) and checks each `--digest-log` (else the data folder's and
 * COFFER_AUDIT_DIGEST_LOG's). `migrate-storage` copies the data folder's SQLite installation, its
 * server stopped, into an empty PostgreSQL database (cli/migrate-storage.ts) and prints the counts
 * copied. `seal migrate` moves the data folder's domain keys from one root seal to another, its
 * server stopped (adapters/keystore/seal-migration.ts), with the seals' settings from the environment.
 * `backup create` copies the data folder's SQLite installation while its server runs (no owner
 * lock: a read-only connection of its own), without the seal, into one backup file; `backup
 * restore` puts one into a new or empty folder after checking it (cli/backup.ts). On PostgreSQL
 * `backup create` refuses and names the database's own tools. Exit status: 0 done, 1 failed, 2 usage.
 */
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config/config.ts';
import type { Config } from '../config/config.ts';
import type { Backend } from '../adapters/backend/backend.ts';
import { ACCOUNT_ID, newAccessKeyId, newSecretAccessKey } from '../domain/identity.ts';
import { auditExport, auditPrune, auditPublicKey, auditVerify, type AuditCommandResult, type AuditSource } from './audit.ts';
import { backendAuditSource, openCliBackend, openIdentities, type Identities } from './backend.ts';
import { migrateStorage } from './migrate-storage.ts';
import { migrateSeal } from '../adapters/keystore/seal-migration.ts';
import { sealSettingsFromConfig } from '../adapters/keystore/open.ts';
import { loadPkcs11Module } from '../adapters/pkcs11/load.ts';
import { runHsmCli } from './hsm/client.ts';
import { backupCreate, backupRestore } from './backup.ts';

const sealOf = (config: Config) => sealSettingsFromConfig(config, loadPkcs11Module);

const USAGE = `Usage:
  npm run coffer -- accounts create <12-digit account id>
  npm run coffer -- accounts list
  npm run coffer -- audit verify [--public-key <file.pem>] [--digest-log <file.jsonl>]...
  npm run coffer -- audit export --out <file.jsonl> [--chain] [--since <date>] [--before <date>]
  npm run coffer -- audit public-key [--out <file.pem>]
  npm run coffer -- audit prune --before <date>
  npm run coffer -- migrate-storage --to <postgres://user:password@host:5432/database>
  npm run coffer -- seal migrate --from <key-file|passphrase|pkcs11> --to <key-file|passphrase|pkcs11>
  npm run coffer -- backup create --out <file>
  npm run coffer -- backup restore <file> --data-dir <new folder>
  npm run coffer -- encrypt --key-id <key> [--in <file>] [--out <file>] [--context k=v]... [--signed]
  npm run coffer -- decrypt [--in <file>] [--out <file>] [--key-id <key>] [--context k=v]...
      (encrypt, decrypt: files in the AWS Encryption SDK's format, through a running Coffer's KMS API; --help)

Works on the data folder COFFER_DATA_DIR (default ./data) while the Coffer server is stopped, or,
with COFFER_DATABASE_URL set, on that PostgreSQL database (nodes may be serving). migrate-storage
copies the data folder's SQLite installation (server stopped) into an empty PostgreSQL database.
seal migrate rewraps the domain keys under another root seal (server stopped); each seal's settings
come from the environment (COFFER_ROOT_PASSPHRASE, COFFER_PKCS11_MODULE, COFFER_SEAL_PKCS11_*).
backup create copies the data folder's SQLite installation while the server runs, without the
seal; backup restore puts a backup into a new or empty folder, whose seal the operator brings.`;

class UsageError extends Error {}

export const accountCredentialsFile = (dataDir: string, accountId: string): string => join(dataDir, 'accounts', accountId, 'root-credentials.json');

function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
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

/** Opens the configured backend for `body` and closes it after. */
async function withBackend<T>(config: Config, dataDir: string, body: (backend: Backend) => Promise<T>): Promise<T> {
  privateDir(dataDir);
  const backend = await openCliBackend(config, dataDir, (message) => console.error(`coffer: warning: ${message}`));
  try {
    return await body(backend);
  } finally {
    await backend.close();
  }
}

/** Opens the identity store on the configured backend for `body` and closes both after. */
async function withIdentities<T>(config: Config, dataDir: string, body: (ids: Identities) => Promise<T>): Promise<T> {
  return withBackend(config, dataDir, async (backend) => {
    const ids = await openIdentities(backend, dataDir, sealOf(config));
    try {
      return await body(ids);
    } finally {
      ids.close();
    }
  });
}

async function audit(config: Config, dataDir: string, command: string | undefined, rest: readonly string[]): Promise<number> {
  const configuredDigestLog = config.auditDigestLog;
  let run: (source: AuditSource) => Promise<AuditCommandResult>;
  if (command === 'verify') {
    const o = { dataDir, configuredDigestLog, ...verifyOptions(rest) };
    run = (source) => auditVerify(source, o);
  } else if (command === 'export') {
    const o = options(rest, { '--out': 'value', '--chain': 'flag', '--since': 'value', '--before': 'value' });
    const out = o.get('--out');
    if (out === undefined) throw new UsageError('audit export needs --out <file.jsonl>');
    const opts = { chain: o.has('--chain'), since: date(o.get('--since'), '--since'), before: date(o.get('--before'), '--before') };
    run = (source) => auditExport(source, out, opts);
  } else if (command === 'public-key') {
    const out = options(rest, { '--out': 'value' }).get('--out');
    run = (source) => auditPublicKey(source, out);
  } else if (command === 'prune') {
    const before = date(options(rest, { '--before': 'value' }).get('--before'), '--before');
    if (before === undefined) throw new UsageError('audit prune needs --before <date>');
    run = (source) => auditPrune(source, before);
  } else throw new UsageError(`unknown command: audit ${[command, ...rest].join(' ')}`);
  const r = await withBackend(config, dataDir, (backend) => run(backendAuditSource(backend)));
  for (const line of r.lines) (r.exitCode === 0 ? console.log : console.error)(line);
  return r.exitCode;
}

async function createAccount(config: Config, dataDir: string, accountId: string | undefined): Promise<void> {
  if (accountId === undefined || !ACCOUNT_ID.test(accountId)) throw new UsageError('accounts create needs a 12-digit account id, e.g. 444455556666');
  if (accountId === config.accountId) throw new Error(`account ${accountId} is the default account (COFFER_ACCOUNT_ID); it exists already`);
  await withIdentities(config, dataDir, async ({ repo, storage, notice }) => {
    if (await repo.getAccount(accountId)) throw new Error(`account ${accountId} exists already`);
    const creds = { accountId, accessKeyId: newAccessKeyId('AKIA'), secretAccessKey: newSecretAccessKey() };
    const file = accountCredentialsFile(dataDir, accountId);
    privateDir(resolve(file, '..'));
    // The file first (refusing to overwrite one), then the database: a failure leaves neither behind.
    writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    try {
      const now = Date.now();
      // On PostgreSQL running nodes read the notice and drop their cached identities.
      await storage.commit({
        notice,
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
  });
}

async function listAccounts(config: Config, dataDir: string): Promise<void> {
  const defaultAccountId = config.accountId;
  await withIdentities(config, dataDir, async ({ repo }) => {
    const accounts = await repo.listAccounts();
    if (!accounts.some((a) => a.accountId === defaultAccountId)) accounts.unshift({ accountId: defaultAccountId, createDate: 0 });
    for (const a of accounts) {
      const where = a.accountId === defaultAccountId
        ? 'default account; root credentials: COFFER_ROOT_* or root-credentials.json'
        : `root credentials: ${accountCredentialsFile(dataDir, a.accountId)}`;
      const users = (await repo.listUsers(a.accountId)).length, roles = (await repo.listRoles(a.accountId)).length;
      console.log(`${a.accountId}  ${users} user${users === 1 ? '' : 's'}, ${roles} role${roles === 1 ? '' : 's'}  (${where})`);
    }
  });
}

/** `migrate-storage --to <postgres URL>`: the data folder's SQLite installation into an empty PostgreSQL database. */
async function migrate(config: Config, dataDir: string, rest: readonly string[]): Promise<number> {
  const to = options(rest, { '--to': 'value' }).get('--to');
  if (to === undefined || !/^postgres(ql)?:\/\//.test(to)) throw new UsageError('migrate-storage needs --to <postgres://user:password@host:5432/database>');
  const lines = await migrateStorage({
    dataDir, to, seal: sealOf(config), configuredDigestLog: config.auditDigestLog, now: Date.now(),
    warn: (message) => console.error(`coffer: warning: ${message}`),
  });
  for (const line of lines) console.log(line);
  return 0;
}

const SEAL_KINDS = ['key-file', 'passphrase', 'pkcs11'] as const;
type SealKindName = typeof SEAL_KINDS[number];
const sealKind = (value: string | undefined, option: string): SealKindName => {
  const kind = SEAL_KINDS.find((k) => k === value);
  if (kind === undefined) throw new UsageError(`seal migrate needs ${option} key-file, passphrase or pkcs11`);
  return kind;
};

/** `seal migrate --from <seal> --to <seal>`: the domain keys rewrapped under another root seal. */
async function sealMigrate(config: Config, dataDir: string, rest: readonly string[]): Promise<number> {
  const o = options(rest, { '--from': 'value', '--to': 'value' });
  const from = sealKind(o.get('--from'), '--from');
  const to = sealKind(o.get('--to'), '--to');
  const lines = await withBackend(config, dataDir, (backend) => migrateSeal({
    dataDir, from: sealOf({ ...config, seal: from }), to: sealOf({ ...config, seal: to }), withDomainKeys: (open) => backend.withDomainKeys(open),
  }));
  for (const line of lines) console.log(line);
  return 0;
}

/** `backup create --out FILE` (SQLite only: the server may be running) and `backup restore FILE --data-dir DIR`. */
async function backup(config: Config, dataDir: string, command: string | undefined, rest: readonly string[]): Promise<number> {
  let lines: string[];
  if (command === 'create') {
    const out = options(rest, { '--out': 'value' }).get('--out');
    if (out === undefined) throw new UsageError('backup create needs --out <file>');
    if (config.databaseUrl !== undefined) {
      throw new Error('backup create copies the data folder\'s SQLite database; with COFFER_DATABASE_URL the data lives in PostgreSQL: '
        + 'back it up with pg_dump (or the database\'s own backups and point-in-time recovery), and keep the seal apart from it');
    }
    const configuredSeal = config.seal !== 'auto' ? config.seal : config.rootPassphrase !== undefined ? 'passphrase' : 'key-file';
    lines = await backupCreate({ dataDir, out, configuredSeal, configuredDigestLog: config.auditDigestLog, now: new Date() });
  } else if (command === 'restore') {
    const [file, ...more] = rest;
    if (file === undefined || file.startsWith('--')) throw new UsageError('backup restore needs the backup file, then --data-dir <new folder>');
    const to = options(more, { '--data-dir': 'value' }).get('--data-dir');
    if (to === undefined) throw new UsageError('backup restore needs --data-dir <new folder>');
    lines = backupRestore({ file, dataDir: to });
  } else throw new UsageError(`unknown command: backup ${[command, ...rest].join(' ')}`);
  for (const line of lines) console.log(line);
  return 0;
}

async function run(args: readonly string[]): Promise<number> {
  const [area, command, ...rest] = args;
  // A client of a running server's HSM data plane: no data folder or storage of its own.
  if (area === 'hsm') {
    const result = await runHsmCli(args.slice(1), process.env);
    console.log(result.output);
    return result.exitCode;
  }
  // Clients of a running server's KMS API; loaded only here (the Encryption SDK takes a while to load).
  if (area === 'encrypt' || area === 'decrypt') return (await import('./file-crypto/command.ts')).runFileCrypto(area, args.slice(1), process.env);
  try {
    const config = loadConfig();
    const dataDir = resolve(config.dataDir);
    if (area === 'accounts' && command === 'create' && rest.length <= 1) await createAccount(config, dataDir, rest[0]);
    else if (area === 'accounts' && command === 'list' && rest.length === 0) await listAccounts(config, dataDir);
    else if (area === 'audit') return await audit(config, dataDir, command, rest);
    else if (area === 'seal' && command === 'migrate') return await sealMigrate(config, dataDir, rest);
    else if (area === 'backup') return await backup(config, dataDir, command, rest);
    else if (area === 'migrate-storage') return await migrate(config, dataDir, [command, ...rest].filter((a): a is string => a !== undefined));
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
