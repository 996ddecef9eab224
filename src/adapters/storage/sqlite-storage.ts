/**
 * The unit of work's commit on SQLite: a change set and its audit records in one transaction.
 * better-sqlite3 runs the whole transaction synchronously, so nothing else can interleave with it:
 * the chain head read inside it is the one the new records link to. Durable commits use the
 * connection's synchronous=FULL (an fsync); a non-durable one (the audit's write-ahead batches)
 * runs with synchronous=NORMAL, reaching the operating system now and the disk with the next
 * durable commit. A conditional change that finds another writer's first, or a unique key taken
 * by another worker, rolls the transaction back with StorageConflict; a work's notice is stored
 * in the same transaction (sqlite-coherence.ts).
 */
import type Database from 'better-sqlite3';
import { isCustomKeyStoreChange, type Change, type ClusterChange, type IdentityChange, type KeyChange } from '../../ports/changes.ts';
import { customKeyStoreChangeApplier } from './sqlite-custom-key-stores.ts';
import type { CommitOptions, Storage, Work } from '../../ports/storage.ts';
import type { ChainHead } from '../../ports/audit.ts';
import type { SecretBox } from '../../ports/secret-box.ts';
import { keyChangeApplier } from './sqlite-keys.ts';
import { identityChangeApplier } from './sqlite-identity.ts';
import { clusterChangeApplier } from './sqlite-clusters.ts';
import { auditHead, auditRowAppender } from '../audit/sqlite-audit.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { isUniqueViolation } from './sqlite-conflict.ts';
import { noticeAppender } from './sqlite-coherence.ts';

const KEY_KINDS: ReadonlySet<string> = new Set<KeyChange['kind']>([
  'putKey', 'deleteKey', 'putMaterial', 'deleteMaterial', 'putAlias', 'deleteAlias', 'putGrant', 'deleteGrant', 'putUsage', 'setMeta',
]);
const isKeyChange = (c: Change): c is KeyChange => KEY_KINDS.has(c.kind);
const isClusterChange = (c: Change): c is ClusterChange => c.kind === 'putCluster' || c.kind === 'purgeCluster';

/** The storage of one writer: its records go to `chain` ('' the first writer's; see ../audit/sqlite-audit.ts). */
export function createSqliteStorage(db: Database.Database, box: SecretBox, chain = ''): Storage {
  const applyKey = keyChangeApplier(db);
  const applyIdentity = identityChangeApplier(db, box);
  const applyCluster = clusterChangeApplier(db);
  const applyStore = customKeyStoreChangeApplier(db);
  const head = auditHead(db, chain);
  const append = auditRowAppender(db, chain);
  const notice = noticeAppender(db);
  const synchronous = Number(db.pragma('synchronous', { simple: true }));
  db.exec('CREATE TABLE IF NOT EXISTS storage_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const synced = db.prepare("INSERT INTO storage_state (name, value) VALUES ('synced_at', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value");

  const run = (work: Work): ChainHead | undefined => {
    try {
      for (const c of work.changes) {
        if (isKeyChange(c)) applyKey(c);
        else if (isClusterChange(c)) applyCluster(c);
        else if (isCustomKeyStoreChange(c)) applyStore(c);
        else applyIdentity(c as IdentityChange);
      }
    } catch (e) {
      // Another worker created the row first (two users of one name, a replica made twice).
      if (isUniqueViolation(e)) throw new StorageConflict(`a change of ${work.changes.length} write(s) conflicts with another writer's`, { cause: e });
      throw e;
    }
    if (work.notice !== undefined && work.changes.length > 0) notice(work.notice.origin, work.notice.topics);
    if (work.records === undefined) return undefined;
    const before = head();
    const rows = work.records(before);
    append(rows);
    const last = rows.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : before;
  };

  // Made once: better-sqlite3 builds several functions for each transaction() call.
  const transaction = db.transaction(run);
  return {
    commit: async (work: Work, options?: CommitOptions) => {
      if (options?.durable !== false) return transaction.immediate(work);
      db.pragma('synchronous = NORMAL');
      try {
        return transaction.immediate(work);
      } finally {
        db.pragma(`synchronous = ${synchronous}`);
      }
    },
    // A durable commit of a small write syncs the WAL, with every frame written before it.
    sync: async () => { db.transaction(() => synced.run(String(Date.now()))).immediate(); },
  };
}
