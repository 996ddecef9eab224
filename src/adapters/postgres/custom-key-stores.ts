/** The CustomKeyStoreRepository on PostgreSQL: the SQLite adapter's table (storage/sqlite-custom-key-stores.ts), migration step 3 (schema.ts). */
import type pg from 'pg';
import type { CustomKeyStoreChange } from '../../ports/changes.ts';
import type { CustomKeyStoreRepository } from '../../ports/custom-key-store-repository.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { customKeyStoreDoc, parseCustomKeyStore, storeDue } from '../storage/custom-key-store-doc.ts';
import { rows, run, type Queryable } from './query.ts';

export function createPgCustomKeyStoreRepository(pool: pg.Pool): CustomKeyStoreRepository {
  return {
    getCustomKeyStore: async (id) => {
      const r = await rows<{ doc: string }>(pool, 'SELECT doc FROM custom_key_stores WHERE id = $1', [id]);
      return r[0] ? parseCustomKeyStore(r[0].doc) : undefined;
    },
    listCustomKeyStores: async (account, region) =>
      (await rows<{ doc: string }>(pool, 'SELECT doc FROM custom_key_stores WHERE account_id = $1 AND region = $2 ORDER BY id', [account, region])).map((r) => parseCustomKeyStore(r.doc)),
    customKeyStoresDue: async () =>
      (await rows<{ id: string }>(pool, 'SELECT id FROM custom_key_stores WHERE due ORDER BY id', [])).map((r) => r.id),
    customKeyStoreIds: async () =>
      (await rows<{ id: string }>(pool, 'SELECT id FROM custom_key_stores ORDER BY id', [])).map((r) => r.id),
  };
}

/** Applies a store change on the transaction's connection (storage.ts); a unique violation is a StorageConflict (errors.ts). */
export async function applyCustomKeyStoreChange(db: Queryable, c: CustomKeyStoreChange): Promise<void> {
  if (c.kind === 'deleteCustomKeyStore') {
    if (c.expectRevision === undefined) await run(db, 'DELETE FROM custom_key_stores WHERE id = $1', [c.id]);
    else if (await run(db, 'DELETE FROM custom_key_stores WHERE id = $1 AND revision = $2', [c.id, c.expectRevision]) === 0) {
      throw new StorageConflict(`custom key store ${c.id} is no longer at revision ${c.expectRevision}`);
    }
    return;
  }
  const s = c.store;
  const cells = [s.id, s.accountId, s.region, s.name, customKeyStoreDoc(s), storeDue(s), s.revision];
  const insert = 'INSERT INTO custom_key_stores (id, account_id, region, name, doc, due, revision) VALUES ($1, $2, $3, $4, $5, $6, $7)';
  if (c.expectRevision === undefined) {
    await run(db, `${insert} ON CONFLICT (id) DO UPDATE SET name = excluded.name, doc = excluded.doc, due = excluded.due, revision = excluded.revision`, cells);
  } else if (c.expectRevision === 0) {
    await run(db, insert, cells);
  } else if (await run(db, 'UPDATE custom_key_stores SET name = $2, doc = $3, due = $4, revision = $5 WHERE id = $1 AND revision = $6',
    [s.id, s.name, customKeyStoreDoc(s), storeDue(s), s.revision, c.expectRevision]) === 0) {
    throw new StorageConflict(`custom key store ${s.id} is no longer at revision ${c.expectRevision}`);
  }
}
