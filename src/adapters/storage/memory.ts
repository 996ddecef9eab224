/**
 * The storage ports in memory: KeyRepository, IdentityRepository, AuditStore and the unit of
 * work's Storage over plain Maps, with the SQLite adapters' semantics, held to the same
 * conformance suites (../conformance/). For tests (the pipeline driven in process) and as the
 * reference a new adapter can be read against; never for production: nothing survives the
 * process, and IAM secrets are kept unsealed.
 *
 * A commit applies its changes and appends its records on a draft of the tables and makes the
 * draft current only when all of it succeeded: a change SQLite would refuse (a material for a key
 * that does not exist, a repeated name) fails the commit and leaves nothing of it visible. The
 * records are chained from the head found in that same draft.
 */
import { isCustomKeyStoreChange, type Change, type ClusterChange, type KeyChange } from '../../ports/changes.ts';
import type { CustomKeyStoreRepository } from '../../ports/custom-key-store-repository.ts';
import { applyCustomKeyStoreChange, memoryCustomKeyStoreRepository } from './memory-custom-key-stores.ts';
import type { ClusterRepository } from '../../ports/cluster-repository.ts';
import { applyClusterChange, memoryClusterRepository } from './memory-clusters.ts';
import type { Storage, Work } from '../../ports/storage.ts';
import type { ChainHead, AuditStore } from '../../ports/audit.ts';
import type { DomainKeyRecord, KeyRepository } from '../../ports/key-repository.ts';
import type { IdentityRepository } from '../../ports/identity-repository.ts';
import { ConstraintError, MemoryDatabase } from './memory-tables.ts';
import { applyKeyChange, memoryKeyRepository } from './memory-keys.ts';
import { applyIdentityChange, memoryIdentityRepository } from './memory-identity.ts';
import { appendRows, auditHeadOf, memoryAuditStore } from './memory-audit.ts';

export { ConstraintError } from './memory-tables.ts';

export interface MemoryAdapters {
  readonly keys: KeyRepository;
  readonly identities: IdentityRepository;
  readonly clusters: ClusterRepository;
  readonly customKeyStores: CustomKeyStoreRepository;
  readonly audit: AuditStore;
  readonly storage: Storage;
  /** The software key store's domain keys (a DomainKeyTable, adapters/keystore/software.ts). */
  readonly domainKeys: { all(): DomainKeyRecord[]; add(k: DomainKeyRecord): void };
}

const KEY_KINDS: ReadonlySet<string> = new Set<KeyChange['kind']>([
  'putKey', 'deleteKey', 'putMaterial', 'deleteMaterial', 'putAlias', 'deleteAlias', 'putGrant', 'deleteGrant', 'putUsage', 'setMeta',
]);
const isKeyChange = (c: Change): c is KeyChange => KEY_KINDS.has(c.kind);
const isClusterChange = (c: Change): c is ClusterChange => c.kind === 'putCluster' || c.kind === 'purgeCluster';

/** A fresh, empty set of in-memory adapters sharing one set of tables. */
export function openMemoryStorage(): MemoryAdapters {
  const db = new MemoryDatabase();
  const tables = () => db.tables;

  const storage: Storage = {
    // Durable or not, a commit is in memory the moment it returns.
    commit: async (work: Work): Promise<ChainHead | undefined> => db.transaction((d) => {
      for (const c of work.changes) {
        if (isKeyChange(c)) applyKeyChange(d, c);
        else if (isClusterChange(c)) applyClusterChange(d, c);
        else if (isCustomKeyStoreChange(c)) applyCustomKeyStoreChange(d, c);
        else applyIdentityChange(d, c);
      }
      if (work.records === undefined) return undefined;
      const before = auditHeadOf(d.read);
      const rows = work.records(before);
      appendRows(d, rows);
      const last = rows.at(-1);
      return last ? { seq: last.seq, hash: last.hash } : before;
    }),
    sync: async () => undefined,
  };

  return {
    keys: memoryKeyRepository(tables),
    identities: memoryIdentityRepository(tables),
    clusters: memoryClusterRepository(tables),
    customKeyStores: memoryCustomKeyStoreRepository(tables),
    audit: memoryAuditStore(db),
    storage,
    domainKeys: {
      all: () => [...db.tables.domainKeys.values()].sort((a, b) => a.createdAt - b.createdAt).map((k) => ({ ...k, wrapped: Buffer.from(k.wrapped) })),
      add: (k) => db.transaction((d) => {
        if (d.read.domainKeys.has(k.id)) throw new ConstraintError(`domain key ${k.id} exists`);
        d.write('domainKeys').set(k.id, { ...k, wrapped: Buffer.from(k.wrapped) });
      }),
    },
  };
}
