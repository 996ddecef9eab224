/**
 * A connection checked out of the pool for a body of statements (a transaction, a session lock).
 */
import type pg from 'pg';
import { pgCall } from './errors.ts';

/**
 * Runs `body` with a connection checked out of the pool, and releases it after. While checked out
 * the pool no longer listens for the connection's errors, and pg emits a lost connection between
 * two statements (the server shut down, the backend was terminated) as an `error` event, which
 * with no listener ends the process; so one listens here for the whole checkout and a connection
 * that failed is destroyed instead of being returned to the pool; so is one whose body threw, unless
 * `recover` brings it back to a clean state (a ROLLBACK) and answers true.
 * The body's next statement on a lost connection fails on its own (a StorageFault).
 */
export async function withConnection<T>(pool: pg.Pool, body: (client: pg.PoolClient) => Promise<T>, recover?: (client: pg.PoolClient) => Promise<boolean>): Promise<T> {
  const client = await pgCall(() => pool.connect());
  let lost: Error | undefined;
  const onError = (e: Error): void => { lost = e; };
  client.on('error', onError);
  let destroy = false;
  try {
    return await body(client);
  } catch (e) {
    destroy = lost !== undefined || !recover || !(await recover(client));
    throw e;
  } finally {
    client.removeListener('error', onError);
    client.release(destroy || lost !== undefined);
  }
}

/** Ends a failed transaction; false if the connection could not (it is then destroyed). */
export const rollback = (client: pg.PoolClient): Promise<boolean> => client.query('ROLLBACK').then(() => true, () => false);
