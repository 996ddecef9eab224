/**
 * The ClusterRepository's conformance cases (run by repositories.ts for every adapter): a cluster
 * record with its HSMs reads back as it was put, conditional writes refuse a stale revision, the
 * job runner's due list follows the states, and a purged cluster is gone.
 */
import assert from 'node:assert/strict';
import { DELETED_VISIBLE_MS, type ClusterRecord, type HsmRecord } from '../../domain/cluster.ts';
import type { ClusterRepository } from '../../ports/cluster-repository.ts';
import type { Storage } from '../../ports/storage.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { ACCOUNT, OTHER_ACCOUNT } from './repositories-fixtures.ts';

export type ClusterCase = (name: string, body: (clusters: ClusterRepository, storage: Storage) => Promise<void>) => void;

const hsm = (hsmId: string, state: HsmRecord['state']): HsmRecord => ({
  hsmId, availabilityZone: 'us-east-1a', subnetId: 'subnet-0a1b2c3d', eniId: 'eni-0123456789abcdef0', eniIp: '10.1.2.4',
  state, createdAt: 1_700_000_000_000, soPinSealed: 'dk-1:c28=', systemPinSealed: 'dk-1:c3lz',
});

const cluster = (clusterId: string, extra: Partial<ClusterRecord> = {}): ClusterRecord => ({
  clusterId, accountId: ACCOUNT, region: 'us-east-1', state: 'UNINITIALIZED', hsmType: 'hsm2m.medium', mode: 'FIPS',
  networkType: 'IPV4', createdAt: 1_700_000_000_000, backupRetentionDays: 90, vpcId: 'vpc-0123456789abcdef0',
  securityGroup: 'sg-0123456789abcdef0', subnetMapping: { 'us-east-1a': 'subnet-0a1b2c3d' }, hsms: [],
  tags: [{ Key: 'team', Value: 'crypto' }], revision: 1, ...extra,
});

export function clusterConformanceCases(run: ClusterCase): void {
  run('a cluster with its HSMs reads back as put; listed by account and region in id order', async (clusters, storage) => {
    const a = cluster('cluster-bbbbbbbbbbb', { hsms: [hsm('hsm-aaaaaaaaaaa', 'ACTIVE'), { ...hsm('hsm-ccccccccccc', 'CREATE_IN_PROGRESS'), tokenSerial: '1234' }], clusterCsr: '-----BEGIN CERTIFICATE REQUEST-----\nMII=\n-----END CERTIFICATE REQUEST-----\n' });
    const b = cluster('cluster-aaaaaaaaaaa');
    const other = cluster('cluster-ccccccccccc', { accountId: OTHER_ACCOUNT });
    const elsewhere = cluster('cluster-ddddddddddd', { region: 'eu-west-1' });
    await storage.commit({ changes: [a, b, other, elsewhere].map((c) => ({ kind: 'putCluster', cluster: c, expectRevision: 0 })) });
    assert.deepEqual(await clusters.getCluster(a.clusterId), a);
    assert.equal(await clusters.getCluster('cluster-zzzzzzzzzzz'), undefined);
    assert.deepEqual((await clusters.listClusters(ACCOUNT, 'us-east-1')).map((c) => c.clusterId), ['cluster-aaaaaaaaaaa', 'cluster-bbbbbbbbbbb']);
    assert.deepEqual((await clusters.listClusters(OTHER_ACCOUNT, 'us-east-1')).map((c) => c.clusterId), ['cluster-ccccccccccc']);
  });

  run('conditional cluster writes: 0 creates one that must not exist, n replaces only revision n; a refused commit applies nothing', async (clusters, storage) => {
    const c = cluster('cluster-aaaaaaaaaaa');
    await storage.commit({ changes: [{ kind: 'putCluster', cluster: c, expectRevision: 0 }] });
    await assert.rejects(storage.commit({ changes: [
      { kind: 'putCluster', cluster: cluster('cluster-bbbbbbbbbbb'), expectRevision: 0 },
      { kind: 'putCluster', cluster: { ...c, backupRetentionDays: 30 }, expectRevision: 0 },
    ] }), StorageConflict);
    assert.equal(await clusters.getCluster('cluster-bbbbbbbbbbb'), undefined);
    // Two writers read revision 1 (a request and the job runner): the second is refused.
    await storage.commit({ changes: [{ kind: 'putCluster', cluster: { ...c, backupRetentionDays: 30, revision: 2 }, expectRevision: 1 }] });
    await assert.rejects(storage.commit({ changes: [{ kind: 'putCluster', cluster: { ...c, state: 'DELETE_IN_PROGRESS', revision: 2 }, expectRevision: 1 }] }), StorageConflict);
    const stored = await clusters.getCluster(c.clusterId);
    assert.equal(stored?.backupRetentionDays, 30);
    assert.equal(stored?.state, 'UNINITIALIZED');
    assert.equal(stored?.revision, 2);
    await assert.rejects(storage.commit({ changes: [{ kind: 'putCluster', cluster: cluster('cluster-ccccccccccc', { revision: 2 }), expectRevision: 1 }] }), StorageConflict);
  });

  run('the due list: clusters and HSMs in progress now, a DELETED cluster once its visibility ends; purged clusters are gone', async (clusters, storage) => {
    const deletedAt = 1_700_000_000_000;
    await storage.commit({ changes: [
      cluster('cluster-aaaaaaaaaaa', { state: 'CREATE_IN_PROGRESS' }),
      cluster('cluster-bbbbbbbbbbb'),
      cluster('cluster-ccccccccccc', { hsms: [hsm('hsm-aaaaaaaaaaa', 'CREATE_IN_PROGRESS')] }),
      cluster('cluster-ddddddddddd', { state: 'DELETED', deletedAt }),
      cluster('cluster-eeeeeeeeeee', { hsms: [hsm('hsm-bbbbbbbbbbb', 'ACTIVE')], clusterCsr: 'csr' }),
      // An ACTIVE HSM and no CSR: the cluster identity is to be made.
      cluster('cluster-fffffffffff', { hsms: [hsm('hsm-ccccccccccc', 'ACTIVE')] }),
    ].map((c) => ({ kind: 'putCluster' as const, cluster: c })) });
    assert.deepEqual(await clusters.clustersDue(deletedAt), ['cluster-aaaaaaaaaaa', 'cluster-ccccccccccc', 'cluster-fffffffffff']);
    assert.deepEqual(await clusters.clustersDue(deletedAt + DELETED_VISIBLE_MS), ['cluster-aaaaaaaaaaa', 'cluster-ccccccccccc', 'cluster-ddddddddddd', 'cluster-fffffffffff']);
    const c = await clusters.getCluster('cluster-ccccccccccc') as ClusterRecord;
    await storage.commit({ changes: [{ kind: 'putCluster', cluster: { ...c, hsms: [{ ...hsm('hsm-aaaaaaaaaaa', 'ACTIVE') }], clusterCsr: 'csr', revision: 2 }, expectRevision: 1 }] });
    assert.deepEqual(await clusters.clustersDue(deletedAt), ['cluster-aaaaaaaaaaa', 'cluster-fffffffffff']);
    await storage.commit({ changes: [{ kind: 'purgeCluster', clusterId: 'cluster-ddddddddddd' }] });
    assert.equal(await clusters.getCluster('cluster-ddddddddddd'), undefined);
    assert.deepEqual(await clusters.clustersDue(deletedAt + DELETED_VISIBLE_MS), ['cluster-aaaaaaaaaaa', 'cluster-fffffffffff']);
    assert.deepEqual(await clusters.clusterIds(), ['cluster-aaaaaaaaaaa', 'cluster-bbbbbbbbbbb', 'cluster-ccccccccccc', 'cluster-eeeeeeeeeee', 'cluster-fffffffffff']);
  });
}
