import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { closeDatabase, openDatabase, SQLITE_SCHEMA_VERSION } from './sqlite.ts';
import { createSqliteKeyRepository } from './sqlite-keys.ts';

test('a data folder from before imported material gains the material_expiry column and keeps its keys', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-migrate-'));
  try {
    const file = join(dir, 'coffer.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE keys (arn TEXT PRIMARY KEY, key_id TEXT NOT NULL, account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL,
      deletion_date INTEGER, next_rotation INTEGER);
      INSERT INTO keys VALUES ('arn:aws:kms:us-east-1:111122223333:key/k', 'k', '111122223333', 'us-east-1', '{"arn":"arn:aws:kms:us-east-1:111122223333:key/k","keyId":"k","state":"Enabled","policy":"{}","keySpec":"SYMMETRIC_DEFAULT"}', NULL, NULL);`);
    old.close();
    const db = openDatabase(file);
    const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('keys')").all().map((c) => c.name);
    assert.ok(columns.includes('material_expiry'));
    const repo = createSqliteKeyRepository(db);
    assert.deepEqual(await repo.keysDueForMaterialExpiry(Date.now()), []);
    assert.equal((await repo.keysWithKeyId('111122223333', 'k')).length, 1);
    assert.equal(db.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION, 'a folder without a version is version 1 once migrated');
    closeDatabase(db);
    closeDatabase(openDatabase(file)); // idempotent
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the owner lock: a second open of the same data folder is refused until the first is closed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-lock-'));
  try {
    const file = join(dir, 'coffer.db');
    const first = openDatabase(file);
    assert.throws(() => openDatabase(file), /in use by another Coffer process/);
    // The database itself is in normal locking mode: another connection (the checkpointer) can read it.
    const helper = new Database(file, { readonly: true });
    assert.equal(helper.pragma('journal_mode', { simple: true }), 'wal');
    helper.close();
    closeDatabase(first);
    closeDatabase(openDatabase(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database of a newer schema version is refused, and left as it was', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-version-'));
  try {
    const file = join(dir, 'coffer.db');
    closeDatabase(openDatabase(file));
    const newer = new Database(file);
    newer.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    newer.close();
    assert.throws(() => openDatabase(file), {
      name: 'SchemaTooNew',
      message: `${file} schema version ${SQLITE_SCHEMA_VERSION + 1} is newer than this Coffer (${SQLITE_SCHEMA_VERSION}): upgrade Coffer`,
    });
    const after = new Database(file, { readonly: true });
    assert.equal(after.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION + 1);
    after.close();
    // The refusal released the owner lock: with the version back, the folder opens.
    const back = new Database(file);
    back.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
    back.close();
    closeDatabase(openDatabase(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
