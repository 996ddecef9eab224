/**
 * SQLite's unique-key violations as what they mean to Coffer: another writer (a request of another
 * worker on the same data folder) created the row first. StorageConflict lets the pipeline run the
 * request again on fresh state; any other error passes unchanged.
 */
import { StorageConflict } from '../../errors/storage-conflict.ts';

const UNIQUE_CODES: ReadonlySet<string> = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);

export function isUniqueViolation(e: unknown): boolean {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && UNIQUE_CODES.has(code);
}

/** Runs an insert; a unique-key violation becomes StorageConflict with `what` (never a value of the row). */
export function insertOrConflict<T>(insert: () => T, what: string): T {
  try {
    return insert();
  } catch (e) {
    if (isUniqueViolation(e)) throw new StorageConflict(what, { cause: e });
    throw e;
  }
}
