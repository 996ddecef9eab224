/**
 * Runs the repositories' conformance suite (../conformance/repositories.ts) against every storage
 * adapter there is: SQLite in a temporary data folder (its IAM secrets sealed by a SecretBox, as
 * in production), PostgreSQL in a fresh database per case (test/support/postgres.ts; skipped
 * outside CI when PostgreSQL is not installed) and the in-memory adapter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { repositoryConformance } from '../conformance/repositories.ts';
import { createSecretBox } from '../keystore/secret-box.ts';
import { closeDatabase, openDatabase } from './sqlite.ts';
import { createSqliteKeyRepository } from './sqlite-keys.ts';
import { createSqliteIdentityRepository } from './sqlite-identity.ts';
import { createSqliteClusterRepository } from './sqlite-clusters.ts';
import { createSqliteCustomKeyStoreRepository } from './sqlite-custom-key-stores.ts';
import { createSqliteStorage } from './sqlite-storage.ts';
import { openMemoryStorage } from './memory.ts';
import { closePostgres, openPostgres } from '../postgres/connection.ts';
import { createPgKeyRepository } from '../postgres/keys.ts';
import { createPgIdentityRepository } from '../postgres/identity.ts';
import { createPgClusterRepository } from '../postgres/clusters.ts';
import { createPgCustomKeyStoreRepository } from '../postgres/custom-key-stores.ts';
import { createPgStorage } from '../postgres/storage.ts';
import { freshDatabase, postgresSkip } from '../../../test/support/postgres.ts';

repositoryConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-conformance-'));
  const db = openDatabase(join(dir, 'coffer.db'));
  const domainKey = randomBytes(32);
  const box = createSecretBox({ activeId: 'dk-1', key: () => domainKey });
  return {
    keys: createSqliteKeyRepository(db),
    identities: createSqliteIdentityRepository(db, box),
    storage: createSqliteStorage(db, box),
    clusters: createSqliteClusterRepository(db),
    customKeyStores: createSqliteCustomKeyStoreRepository(db),
    close: () => {
      closeDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

repositoryConformance('postgresql', async () => {
  const db = await freshDatabase();
  const pool = await openPostgres(db.url, { poolSize: 4 });
  const domainKey = randomBytes(32);
  const box = createSecretBox({ activeId: 'dk-1', key: () => domainKey });
  return {
    keys: createPgKeyRepository(pool),
    identities: createPgIdentityRepository(pool, box),
    storage: createPgStorage(pool, box, 'node-1'),
    clusters: createPgClusterRepository(pool),
    customKeyStores: createPgCustomKeyStoreRepository(pool),
    close: async () => {
      await closePostgres(pool);
      await db.close();
    },
  };
}, { skip: await postgresSkip() });

repositoryConformance('memory', async () => {
  const m = openMemoryStorage();
  return { keys: m.keys, identities: m.identities, storage: m.storage, clusters: m.clusters, customKeyStores: m.customKeyStores, close: () => undefined };
});
