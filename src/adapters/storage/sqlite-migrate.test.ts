import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteKeyRepository, openDatabase } from './sqlite.ts';

test('a data folder from before imported material gains the material_expiry column and keeps its keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-migrate-'));
  try {
    const file = join(dir, 'coffer.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE keys (arn TEXT PRIMARY KEY, key_id TEXT NOT NULL, account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL,
      deletion_date INTEGER, next_rotation INTEGER);
      INSERT INTO keys VALUES ('arn:aws:kms:us-east-1:111122223333:key/k', 'k', '111122223333', 'us-east-1', '{"arn":"x"}', NULL, NULL);`);
    old.close();
    const db = openDatabase(file);
    const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('keys')").all().map((c) => c.name);
    assert.ok(columns.includes('material_expiry'));
    const repo = createSqliteKeyRepository(db);
    assert.deepEqual(repo.keysDueForMaterialExpiry(Date.now()), []);
    assert.equal(repo.keysWithKeyId('111122223333', 'k').length, 1);
    db.close();
    openDatabase(file).close(); // idempotent
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
