/**
 * Runs the repositories' conformance suite (../conformance/repositories.ts) against every storage
 * adapter there is: SQLite in a temporary data folder (its IAM secrets sealed by a SecretBox, as
 * in production) and the in-memory adapter.
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
import { createSqliteStorage } from './sqlite-storage.ts';
import { openMemoryStorage } from './memory.ts';

repositoryConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-conformance-'));
  const db = openDatabase(join(dir, 'coffer.db'));
  const domainKey = randomBytes(32);
  const box = createSecretBox({ activeId: 'dk-1', key: () => domainKey });
  return {
    keys: createSqliteKeyRepository(db),
    identities: createSqliteIdentityRepository(db, box),
    storage: createSqliteStorage(db, box),
    close: () => {
      closeDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

repositoryConformance('memory', async () => {
  const m = openMemoryStorage();
  return { keys: m.keys, identities: m.identities, storage: m.storage, close: () => undefined };
});
