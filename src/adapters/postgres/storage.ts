/**
 * The unit of work's commit on PostgreSQL: a change set and its audit records in one transaction
 * on one pooled connection, for one audit chain.
 *
 * - Chain order: a commit with records reads its chain's head inside the transaction and inserts
 *   after it, so two such commits must not overlap. Inside the process they run one at a time, by
 *   a mutex of this storage (commits without records need none and run concurrently); across
 *   processes each appends to its own chain, and the primary key (chain, seq) is the backstop: a
 *   second writer of the same chain that read the same head fails with StorageConflict, never
 *   forks the chain. One storage per chain per process: a second one is another writer.
 * - Durability: a commit resolves after COMMIT, which with synchronous_commit=on (the pool's
 *   setting) waits for the WAL flush. `{ durable: false }` runs the transaction with
 *   `SET LOCAL synchronous_commit = off`; `sync()` commits a small write durably, which flushes the
 *   WAL up to it, every earlier commit included.
 * - Errors (errors.ts): a unique violation is a StorageConflict, a lost connection or timeout a
 *   StorageFault; the transaction is rolled back and a broken connection dropped from the pool.
 *   What `records` throws passes unchanged.
 */
import { sendNotice } from './coherence.ts';
import type pg from 'pg';
import { isCustomKeyStoreChange, type Change, type ClusterChange, type IdentityChange, type KeyChange } from '../../ports/changes.ts';
import { applyCustomKeyStoreChange } from './custom-key-stores.ts';
import type { CommitOptions, Storage, Work } from '../../ports/storage.ts';
import type { ChainHead } from '../../ports/audit.ts';
import type { SecretBox } from '../../ports/secret-box.ts';
import { Mutex } from '../../core/mutex.ts';
import { applyKeyChange } from './keys.ts';
import { applyIdentityChange } from './identity.ts';
import { applyClusterChange } from './clusters.ts';
import { appendPgAuditRows, checkChain, pgChainHead } from './audit.ts';
import { rollback, withConnection } from './checkout.ts';
import { run } from './query.ts';

const KEY_KINDS: ReadonlySet<string> = new Set<KeyChange['kind']>([
  'putKey', 'deleteKey', 'putMaterial', 'deleteMaterial', 'putAlias', 'deleteAlias', 'putGrant', 'deleteGrant', 'putUsage', 'setMeta',
]);
const isKeyChange = (c: Change): c is KeyChange => KEY_KINDS.has(c.kind);
const isClusterChange = (c: Change): c is ClusterChange => c.kind === 'putCluster' || c.kind === 'purgeCluster';

/** Runs `body` in a transaction on a pooled connection: COMMIT after it, ROLLBACK (and a broken connection dropped) if it throws. */
export function inTransaction<T>(pool: pg.Pool, durable: boolean, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withConnection(pool, async (client) => {
    await run(client, 'BEGIN');
    if (!durable) await run(client, 'SET LOCAL synchronous_commit = off');
    const result = await body(client);
    await run(client, 'COMMIT');
    return result;
  }, rollback);
}

/** The Storage port on PostgreSQL for the audit chain `chain` (see the module comment). */
export function createPgStorage(pool: pg.Pool, box: SecretBox, chain: string): Storage {
  checkChain(chain);
  const appends = new Mutex();
  const apply = async (client: pg.PoolClient, work: Work): Promise<ChainHead | undefined> => {
    for (const c of work.changes) {
      if (isKeyChange(c)) await applyKeyChange(client, c);
      else if (isClusterChange(c)) await applyClusterChange(client, c);
      else if (isCustomKeyStoreChange(c)) await applyCustomKeyStoreChange(client, c);
      else await applyIdentityChange(client, box, c as IdentityChange);
    }
    if (work.notice !== undefined && work.changes.length > 0) await sendNotice(client, work.notice.origin, work.notice.topics);
    if (work.records === undefined) return undefined;
    const before = await pgChainHead(client, chain);
    const rows = work.records(before);
    await appendPgAuditRows(client, chain, rows);
    const last = rows.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : before;
  };
  return {
    commit: (work: Work, options?: CommitOptions) => {
      const durable = options?.durable !== false;
      const transaction = () => inTransaction(pool, durable, (client) => apply(client, work));
      // The mutex is taken before a connection, so that waiting commits hold none.
      return work.records === undefined ? transaction() : appends.run(transaction);
    },
    sync: async () => {
      await inTransaction(pool, true, (client) => run(client,
        'INSERT INTO storage_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
        [`synced_at:${chain}`, String(Date.now())]));
    },
  };
}
