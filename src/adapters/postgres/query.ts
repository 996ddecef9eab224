/**
 * One parameterized statement on the pool or on a transaction's connection, its errors mapped
 * (errors.ts). Values are always parameters; the text is always one of this adapter's constants.
 */
import type pg from 'pg';
import { pgCall } from './errors.ts';

/** The pool (a statement on any free connection) or one connection (inside a transaction). */
export type Queryable = pg.Pool | pg.PoolClient;

export type Param = string | number | boolean | Buffer | null | readonly (string | number | null)[];

/** Statements this process sent, reads (rows) and the others (run), for metrics and the hot-path test. */
export const statementCounts = { reads: 0, writes: 0 };

/**
 * PostgreSQL's text cannot hold U+0000, so no stored text equals (or starts with) a string that
 * holds one: a read with such a parameter finds nothing, and is not sent (the server would refuse
 * it as an invalid byte sequence, which is the client's input, not a fault).
 */
const unmatchable = (params: readonly Param[]): boolean =>
  params.some((p) => (typeof p === 'string' && p.includes('\u0000')) || (Array.isArray(p) && p.some((x) => typeof x === 'string' && x.includes('\u0000'))));

/** The rows a statement answers. */
export function rows<R extends pg.QueryResultRow>(db: Queryable, text: string, params: readonly Param[] = []): Promise<R[]> {
  if (unmatchable(params)) return Promise.resolve([]);
  statementCounts.reads++;
  return pgCall(async () => (await db.query<R>(text, [...params])).rows);
}

/** Runs a statement; resolves with the number of rows it changed. */
export function run(db: Queryable, text: string, params: readonly Param[] = []): Promise<number> {
  statementCounts.writes++;
  return pgCall(async () => (await db.query(text, [...params])).rowCount ?? 0);
}
