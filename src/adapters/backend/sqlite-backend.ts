/**
 * The embedded backend: the data folder's SQLite database (sqlite.ts), its WAL checkpointed on a
 * helper thread. The first process of an installation owns the folder (the owner lock, the WAL and
 * integrity checks at open); the other workers of COFFER_WORKERS open the same file without them.
 */
import Database from 'better-sqlite3';
import { closeDatabase, limitPages, openDatabase, probeWrite, type IntegrityCheck } from '../storage/sqlite.ts';
import { createSqliteKeyRepository, sqliteDomainKeys } from '../storage/sqlite-keys.ts';
import { createSqliteIdentityRepository } from '../storage/sqlite-identity.ts';
import { createSqliteClusterRepository } from '../storage/sqlite-clusters.ts';
import { createSqliteCustomKeyStoreRepository } from '../storage/sqlite-custom-key-stores.ts';
import { createSqliteStorage } from '../storage/sqlite-storage.ts';
import { createSqliteChangeFeed, createSqliteLeases } from '../storage/sqlite-coherence.ts';
import { startCheckpointer } from '../storage/sqlite-checkpointer.ts';
import { createKeyStateCounter } from '../storage/sqlite-stats.ts';
import { auditRowsOf, createSqliteAuditStore } from '../audit/sqlite-audit.ts';
import { sqliteFaultCode } from '../../errors/storage-fault.ts';
import type { Backend } from './backend.ts';
import { counting, type ReadCounter } from './counting.ts';

/** How often the helper thread checkpoints the WAL into the database. */
const CHECKPOINT_INTERVAL_MS = 100;

export interface SqliteBackendOptions {
  readonly integrityCheck: IntegrityCheck;
  /** False in a worker whose primary process holds the data folder's owner lock. */
  readonly ownerLock: boolean;
  /** Whether this process checks the WAL and the integrity at open (the first worker does, for all). */
  readonly checks: boolean;
  /** Told what the write-ahead log shows at open (changes a recovery would drop). */
  readonly onWarning: (message: string) => void;
  /** Told when the background checkpoint fails (the main connection then checkpoints by itself). */
  readonly onCheckpointError: (cause: unknown) => void;
}

export function openSqliteBackend(file: string, o: SqliteBackendOptions): Backend {
  const db: Database.Database = openDatabase(file, { integrityCheck: o.integrityCheck, ownerLock: o.ownerLock, checks: o.checks, onWarning: o.onWarning });
  const checkpointer = startCheckpointer(db, CHECKPOINT_INTERVAL_MS, o.onCheckpointError);
  const countStates = createKeyStateCounter(db);
  const leases = createSqliteLeases(db);
  const counter: ReadCounter = { reads: 0 };
  return {
    kind: 'sqlite',
    where: file,
    keys: counting(createSqliteKeyRepository(db), counter),
    clusters: createSqliteClusterRepository(db),
    customKeyStores: createSqliteCustomKeyStoreRepository(db),
    identities: (box) => counting(createSqliteIdentityRepository(db, box), counter),
    repositoryReads: () => counter.reads,
    audit: (chain) => createSqliteAuditStore(db, chain),
    storage: (box, chain) => createSqliteStorage(db, box, chain),
    // SQLite writes at once (and one writer at a time): the table is the database's.
    withDomainKeys: async (open) => db.transaction(() => open(sqliteDomainKeys(db))).immediate(),
    feed: (origin) => createSqliteChangeFeed(db, origin),
    leases,
    isFault: (e) => sqliteFaultCode(e) !== undefined,
    probe: async () => probeWrite(db),
    keysByState: async () => countStates(),
    auditRows: (chain) => auditRowsOf(db, 1000, chain),
    limitPages: (n) => limitPages(db, n),
    close: async () => {
      await checkpointer.stop();
      closeDatabase(db);
    },
  };
}
