/**
 * Runs the AuditStore conformance suite (../conformance/audit-store.ts) against every audit store
 * there is, each with the Storage whose commit appends its records: SQLite in a temporary data
 * folder, PostgreSQL in a fresh database per case (one chain of it; skipped outside CI when
 * PostgreSQL is not installed), and the in-memory adapter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { auditStoreConformance } from '../conformance/audit-store.ts';
import { createSecretBox } from '../keystore/secret-box.ts';
import { closeDatabase, openDatabase } from '../storage/sqlite.ts';
import { createSqliteStorage } from '../storage/sqlite-storage.ts';
import { openMemoryStorage } from '../storage/memory.ts';
import { createSqliteAuditStore } from './sqlite-audit.ts';
import { closePostgres, openPostgres } from '../postgres/connection.ts';
import { createPgAuditStore } from '../postgres/audit.ts';
import { createPgStorage } from '../postgres/storage.ts';
import { freshDatabase, postgresSkip } from '../../../test/support/postgres.ts';

auditStoreConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-conformance-'));
  const db = openDatabase(join(dir, 'coffer.db'));
  const domainKey = randomBytes(32);
  const box = createSecretBox({ activeId: 'dk-1', key: () => domainKey });
  return {
    audit: createSqliteAuditStore(db),
    storage: createSqliteStorage(db, box),
    otherChain: async (chain) => ({ audit: createSqliteAuditStore(db, chain), storage: createSqliteStorage(db, box, chain) }),
    close: () => {
      closeDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}, { chains: true });

auditStoreConformance('postgresql', async () => {
  const db = await freshDatabase();
  const pool = await openPostgres(db.url, { poolSize: 4 });
  const domainKey = randomBytes(32);
  const box = createSecretBox({ activeId: 'dk-1', key: () => domainKey });
  return {
    chain: 'node-1',
    audit: createPgAuditStore(pool, 'node-1'),
    storage: createPgStorage(pool, box, 'node-1'),
    otherChain: async (chain) => ({ audit: createPgAuditStore(pool, chain), storage: createPgStorage(pool, box, chain) }),
    close: async () => {
      await closePostgres(pool);
      await db.close();
    },
  };
}, { skip: await postgresSkip(), chains: true });

auditStoreConformance('memory', async () => {
  const m = openMemoryStorage();
  return { audit: m.audit, storage: m.storage, close: () => undefined };
});
