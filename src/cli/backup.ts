/**
 * `backup create` and `backup restore`: the data folder's SQLite installation into one backup file
 * (backup-file.ts) while its server runs, and back into a new folder.
 *
 * The backup never holds the root seal (the key file, the passphrase, the token): the database's
 * key material is wrapped under domain keys that only the seal opens, so a backup is useless
 * without the seal, and the seal is kept apart from it. What each file of a data folder becomes is
 * the table FILES; anything else in the folder is not Coffer's and is left out.
 *
 * Create takes no owner lock: the database is copied through a read-only connection of its own
 * (sqlite-backup.ts). The digest logs are read BEFORE the database is copied: a digest is appended
 * to them only after it committed, so every digest they hold is in the copy, and a server started
 * on the restored folder appends the ones after (a log ending in a digest its database lacks would
 * stop that start). Restore goes only into a new or empty folder, and checks the file (its
 * checksums, then SQLite's integrity_check of the database) before anything is moved into place.
 */
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, chmodSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { checkDatabaseCopy, snapshotDatabase, type DatabaseSummary } from '../adapters/storage/sqlite-backup.ts';
import { TOKEN_WRAP_VERSION } from '../adapters/keystore/root-seal.ts';
import { BackupFileError, openBackupFile, syncDir, writeBackupFile, type BackupHeader, type BackupReader, type EntrySource } from './backup-file.ts';

const DATABASE = 'coffer.db';

/** Each file a data folder may hold: whether a backup takes it, and why (README: Backups). */
export const FILES: readonly { readonly name: RegExp; readonly backedUp: boolean; readonly why: string }[] = [
  { name: /^coffer\.db$/, backedUp: true, why: 'the database: keys, aliases, grants, identities, the audit trail; its key material (and the audit signing key) only wrapped under domain keys that the root seal opens' },
  { name: /^coffer\.db-(wal|shm|journal)$/, backedUp: false, why: "the database's working files: the copy holds every change they had committed" },
  { name: /^coffer\.db-lock(-journal)?$/, backedUp: false, why: "the running server's owner lock" },
  { name: /^root\.key$/, backedUp: false, why: 'the root seal itself: never in a backup, keep it apart' },
  { name: /^root-key\.salt$/, backedUp: true, why: "the passphrase seal's salt: not secret, and the passphrase alone derives nothing without it" },
  { name: /^root-credentials\.json$/, backedUp: false, why: "the default account root's secret in the clear, good against the running server: a restore sets COFFER_ROOT_* or copies the file, else new root credentials are made at first start" },
  { name: /^accounts$/, backedUp: false, why: "other accounts' root secrets as handed out once, in the clear; the database keeps them sealed" },
  { name: /^audit-public-key\.pem$/, backedUp: true, why: 'the public half of the audit signing key, which the restored server and `audit verify` pin' },
  { name: /^audit-digests(\.[A-Za-z0-9._-]+)?\.jsonl$/, backedUp: true, why: "the signed digests kept outside the database (each writer's chain), read before the copy so that the copy holds every one" },
];

const treatment = (name: string) => FILES.find((f) => f.name.test(name));

/** The entry names a backup may hold: the files backed up, nothing else (no path ever comes from a backup file). */
export const allowedEntry = (name: string): boolean => treatment(name)?.backedUp === true && !name.includes('/');

/** A digest log up to its last whole line (an append in progress is not yet a digest). */
function wholeLines(data: Buffer): Buffer {
  return data.subarray(0, data.lastIndexOf(0x0a) + 1);
}

type SealKind = BackupHeader['seal'];

/** The seal the restored folder needs: a token's layout is certain; a software seal is the key file or the passphrase. */
function sealOf(summary: DatabaseSummary, configured: SealKind, has: (file: string) => boolean): SealKind {
  if (summary.domainKeyLayouts.some((b) => b === TOKEN_WRAP_VERSION)) return 'pkcs11';
  if (configured === 'key-file' || configured === 'passphrase') return configured;
  if (has('root.key')) return 'key-file';
  return has('root-key.salt') ? 'passphrase' : 'unknown';
}

export interface CreateOptions {
  readonly dataDir: string;
  readonly out: string;
  /** The seal the command's environment configures (COFFER_SEAL, COFFER_ROOT_PASSPHRASE), if it says. */
  readonly configuredSeal: SealKind;
  /** COFFER_AUDIT_DIGEST_LOG, which is kept apart and not backed up. */
  readonly configuredDigestLog: string | undefined;
  readonly now: Date;
}

/** `backup create --out FILE`: returns what to print. */
export async function backupCreate(o: CreateOptions): Promise<string[]> {
  const database = join(o.dataDir, DATABASE);
  if (!existsSync(database)) throw new Error(`there is no SQLite installation to back up: ${database} does not exist (COFFER_DATA_DIR)`);
  const out = resolve(o.out);
  if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory()) throw new Error(`cannot write ${out}: the folder ${dirname(out)} does not exist`);
  if (existsSync(out) && !statSync(out).isFile()) throw new Error(`cannot write ${out}: it is not a file`);
  // The copy of the database holds wrapped key material: private to this user from its first byte.
  process.umask(0o077);
  const names = readdirSync(o.dataDir).sort();
  const small: EntrySource[] = [];
  const left: string[] = [];
  for (const name of names) {
    const t = treatment(name);
    if (name === DATABASE) continue;
    if (t === undefined) { left.push(`${name} (not Coffer's)`); continue; }
    if (!t.backedUp) { if (!name.startsWith(`${DATABASE}-`)) left.push(`${name} (${t.why})`); continue; }
    const data = readFileSync(join(o.dataDir, name));
    small.push({ name, data: name.endsWith('.jsonl') ? wholeLines(data) : data });
  }
  const copy = join(dirname(out), `.${basename(out)}.db-${process.pid}-${randomBytes(4).toString('hex')}`);
  closeSync(openSync(copy, 'wx', 0o600));
  try {
    const summary = await snapshotDatabase(database, copy);
    const header = writeBackupFile(out, {
      createdAt: o.now.toISOString(),
      source: { host: hostname(), dataDir: o.dataDir },
      database: { schemaVersion: summary.schemaVersion, keys: summary.keys, auditRecords: summary.auditRecords },
      seal: sealOf(summary, o.configuredSeal, (f) => names.includes(f)),
    }, [{ name: DATABASE, path: copy }, ...small]);
    const size = statSync(out).size;
    return [
      `Backed up ${o.dataDir} to ${out} (${size} bytes, taken ${header.createdAt}): ${summary.keys} key${summary.keys === 1 ? '' : 's'}, ${summary.auditRecords} audit record${summary.auditRecords === 1 ? '' : 's'}.`,
      `In the backup: ${header.entries.map((e) => e.name).join(', ')}.`,
      ...(left.length > 0 ? [`Not in the backup: ${left.join('; ')}.`] : []),
      ...(o.configuredDigestLog !== undefined ? [`Not in the backup: COFFER_AUDIT_DIGEST_LOG (${o.configuredDigestLog}), kept apart on purpose.`] : []),
      `The root seal is NOT in the backup (${sealNeeds(header.seal)}): keep it apart; without it the backup cannot be opened.`,
    ];
  } finally {
    for (const f of [copy, `${copy}-journal`, `${copy}-wal`, `${copy}-shm`]) rmSync(f, { force: true });
  }
}

function sealNeeds(seal: SealKind): string {
  switch (seal) {
    case 'key-file': return 'the key file root.key';
    case 'passphrase': return 'the passphrase, COFFER_ROOT_PASSPHRASE';
    case 'pkcs11': return 'the PKCS#11 token that keeps the root key, COFFER_SEAL=pkcs11 and COFFER_SEAL_PKCS11_*';
    case 'unknown': return 'the seal the data folder was started with';
  }
}

function bringSeal(seal: SealKind, dir: string): string {
  switch (seal) {
    case 'key-file': return `copy the root key file root.key (kept apart from backups) into ${dir}, mode 0600, before the first start (a start without it stops and says so)`;
    case 'passphrase': return 'set COFFER_ROOT_PASSPHRASE (COFFER_SEAL=passphrase) to the installation\'s passphrase';
    case 'pkcs11': return 'set COFFER_SEAL=pkcs11 with COFFER_PKCS11_MODULE, COFFER_SEAL_PKCS11_TOKEN_LABEL and COFFER_SEAL_PKCS11_PIN of the token that keeps the root key';
    case 'unknown': return 'bring the seal the installation was started with (its root.key, its passphrase or its token)';
  }
}

export interface RestoreOptions {
  readonly file: string;
  readonly dataDir: string;
}

/** `backup restore FILE --data-dir DIR`: into a new or empty folder only; returns what to print. */
export function backupRestore(o: RestoreOptions): string[] {
  const dir = resolve(o.dataDir);
  const file = resolve(o.file);
  const existed = existsSync(dir);
  const refuseNonEmpty = (except?: string): void => {
    const held = readdirSync(dir).filter((n) => n !== except);
    if (held.length > 0) {
      throw new Error(`${dir} is not empty (it holds ${held.slice(0, 5).join(', ')}${held.length > 5 ? ', …' : ''}): a backup is restored only into a new or empty folder, so that no installation is overwritten`);
    }
  };
  if (existed) {
    if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
    refuseNonEmpty();
  }
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  let reader: BackupReader;
  try {
    reader = openBackupFile(file, allowedEntry);
  } catch (e) {
    if (e instanceof BackupFileError) throw new Error(`${file} cannot be restored: ${e.message}. Nothing was written; use another backup.`);
    throw e;
  }
  const { header } = reader;
  const staging = join(dir, `.restore-${process.pid}-${randomBytes(4).toString('hex')}`);
  let summary: DatabaseSummary;
  process.umask(0o077);
  try {
    if (!header.entries.some((e) => e.name === DATABASE)) throw new BackupFileError(`it holds no ${DATABASE}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
    mkdirSync(staging, { mode: 0o700 });
    for (const e of header.entries) reader.extract(e.name, join(staging, e.name));
    summary = checkDatabaseCopy(join(staging, DATABASE));
    if (summary.keys !== header.database.keys || summary.auditRecords !== header.database.auditRecords) {
      throw new BackupFileError(`its database holds ${summary.keys} keys and ${summary.auditRecords} audit records, its header says ${header.database.keys} and ${header.database.auditRecords}`);
    }
    refuseNonEmpty(basename(staging));
    // The database last: until it is in place the folder is no installation.
    const order = [...header.entries.filter((e) => e.name !== DATABASE), ...header.entries.filter((e) => e.name === DATABASE)];
    for (const e of order) renameSync(join(staging, e.name), join(dir, e.name));
    rmdirSync(staging);
    syncDir(dir);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (!existed) rmSync(dir, { recursive: true, force: true });
    if (e instanceof BackupFileError) throw new Error(`${file} cannot be restored: ${e.message}. Nothing was restored; use another backup.`);
    if (e instanceof Error) throw new Error(`${file} cannot be restored: ${e.message}. Nothing was restored.`, { cause: e });
    throw e;
  } finally {
    reader.close();
  }
  return [
    `Restored the backup of ${header.source.dataDir} on ${header.source.host}, taken ${header.createdAt}, into ${dir}: ${summary.keys} key${summary.keys === 1 ? '' : 's'}, ${summary.auditRecords} audit record${summary.auditRecords === 1 ? '' : 's'} (integrity_check ok).`,
    `The seal is not in the backup: ${bringSeal(header.seal, dir)}.`,
    `Root credentials are not in backups: set COFFER_ROOT_ACCESS_KEY_ID and COFFER_ROOT_SECRET_ACCESS_KEY, or copy root-credentials.json into ${dir}; else new ones are made at the first start (key policies name the account, so they work as well).`,
    `Then start Coffer there: COFFER_DATA_DIR=${dir} npm start`,
  ];
}
