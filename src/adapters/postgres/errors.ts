/**
 * What a failing PostgreSQL call becomes in Coffer. The rule: a unique violation (23505), and the
 * serialization failures PostgreSQL asks to retry (40001, 40P01), are a StorageConflict; a lost,
 * refused or timed-out connection, a server shutting down, out of resources or failing its disk
 * is a StorageFault (the server answers a retryable internal error); anything else (a foreign key,
 * a check) is a plain Error carrying the SQLSTATE. Every one carries PostgreSQL's message and
 * code, the constraint or table name, never the `detail` (it quotes the row's values, which may be
 * key material or secrets), the statement's parameters, nor the driver's error object as a cause.
 */
import pg from 'pg';
import { StorageFault } from '../../errors/storage-fault.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';

/** SQLSTATE classes of a storage fault: connection, insufficient resources, operator intervention (timeouts, shutdown), system error, internal error. */
const FAULT_CLASSES = ['08', '53', '57', '58', 'XX'];
const CONFLICT_CODES = ['23505', '40001', '40P01'];

/** An Error with the SQLSTATE as its `code`, so that logs and callers can tell kinds apart. */
export class PgStatementError extends Error {
  override readonly name = 'PgStatementError';
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/** Maps an error thrown by a pg call (only those: the caller's own errors pass unchanged) as the module comment says. */
export function mapPgError(e: unknown): Error {
  if (e instanceof StorageFault || e instanceof StorageConflict || e instanceof PgStatementError) return e;
  if (e instanceof pg.DatabaseError) {
    const code = e.code ?? '';
    const what = e.constraint ? ` (constraint ${e.constraint})` : e.table ? ` (table ${e.table})` : '';
    const message = `PostgreSQL ${code}: ${e.message}${what}`;
    if (CONFLICT_CODES.includes(code)) return new StorageConflict(message);
    if (FAULT_CLASSES.includes(code.slice(0, 2))) return withCode(new StorageFault(message), code);
    return new PgStatementError(message, code);
  }
  // Not a server answer: the connection failed (refused, reset, TLS, a client-side timeout).
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  return withCode(new StorageFault(`PostgreSQL connection failed: ${typeof code === 'string' ? `${code}: ` : ''}${message}`), typeof code === 'string' ? code : 'PG_CONNECTION');
}

function withCode<E extends Error>(e: E, code: string): E {
  Object.defineProperty(e, 'code', { value: code, enumerable: true });
  return e;
}

/** Runs one pg call, mapping what it throws. */
export async function pgCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw mapPgError(e);
  }
}
