/**
 * The ClusterRepository in the data folder's SQLite database: one JSON document per cluster (its
 * HSMs, tags and sealed PINs inside), with the columns lookups need and `due` (domain/cluster.ts
 * dueAt: when the job runner has work for it). Created with the schema at open (sqlite.ts, version 3).
 */
import type Database from 'better-sqlite3';
import { dueAt, type ClusterRecord } from '../../domain/cluster.ts';
import type { ClusterChange } from '../../ports/changes.ts';
import type { ClusterRepository } from '../../ports/cluster-repository.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { insertOrConflict } from './sqlite-conflict.ts';
import { readDoc } from './sqlite-docs.ts';

export const CLUSTERS_SCHEMA = `
CREATE TABLE IF NOT EXISTS hsm_clusters (
  cluster_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL,
  due INTEGER, revision INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS hsm_clusters_by_scope ON hsm_clusters (account_id, region, cluster_id);
CREATE INDEX IF NOT EXISTS hsm_clusters_by_due ON hsm_clusters (due) WHERE due IS NOT NULL;
`;

const valid = (x: Record<string, unknown>): boolean => typeof x.clusterId === 'string' && Array.isArray(x.hsms);
const parse = (doc: string): ClusterRecord => readDoc<ClusterRecord>(doc, 'cluster', valid);

export function createSqliteClusterRepository(db: Database.Database): ClusterRepository {
  db.exec(CLUSTERS_SCHEMA);
  const q = {
    get: db.prepare<[string], { doc: string }>('SELECT doc FROM hsm_clusters WHERE cluster_id = ?'),
    list: db.prepare<[string, string], { doc: string }>('SELECT doc FROM hsm_clusters WHERE account_id = ? AND region = ? ORDER BY cluster_id'),
    ids: db.prepare<[], string>('SELECT cluster_id FROM hsm_clusters ORDER BY cluster_id').pluck(),
    due: db.prepare<[number], string>('SELECT cluster_id FROM hsm_clusters WHERE due IS NOT NULL AND due <= ? ORDER BY cluster_id').pluck(),
  };
  return {
    getCluster: async (id) => { const r = q.get.get(id); return r ? parse(r.doc) : undefined; },
    listClusters: async (account, region) => q.list.all(account, region).map((r) => parse(r.doc)),
    clustersDue: async (now) => q.due.all(now),
    clusterIds: async () => q.ids.all(),
  };
}

/** Every cluster record, in id order (migrate-storage copies them). */
export function sqliteClusterRecords(db: Database.Database): ClusterRecord[] {
  db.exec(CLUSTERS_SCHEMA);
  return db.prepare<[], { doc: string }>('SELECT doc FROM hsm_clusters ORDER BY cluster_id').all().map((r) => parse(r.doc));
}

/** Applies a cluster change inside the caller's transaction (sqlite-storage.ts). */
export function clusterChangeApplier(db: Database.Database): (c: ClusterChange) => void {
  db.exec(CLUSTERS_SCHEMA);
  const q = {
    upsert: db.prepare('INSERT INTO hsm_clusters (cluster_id, account_id, region, doc, due, revision) VALUES (@id, @account, @region, @doc, @due, @rev) ON CONFLICT(cluster_id) DO UPDATE SET doc = excluded.doc, due = excluded.due, revision = excluded.revision'),
    insert: db.prepare('INSERT INTO hsm_clusters (cluster_id, account_id, region, doc, due, revision) VALUES (@id, @account, @region, @doc, @due, @rev)'),
    update: db.prepare('UPDATE hsm_clusters SET doc = @doc, due = @due, revision = @rev WHERE cluster_id = @id AND revision = @expect'),
    purge: db.prepare('DELETE FROM hsm_clusters WHERE cluster_id = ?'),
  };
  return (c) => {
    if (c.kind === 'purgeCluster') { q.purge.run(c.clusterId); return; }
    const k = c.cluster;
    const row = { id: k.clusterId, account: k.accountId, region: k.region, doc: JSON.stringify(k), due: dueAt(k) ?? null, rev: k.revision };
    if (c.expectRevision === undefined) q.upsert.run(row);
    else if (c.expectRevision === 0) insertOrConflict(() => q.insert.run(row), `cluster ${k.clusterId} exists already`);
    else if (q.update.run({ ...row, expect: c.expectRevision }).changes === 0) {
      throw new StorageConflict(`cluster ${k.clusterId} is no longer at revision ${c.expectRevision}`);
    }
  };
}
