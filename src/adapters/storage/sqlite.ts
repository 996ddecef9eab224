/**
 * The data folder's SQLite database: opened with WAL and synchronous=FULL so that a committed
 * transaction survives power loss and `kill -9`, owned by one process (the owner lock), checked
 * before it is used (the WAL, then quick_check or integrity_check). The repositories of each port
 * (sqlite-keys.ts, sqlite-identity.ts, ../audit/sqlite-audit.ts) and the unit of work's commit
 * (sqlite-storage.ts) are built on the handle this opens.
 */
import Database from 'better-sqlite3';
import { describeFault, isStorageFault } from '../../errors/storage-fault.ts';
import { checkWal } from './sqlite-wal-check.ts';
import { KEYS_SCHEMA, migrateKeys } from './sqlite-keys.ts';
import { CLUSTERS_SCHEMA } from './sqlite-clusters.ts';
import { CUSTOM_KEY_STORES_SCHEMA } from './sqlite-custom-key-stores.ts';
import { SchemaTooNew } from '../../errors/schema-version.ts';

/**
 * The schema version this code writes, kept in SQLite's `user_version`. A data folder without one
 * (0: made before versions were kept) is version 1 and is migrated as before; one above this
 * version was written by a newer Coffer and is refused.
 */
export const SQLITE_SCHEMA_VERSION = 4;


/** The owner lock of each open database (see takeOwnerLock), released by closeDatabase. */
const ownerLocks = new WeakMap<Database.Database, Database.Database>();

/**
 * One process owns a data folder: the in-memory caches are only coherent with one writer. The
 * claim is an exclusive lock on a small companion database (`<file>-lock`), held while the
 * database is open; the database itself stays in normal locking mode, so a helper thread of the
 * same process (the background checkpointer) can open it too.
 */
export function takeOwnerLock(file: string): Database.Database {
  const lock = new Database(`${file}-lock`);
  try {
    lock.pragma('busy_timeout = 2000');
    lock.pragma('locking_mode = EXCLUSIVE');
    // In EXCLUSIVE locking mode the lock a write transaction takes is kept until close.
    lock.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL)');
    lock.transaction(() => {
      lock.exec('DELETE FROM owner');
      lock.prepare('INSERT INTO owner (pid) VALUES (?)').run(process.pid);
    }).exclusive();
  } catch (e) {
    lock.close();
    if (e instanceof Error && /locked|busy/i.test(e.message)) {
      throw new Error(`${file} is in use by another Coffer process (one process per data folder)`);
    }
    throw e;
  }
  return lock;
}

export type IntegrityCheck = 'quick' | 'full' | 'off';

export interface OpenOptions {
  /** SQLite's quick_check (pages and records well formed), integrity_check (also every index against its table), or none. */
  readonly integrityCheck?: IntegrityCheck;
  /** Told what the write-ahead log shows before SQLite recovers it (changes it will drop). */
  readonly onWarning?: (message: string) => void;
  /**
   * Whether this handle takes the data folder's owner lock (the default). A worker of an
   * installation (COFFER_WORKERS) opens the database without it: its primary process holds the
   * lock for them all, and checked the write-ahead log and the integrity before starting them.
   */
  readonly ownerLock?: boolean;
  /** Whether to check the write-ahead log and the integrity at open (default: when taking the owner lock). */
  readonly checks?: boolean;
}

/** Thrown when the database is damaged: the message says what SQLite found and what to do. */
export class DamagedDatabaseError extends Error {
  override readonly name = 'DamagedDatabaseError';
}

/** Runs the chosen check; a damaged database is refused with what SQLite found (its first problems). */
function checkIntegrity(db: Database.Database, file: string, check: IntegrityCheck): void {
  if (check === 'off') return;
  let found: string[];
  try {
    found = db.prepare<[], string>(check === 'full' ? 'PRAGMA integrity_check(20)' : 'PRAGMA quick_check(20)').pluck().all();
  } catch (e) {
    found = [e instanceof Error ? e.message : String(e)];
  }
  if (found.length === 1 && found[0] === 'ok') return;
  const what = found.slice(0, 5).map((f) => f.replace(/\s+/g, ' ').trim()).join('; ');
  throw new DamagedDatabaseError(`${file} is damaged (SQLite ${check === 'full' ? 'integrity_check' : 'quick_check'}: ${what}). `
    + 'Coffer will not serve from it: restore the data folder from a backup (the seal is kept apart from it), or copy what SQLite can still read with its .recover command and compare.');
}

/**
 * Opens the data folder's database with Coffer's durability settings (WAL, synchronous=FULL),
 * after taking the data folder's owner lock and, before SQLite sees it, reading the write-ahead
 * log for changes a recovery would drop (sqlite-wal-check.ts); then runs the integrity check and
 * the schema version's (a database of a newer Coffer is refused with SchemaTooNew).
 * The repositories of each port are built on the handle this returns; closeDatabase closes it
 * and releases the lock.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  const owner = options.ownerLock !== false;
  const lock = owner ? takeOwnerLock(file) : undefined;
  let db: Database.Database | undefined;
  try {
    const checks = options.checks ?? owner;
    const wal = checks ? checkWal(file) : undefined;
    for (const problem of wal?.problems ?? []) {
      options.onWarning?.(`${problem}; SQLite recovers the ${wal?.committedFrames ?? 0} committed frame(s) before it, so changes acknowledged after them may be lost`);
    }
    db = new Database(file);
    db.pragma('busy_timeout = 2000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    if (checks) checkIntegrity(db, file, options.integrityCheck ?? 'quick');
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > SQLITE_SCHEMA_VERSION) throw new SchemaTooNew(file, version, SQLITE_SCHEMA_VERSION);
    db.exec(KEYS_SCHEMA);
    migrateKeys(db);
    // Version 3: HSM clusters (created where missing).
    db.exec(CLUSTERS_SCHEMA);
    // Version 4: AWS_CLOUDHSM custom key stores (created where missing).
    db.exec(CUSTOM_KEY_STORES_SCHEMA);
    if (version < SQLITE_SCHEMA_VERSION) db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
  } catch (e) {
    db?.close();
    lock?.close();
    if (e instanceof DamagedDatabaseError || !isStorageFault(e)) throw e;
    throw new DamagedDatabaseError(`${file} cannot be opened (${describeFault(e)}). Restore the data folder from a backup.`, { cause: e });
  }
  if (lock) ownerLocks.set(db, lock);
  return db;
}

/**
 * A small durable write (a few pages in, then out, of a scratch table): what /health probes with
 * while storage writes fail, to notice when they work again.
 */
export function probeWrite(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS write_probe (b BLOB)');
    db.prepare('INSERT INTO write_probe VALUES (randomblob(16384))').run();
    db.exec('DELETE FROM write_probe');
  }).immediate();
}

/**
 * Test mode only: caps the database at `maxPageCount` pages (null: no cap) so that writes fail
 * with SQLITE_FULL as on a full disk; returns the page count and the cap in force.
 */
export function limitPages(db: Database.Database, maxPageCount: number | null): { pageCount: number; maxPageCount: number } {
  const pageCount = Number(db.pragma('page_count', { simple: true }));
  db.pragma(`max_page_count = ${maxPageCount === null ? 4_294_967_294 : Math.max(1, Math.trunc(maxPageCount))}`);
  return { pageCount, maxPageCount: Number(db.pragma('max_page_count', { simple: true })) };
}

/** Closes the database (the last connection checkpoints the WAL and removes it), then releases the owner lock. */
export function closeDatabase(db: Database.Database): void {
  if (db.open) db.close();
  ownerLocks.get(db)?.close();
  ownerLocks.delete(db);
}
