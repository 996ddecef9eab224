/** The ClusterRepository on PostgreSQL: the SQLite adapter's table (storage/sqlite-clusters.ts), migration step 2 (schema.ts). */
import type pg from 'pg';
import { dueAt, type ClusterRecord } from '../../domain/cluster.ts';
import type { ClusterChange } from '../../ports/changes.ts';
import type { ClusterRepository } from '../../ports/cluster-repository.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { StorageFault } from '../../errors/storage-fault.ts';
import { rows, run, type Queryable } from './query.ts';

function parse(text: string): ClusterRecord {
  let x: unknown;
  try { x = JSON.parse(text); } catch (e) { throw new StorageFault('a stored cluster record does not parse: the database may be damaged', { cause: e }); }
  if (x === null || typeof x !== 'object' || typeof (x as { clusterId?: unknown }).clusterId !== 'string') {
    throw new StorageFault('a stored cluster record lacks its required fields: the database may be damaged');
  }
  return x as ClusterRecord;
}

export function createPgClusterRepository(pool: pg.Pool): ClusterRepository {
  return {
    getCluster: async (id) => {
      const r = await rows<{ doc: string }>(pool, 'SELECT doc FROM hsm_clusters WHERE cluster_id = $1', [id]);
      return r[0] ? parse(r[0].doc) : undefined;
    },
    listClusters: async (account, region) =>
      (await rows<{ doc: string }>(pool, 'SELECT doc FROM hsm_clusters WHERE account_id = $1 AND region = $2 ORDER BY cluster_id', [account, region])).map((r) => parse(r.doc)),
    clusterIds: async () =>
      (await rows<{ cluster_id: string }>(pool, 'SELECT cluster_id FROM hsm_clusters ORDER BY cluster_id', [])).map((r) => r.cluster_id),
    clustersDue: async (now) =>
      (await rows<{ cluster_id: string }>(pool, 'SELECT cluster_id FROM hsm_clusters WHERE due IS NOT NULL AND due <= $1 ORDER BY cluster_id', [now])).map((r) => r.cluster_id),
  };
}

/** Applies a cluster change on the transaction's connection (storage.ts). */
export async function applyClusterChange(db: Queryable, c: ClusterChange): Promise<void> {
  if (c.kind === 'purgeCluster') { await run(db, 'DELETE FROM hsm_clusters WHERE cluster_id = $1', [c.clusterId]); return; }
  const k = c.cluster;
  const cells = [k.clusterId, k.accountId, k.region, JSON.stringify(k), dueAt(k) ?? null, k.revision];
  const insert = 'INSERT INTO hsm_clusters (cluster_id, account_id, region, doc, due, revision) VALUES ($1, $2, $3, $4, $5, $6)';
  if (c.expectRevision === undefined) {
    await run(db, `${insert} ON CONFLICT (cluster_id) DO UPDATE SET doc = excluded.doc, due = excluded.due, revision = excluded.revision`, cells);
  } else if (c.expectRevision === 0) {
    // A unique violation is a StorageConflict (errors.ts).
    await run(db, insert, cells);
  } else if (await run(db, 'UPDATE hsm_clusters SET doc = $2, due = $3, revision = $4 WHERE cluster_id = $1 AND revision = $5',
    [k.clusterId, JSON.stringify(k), dueAt(k) ?? null, k.revision, c.expectRevision]) === 0) {
    throw new StorageConflict(`cluster ${k.clusterId} is no longer at revision ${c.expectRevision}`);
  }
}
