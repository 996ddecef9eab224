/**
 * Where HSM clusters (with their HSMs, tags, certificates and sealed PINs: domain/cluster.ts) are
 * kept. Writes are changes (ports/changes.ts: putCluster, purgeCluster) committed with the call's
 * audit record; reads are these.
 */
import type { ClusterRecord } from '../domain/cluster.ts';

export interface ClusterRepository {
  getCluster(clusterId: string): Promise<ClusterRecord | undefined>;
  /** The clusters of one account and region (DELETED ones still visible included), in cluster id order. */
  listClusters(accountId: string, region: string): Promise<ClusterRecord[]>;
  /** Ids of the clusters the job runner has work for at `now` (domain/cluster.ts dueAt), in id order. */
  clustersDue(now: number): Promise<string[]>;
  /** Every cluster's id, in id order (the HSM health probe looks at each cluster's HSMs). */
  clusterIds(): Promise<string[]>;
}
