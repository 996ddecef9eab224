/**
 * Where AWS_CLOUDHSM custom key stores (domain/custom-key-store.ts) are kept. Writes are changes
 * (ports/changes.ts: putCustomKeyStore, deleteCustomKeyStore) committed with the call's audit
 * record; reads are these.
 */
import type { CustomKeyStoreRecord } from '../domain/custom-key-store.ts';

export interface CustomKeyStoreRepository {
  getCustomKeyStore(id: string): Promise<CustomKeyStoreRecord | undefined>;
  /** The stores of one account and region, in id order. */
  listCustomKeyStores(accountId: string, region: string): Promise<CustomKeyStoreRecord[]>;
  /** Ids of the stores the connect/disconnect job has work for (CONNECTING or DISCONNECTING), in id order. */
  customKeyStoresDue(): Promise<string[]>;
  /** Ids of every store, in id order (at most 10 per account and region). */
  customKeyStoreIds(): Promise<string[]>;
}
