/**
 * The CustomKeyStoreRepository in the data folder's SQLite database: one JSON document per store
 * (custom-key-store-doc.ts) with the columns lookups need; the name is unique per account and
 * region, so two stores created at once under one name conflict. Created with the schema at open
 * (sqlite.ts, version 4).
 */
import type Database from 'better-sqlite3';
import type { CustomKeyStoreRecord } from '../../domain/custom-key-store.ts';
import type { CustomKeyStoreChange } from '../../ports/changes.ts';
import type { CustomKeyStoreRepository } from '../../ports/custom-key-store-repository.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { insertOrConflict } from './sqlite-conflict.ts';
import { customKeyStoreDoc, parseCustomKeyStore, storeDue } from './custom-key-store-doc.ts';

export const CUSTOM_KEY_STORES_SCHEMA = `
CREATE TABLE IF NOT EXISTS custom_key_stores (
  id TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
  due INTEGER NOT NULL, revision INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS custom_key_stores_by_name ON custom_key_stores (account_id, region, name);
CREATE INDEX IF NOT EXISTS custom_key_stores_by_scope ON custom_key_stores (account_id, region, id);
`;

export function createSqliteCustomKeyStoreRepository(db: Database.Database): CustomKeyStoreRepository {
  db.exec(CUSTOM_KEY_STORES_SCHEMA);
  const q = {
    get: db.prepare<[string], { doc: string }>('SELECT doc FROM custom_key_stores WHERE id = ?'),
    list: db.prepare<[string, string], { doc: string }>('SELECT doc FROM custom_key_stores WHERE account_id = ? AND region = ? ORDER BY id'),
    due: db.prepare<[], string>('SELECT id FROM custom_key_stores WHERE due = 1 ORDER BY id').pluck(),
    ids: db.prepare<[], string>('SELECT id FROM custom_key_stores ORDER BY id').pluck(),
  };
  return {
    getCustomKeyStore: async (id) => { const r = q.get.get(id); return r ? parseCustomKeyStore(r.doc) : undefined; },
    listCustomKeyStores: async (account, region) => q.list.all(account, region).map((r) => parseCustomKeyStore(r.doc)),
    customKeyStoresDue: async () => q.due.all(),
    customKeyStoreIds: async () => q.ids.all(),
  };
}

/** Every store record, in id order (migrate-storage copies them). */
export function sqliteCustomKeyStoreRecords(db: Database.Database): CustomKeyStoreRecord[] {
  db.exec(CUSTOM_KEY_STORES_SCHEMA);
  return db.prepare<[], { doc: string }>('SELECT doc FROM custom_key_stores ORDER BY id').all().map((r) => parseCustomKeyStore(r.doc));
}

/** Applies a store change inside the caller's transaction (sqlite-storage.ts). */
export function customKeyStoreChangeApplier(db: Database.Database): (c: CustomKeyStoreChange) => void {
  db.exec(CUSTOM_KEY_STORES_SCHEMA);
  const q = {
    upsert: db.prepare('INSERT INTO custom_key_stores (id, account_id, region, name, doc, due, revision) VALUES (@id, @account, @region, @name, @doc, @due, @rev) ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc, due = excluded.due, revision = excluded.revision'),
    insert: db.prepare('INSERT INTO custom_key_stores (id, account_id, region, name, doc, due, revision) VALUES (@id, @account, @region, @name, @doc, @due, @rev)'),
    update: db.prepare('UPDATE custom_key_stores SET name = @name, doc = @doc, due = @due, revision = @rev WHERE id = @id AND revision = @expect'),
    delete: db.prepare('DELETE FROM custom_key_stores WHERE id = ?'),
    deleteAt: db.prepare('DELETE FROM custom_key_stores WHERE id = ? AND revision = ?'),
  };
  return (c) => {
    if (c.kind === 'deleteCustomKeyStore') {
      if (c.expectRevision === undefined) q.delete.run(c.id);
      else if (q.deleteAt.run(c.id, c.expectRevision).changes === 0) throw new StorageConflict(`custom key store ${c.id} is no longer at revision ${c.expectRevision}`);
      return;
    }
    const s = c.store;
    const row = { id: s.id, account: s.accountId, region: s.region, name: s.name, doc: customKeyStoreDoc(s), due: storeDue(s) ? 1 : 0, rev: s.revision };
    const what = `custom key store ${s.id} (or its name) exists already`;
    if (c.expectRevision === undefined) insertOrConflict(() => q.upsert.run(row), what);
    else if (c.expectRevision === 0) insertOrConflict(() => q.insert.run(row), what);
    else if (insertOrConflict(() => q.update.run({ ...row, expect: c.expectRevision }), what).changes === 0) {
      throw new StorageConflict(`custom key store ${s.id} is no longer at revision ${c.expectRevision}`);
    }
  };
}
