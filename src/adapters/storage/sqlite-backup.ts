/**
 * An online copy of the data folder's database, beside the server that owns it, and the check of
 * such a copy before it is restored.
 *
 * The copy is read through a read-only connection of its own, without the owner lock (the server
 * holds it): in WAL mode a reader sees one committed state while the server goes on writing. It
 * is made with SQLite's backup API, whose copy restarts whenever another connection changes the
 * source between two steps; so after a first step that only sizes the copy, the rest is copied in
 * ONE step, inside one read transaction: the copy is the database as of one commit, whatever the
 * server writes meanwhile, and no restart can keep it from finishing. The server's writers are
 * never blocked by it (WAL); only its checkpoints stop short of the copy's snapshot until it ends.
 */
import Database from 'better-sqlite3';
import { SQLITE_SCHEMA_VERSION } from './sqlite.ts';
import { SchemaTooNew } from '../../errors/schema-version.ts';

/** What a copy of the database holds, as a backup's header tells it. */
export interface DatabaseSummary {
  /** SQLite's user_version: the schema version of the Coffer that wrote it. */
  readonly schemaVersion: number;
  readonly pageSize: number;
  readonly pages: number;
  readonly keys: number;
  readonly auditRecords: number;
  /** The first byte of each wrapped domain key: which kind of root seal wrapped them (root-seal.ts). */
  readonly domainKeyLayouts: readonly number[];
}

/** The largest step the backup API takes: every page at once. */
const ALL_PAGES = 0x7fffffff;

const count = (db: Database.Database, table: string): number => {
  const exists = db.prepare<[string], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  if ((exists?.n ?? 0) === 0) return 0;
  return db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM "${table}"`).get()?.n ?? 0;
};

/** Reads the summary of an open database. */
function summarize(db: Database.Database): DatabaseSummary {
  const hasDomainKeys = count(db, 'domain_keys') > 0;
  return {
    schemaVersion: Number(db.pragma('user_version', { simple: true })),
    pageSize: Number(db.pragma('page_size', { simple: true })),
    pages: Number(db.pragma('page_count', { simple: true })),
    keys: count(db, 'keys'),
    auditRecords: count(db, 'audit_records'),
    domainKeyLayouts: hasDomainKeys
      ? db.prepare<[], { wrapped: Buffer }>('SELECT wrapped FROM domain_keys').all().flatMap((r) => (r.wrapped.length > 0 ? [r.wrapped[0] ?? 0] : []))
      : [],
  };
}

/** The first problems SQLite's check finds (`['ok']` when none). */
function check(db: Database.Database, pragma: 'quick_check' | 'integrity_check'): string[] {
  try {
    return db.prepare<[], string>(`PRAGMA ${pragma}(20)`).pluck().all();
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
}

const described = (found: readonly string[]): string => found.slice(0, 5).map((f) => f.replace(/\s+/g, ' ').trim()).join('; ');

/**
 * Copies the database `source` (a running server's, or a stopped one's) into `dest`, a new or
 * empty file, as of one commit; checks the copy (quick_check) and returns what it holds.
 */
export async function snapshotDatabase(source: string, dest: string): Promise<DatabaseSummary> {
  let db: Database.Database;
  try {
    db = new Database(source, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new Error(`cannot open ${source} to back it up: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(dest, { progress: () => ALL_PAGES });
  } finally {
    db.close();
  }
  const copy = new Database(dest, { fileMustExist: true });
  try {
    const found = check(copy, 'quick_check');
    if (found.length !== 1 || found[0] !== 'ok') throw new Error(`the copy of ${source} is damaged (SQLite quick_check: ${described(found)}); the database itself may be: check it with the server stopped`);
    return summarize(copy);
  } finally {
    copy.close();
  }
}

/**
 * Checks a restored copy with SQLite's integrity_check (every page, record and index) and its
 * schema version (one written by a newer Coffer is refused); returns what it holds.
 */
export function checkDatabaseCopy(file: string): DatabaseSummary {
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch (e) {
    throw new Error(`the database in the backup cannot be opened: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    const found = check(db, 'integrity_check');
    if (found.length !== 1 || found[0] !== 'ok') throw new Error(`the database in the backup is damaged (SQLite integrity_check: ${described(found)})`);
    const summary = summarize(db);
    if (summary.schemaVersion > SQLITE_SCHEMA_VERSION) throw new SchemaTooNew("the backup's database", summary.schemaVersion, SQLITE_SCHEMA_VERSION);
    return summary;
  } finally {
    db.close();
  }
}
