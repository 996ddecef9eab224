/** The CustomKeyStoreRepository in memory (memory.ts), with the SQLite adapter's semantics (a name unique per account and region). */
import type { CustomKeyStoreRecord } from '../../domain/custom-key-store.ts';
import type { CustomKeyStoreChange } from '../../ports/changes.ts';
import type { CustomKeyStoreRepository } from '../../ports/custom-key-store-repository.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { compareBinary, type Draft, type Tables } from './memory-tables.ts';
import { customKeyStoreDoc, parseCustomKeyStore, storeDue } from './custom-key-store-doc.ts';

const copy = (s: CustomKeyStoreRecord): CustomKeyStoreRecord => parseCustomKeyStore(customKeyStoreDoc(s));

export function memoryCustomKeyStoreRepository(tables: () => Tables): CustomKeyStoreRepository {
  return {
    getCustomKeyStore: async (id) => { const s = tables().customKeyStores.get(id); return s ? copy(s) : undefined; },
    listCustomKeyStores: async (account, region) => [...tables().customKeyStores.values()]
      .filter((s) => s.accountId === account && s.region === region)
      .sort((a, b) => compareBinary(a.id, b.id)).map(copy),
    customKeyStoresDue: async () => [...tables().customKeyStores.values()].filter(storeDue).map((s) => s.id).sort(compareBinary),
    customKeyStoreIds: async () => [...tables().customKeyStores.keys()].sort(compareBinary),
  };
}

export function applyCustomKeyStoreChange(d: Draft, c: CustomKeyStoreChange): void {
  const id = c.kind === 'deleteCustomKeyStore' ? c.id : c.store.id;
  const stored = d.read.customKeyStores.get(id);
  if (c.expectRevision === 0 && stored !== undefined) throw new StorageConflict(`custom key store ${id} exists already`);
  if (c.expectRevision !== undefined && c.expectRevision > 0 && stored?.revision !== c.expectRevision) {
    throw new StorageConflict(`custom key store ${id} is no longer at revision ${c.expectRevision}`);
  }
  if (c.kind === 'deleteCustomKeyStore') { d.write('customKeyStores').delete(id); return; }
  const s = copy(c.store);
  for (const o of d.read.customKeyStores.values()) {
    if (o.id !== s.id && o.accountId === s.accountId && o.region === s.region && o.name === s.name) {
      throw new StorageConflict(`custom key store name ${s.name} is in use already`);
    }
  }
  d.write('customKeyStores').set(s.id, s);
}
