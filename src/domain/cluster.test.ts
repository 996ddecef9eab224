import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dueAt, DELETED_VISIBLE_MS, eniIpProblem, FAILED_HSM_VISIBLE_MS, freeEniIp, newClusterId, newEniId, newHsmId, randomBase32, retentionDaysOf,
  securityGroupOf, showsCsr, subnetMappingOf, subnetPrefixOf, vpcIdOf, withHsm, type ClusterRecord, type HsmRecord,
} from './cluster.ts';

const hsm = (hsmId: string, state: HsmRecord['state'], extra: Partial<HsmRecord> = {}): HsmRecord => ({
  hsmId, availabilityZone: 'us-east-1a', subnetId: 'subnet-0a1b2c3d', eniId: 'eni-0123456789abcdef0', eniIp: '10.0.0.4', state,
  createdAt: 0, soPinSealed: 's', systemPinSealed: 'p', ...extra,
});
const cluster = (extra: Partial<ClusterRecord> = {}): ClusterRecord => ({
  clusterId: 'cluster-aaaaaaaaaaa', accountId: '111122223333', region: 'us-east-1', state: 'UNINITIALIZED', hsmType: 'hsm2m.medium',
  mode: 'FIPS', networkType: 'IPV4', createdAt: 0, backupRetentionDays: 90, vpcId: 'vpc-1', securityGroup: 'sg-1',
  subnetMapping: { 'us-east-1a': 'subnet-0a1b2c3d' }, hsms: [], tags: [], revision: 1, ...extra,
});

test('ids match the model patterns: cluster-/hsm- + 11 lowercase base32, eni- + 17 hex', () => {
  for (let i = 0; i < 200; i++) {
    assert.match(newClusterId(), /^cluster-[a-z2-7]{11}$/);
    assert.match(newHsmId(), /^hsm-[a-z2-7]{11}$/);
    assert.match(newEniId(), /^eni-[0-9a-f]{17}$/);
  }
  // Every byte value maps into the alphabet.
  assert.equal(randomBase32(4, () => Buffer.of(0, 25, 26, 31)), 'az27');
  assert.notEqual(newClusterId(), newClusterId());
});

test('subnets get the AZs <region>a, b, … in the order given; one subnet per AZ; a repeated subnet is one', () => {
  assert.deepEqual(subnetMappingOf('eu-west-1', ['subnet-0a1b2c3d', 'subnet-0A1B2C3E', 'subnet-0a1b2c3d']),
    { ok: true, mapping: { 'eu-west-1a': 'subnet-0a1b2c3d', 'eu-west-1b': 'subnet-0a1b2c3e' } });
  const many = Array.from({ length: 27 }, (_, i) => `subnet-${String(i).padStart(8, '0')}`);
  assert.equal(subnetMappingOf('us-east-1', many).ok, false);
});

test('the synthesised network is stable and well formed', () => {
  assert.match(vpcIdOf('111122223333', 'us-east-1', ['subnet-0a1b2c3d']), /^vpc-[0-9a-f]{17}$/);
  assert.equal(vpcIdOf('111122223333', 'us-east-1', ['subnet-2', 'subnet-1']), vpcIdOf('111122223333', 'us-east-1', ['subnet-1', 'subnet-2']));
  assert.match(securityGroupOf('cluster-aaaaaaaaaaa'), /^sg-[0-9a-f]{17}$/);
  assert.match(subnetPrefixOf('subnet-0a1b2c3d'), /^10\.\d{1,3}\.\d{1,3}$/);
  assert.equal(subnetPrefixOf('subnet-0a1b2c3d'), subnetPrefixOf('subnet-0a1b2c3d'));
});

test('ENI addresses: inside the subnet /24, hosts 4–254, never one taken', () => {
  const prefix = subnetPrefixOf('subnet-0a1b2c3d');
  assert.equal(freeEniIp('subnet-0a1b2c3d', new Set(), () => 0), `${prefix}.4`);
  assert.equal(freeEniIp('subnet-0a1b2c3d', new Set([`${prefix}.4`]), () => 0), `${prefix}.5`);
  const all = new Set(Array.from({ length: 251 }, (_, i) => `${prefix}.${i + 4}`));
  assert.equal(freeEniIp('subnet-0a1b2c3d', all), undefined);
  assert.equal(eniIpProblem('subnet-0a1b2c3d', `${prefix}.10`, new Set()), undefined);
  assert.match(eniIpProblem('subnet-0a1b2c3d', `${prefix}.10`, new Set([`${prefix}.10`])) ?? '', /already in use/);
  assert.match(eniIpProblem('subnet-0a1b2c3d', `${prefix}.2`, new Set()) ?? '', /reserved/);
  assert.match(eniIpProblem('subnet-0a1b2c3d', `${prefix}.255`, new Set()) ?? '', /reserved/);
  assert.match(eniIpProblem('subnet-0a1b2c3d', '192.168.0.10', new Set()) ?? '', /not in the subnet/);
  assert.match(eniIpProblem('subnet-0a1b2c3d', `${prefix}.300`, new Set()) ?? '', /not in the subnet/);
});

test('backup retention: DAYS 7–379, default 90', () => {
  assert.deepEqual(retentionDaysOf(undefined), { ok: true, days: 90 });
  assert.deepEqual(retentionDaysOf({ Type: 'DAYS', Value: '7' }), { ok: true, days: 7 });
  assert.deepEqual(retentionDaysOf({ Value: '379' }), { ok: true, days: 379 });
  for (const bad of [{ Type: 'DAYS', Value: '6' }, { Type: 'DAYS', Value: '380' }, { Type: 'DAYS' }, { Type: 'WEEKS', Value: '10' }]) {
    assert.equal(retentionDaysOf(bad).ok, false, JSON.stringify(bad));
  }
});

test('due work follows the state machines (design §2.2)', () => {
  assert.equal(dueAt(cluster()), undefined);
  assert.equal(dueAt(cluster({ state: 'CREATE_IN_PROGRESS' })), 0);
  assert.equal(dueAt(cluster({ state: 'INITIALIZE_IN_PROGRESS' })), 0);
  assert.equal(dueAt(cluster({ state: 'DELETE_IN_PROGRESS' })), 0);
  assert.equal(dueAt(cluster({ state: 'DELETED', deletedAt: 1000 })), 1000 + DELETED_VISIBLE_MS);
  assert.equal(dueAt(cluster({ hsms: [hsm('hsm-aaaaaaaaaaa', 'CREATE_IN_PROGRESS')] })), 0);
  assert.equal(dueAt(cluster({ state: 'ACTIVE', hsms: [hsm('hsm-aaaaaaaaaaa', 'DELETE_IN_PROGRESS')] })), 0);
  assert.equal(dueAt(cluster({ state: 'ACTIVE', hsms: [hsm('hsm-aaaaaaaaaaa', 'DELETED', { deletedAt: 5 })] })), 5 + FAILED_HSM_VISIBLE_MS);
  // An ACTIVE HSM in an UNINITIALIZED cluster without a CSR: the identity is to be made.
  assert.equal(dueAt(cluster({ hsms: [hsm('hsm-aaaaaaaaaaa', 'ACTIVE')] })), 0);
  assert.equal(dueAt(cluster({ hsms: [hsm('hsm-aaaaaaaaaaa', 'ACTIVE')], clusterCsr: 'csr' })), undefined);
  assert.equal(dueAt(cluster({ state: 'INITIALIZED', hsms: [hsm('hsm-aaaaaaaaaaa', 'ACTIVE')] })), undefined);
});

test('ClusterCsr is shown only while UNINITIALIZED with at least one HSM', () => {
  const c = cluster({ clusterCsr: 'csr', hsms: [hsm('hsm-aaaaaaaaaaa', 'ACTIVE')] });
  assert.equal(showsCsr(c), true);
  assert.equal(showsCsr({ ...c, hsms: [] }), false);
  assert.equal(showsCsr({ ...c, state: 'INITIALIZE_IN_PROGRESS' }), false);
  assert.equal(showsCsr(cluster({ hsms: c.hsms })), false);
});

test('a changed HSM makes the next revision of its cluster', () => {
  const c = cluster({ hsms: [hsm('hsm-aaaaaaaaaaa', 'CREATE_IN_PROGRESS'), hsm('hsm-bbbbbbbbbbb', 'ACTIVE')] });
  const after = withHsm(c, 'hsm-aaaaaaaaaaa', { state: 'ACTIVE' });
  assert.equal(after.revision, 2);
  assert.deepEqual(after.hsms.map((h) => h.state), ['ACTIVE', 'ACTIVE']);
  assert.equal(c.hsms[0]?.state, 'CREATE_IN_PROGRESS');
});
