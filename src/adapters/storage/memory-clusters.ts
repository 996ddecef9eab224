/** The ClusterRepository in memory (memory.ts), with the SQLite adapter's semantics. */
import { dueAt, type ClusterRecord } from '../../domain/cluster.ts';
import type { ClusterChange } from '../../ports/changes.ts';
import type { ClusterRepository } from '../../ports/cluster-repository.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { compareBinary, doc, type Draft, type Tables } from './memory-tables.ts';

export function memoryClusterRepository(tables: () => Tables): ClusterRepository {
  return {
    getCluster: async (id) => { const c = tables().clusters.get(id); return c ? doc(c) : undefined; },
    listClusters: async (account, region) => [...tables().clusters.values()]
      .filter((c) => c.accountId === account && c.region === region)
      .sort((a, b) => compareBinary(a.clusterId, b.clusterId)).map(doc),
    clusterIds: async () => [...tables().clusters.keys()].sort(compareBinary),
    clustersDue: async (now) => [...tables().clusters.values()]
      .filter((c) => { const due = dueAt(c); return due !== undefined && due <= now; })
      .map((c) => c.clusterId).sort(compareBinary),
  };
}

export function applyClusterChange(d: Draft, c: ClusterChange): void {
  if (c.kind === 'purgeCluster') { d.write('clusters').delete(c.clusterId); return; }
  const k: ClusterRecord = doc(c.cluster);
  const stored = d.read.clusters.get(k.clusterId);
  if (c.expectRevision === 0 && stored !== undefined) throw new StorageConflict(`cluster ${k.clusterId} exists already`);
  if (c.expectRevision !== undefined && c.expectRevision > 0 && stored?.revision !== c.expectRevision) {
    throw new StorageConflict(`cluster ${k.clusterId} is no longer at revision ${c.expectRevision}`);
  }
  d.write('clusters').set(k.clusterId, k);
}
