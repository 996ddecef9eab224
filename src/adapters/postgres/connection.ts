/**
 * The PostgreSQL connection pool that every PostgreSQL repository, audit store and storage of one
 * Coffer process shares, and its opening: the pool is made with Coffer's settings and the schema
 * brought up to date (schema.ts) before anything reads it.
 *
 * The rules it enforces:
 * - TLS is what the URL says: node-postgres reads `sslmode` (and sslrootcert, …) from the
 *   connection string, so the URL is handed over whole and no `ssl` option is set beside it (one
 *   would be overridden, or override); `sslmode=require` against a server without TLS fails.
 * - A lost database is an error, never a hang: connecting gives up after `connectTimeoutMs`, a
 *   statement after `statementTimeoutMs` (the server cancels it) and the client stops waiting for
 *   an answer shortly after that (a partitioned server cannot cancel anything).
 * - BIGINT (int8) columns read as JavaScript numbers, for this pool only (pg's global parsers are
 *   left alone): Coffer's integers are epoch milliseconds and positions, far below 2^53. As with
 *   better-sqlite3, a larger value reads as an inexact number, which the audit reader reports.
 * - Commits are durable unless one asks otherwise: each session starts with synchronous_commit=on,
 *   whatever the role's or database's default.
 */
import pg from 'pg';
import { mapPgError, pgCall } from './errors.ts';
import { migrate } from './schema.ts';

export interface PgOpenOptions {
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
  readonly connectTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  /** Told of an error on an idle connection (the pool drops it; the next query connects anew). */
  readonly onIdleError?: (e: Error) => void;
}

const INT8_OID = 20;

/** The pool's type parsers: pg's, except int8 as a number. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (text: string) => Number(text) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** Makes the pool (no connection yet). */
export function createPgPool(url: string, options: PgOpenOptions = {}): pg.Pool {
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new RangeError('poolSize must be a positive integer');
  const statementTimeout = options.statementTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + 2_000,
    idle_in_transaction_session_timeout: statementTimeout * 3,
    keepAlive: true,
    options: '-c synchronous_commit=on',
    application_name: 'coffer',
  });
  // Without a listener an idle connection's error (a restarted server) would end the process.
  pool.on('error', (e) => options.onIdleError?.(mapPgError(e)));
  return pool;
}

/**
 * Opens the database at `url`: the pool (`poolSize` connections) and the schema migrated to this
 * Coffer's version (a newer one is refused). Failures to reach the server are StorageFaults.
 */
export async function openPostgres(url: string, options: PgOpenOptions = {}): Promise<pg.Pool> {
  const pool = createPgPool(url, options);
  try {
    await migrate(pool);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  return pool;
}

/** Closes every connection of the pool (waiting for those in use to be released). */
export async function closePostgres(pool: pg.Pool): Promise<void> {
  if (!pool.ended && !pool.ending) await pgCall(() => pool.end());
}
