import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectErrorOf, connectProblem, createProblem, deleteProblem, disconnectProblem, keyStateIn, newCustomKeyStoreId, updateProblem,
  MAX_CUSTOM_KEY_STORES, type ClusterView, type CustomKeyStoreRecord,
} from './custom-key-store.ts';

const ANCHOR = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
const same = (a: string, b: string) => a.replace(/\s/g, '') === b.replace(/\s/g, '');
const cluster = (over: Partial<ClusterView> = {}): ClusterView => ({
  id: 'cluster-abcdefghijk', state: 'ACTIVE', trustAnchorPem: ANCHOR, lineageId: 'L1', subnetAzs: ['us-east-1a', 'us-east-1b'],
  activeHsms: [{ hsmId: 'hsm-a', az: 'us-east-1a' }, { hsmId: 'hsm-b', az: 'us-east-1b' }], ...over,
});
const store = (over: Partial<CustomKeyStoreRecord> = {}): CustomKeyStoreRecord => ({
  id: 'cks-0123456789abcdef0', accountId: '111122223333', region: 'us-east-1', name: 's1', type: 'AWS_CLOUDHSM',
  clusterId: 'cluster-abcdefghijk', trustAnchorPem: ANCHOR, sealedPassword: { domainKeyId: 'd', wrapped: Buffer.alloc(1) },
  state: 'DISCONNECTED', creationDate: 0, revision: 1, ...over,
});
const create = (stores: CustomKeyStoreRecord[], c: ClusterView | undefined, anchor = ANCHOR, name = 'new') =>
  createProblem({ name, clusterId: 'cluster-abcdefghijk', trustAnchorPem: anchor }, stores, c, (id) => (id === 'cluster-abcdefghijk' ? 'L1' : 'L9'), same)?.name;

test('CreateCustomKeyStore checks in AWS order: name, limit, cluster found, active, trust anchor, configuration, in use', () => {
  assert.equal(create([store({ name: 'new' })], undefined), 'CustomKeyStoreNameInUseException');
  assert.equal(create(Array.from({ length: MAX_CUSTOM_KEY_STORES }, (_, i) => store({ name: `s${i}`, clusterId: `cluster-x${i}` })), cluster()), 'LimitExceededException');
  assert.equal(create([], undefined), 'CloudHsmClusterNotFoundException');
  assert.equal(create([], cluster({ state: 'INITIALIZED' })), 'CloudHsmClusterNotActiveException');
  assert.equal(create([], cluster(), ANCHOR.replace('AAAA', 'BBBB')), 'IncorrectTrustAnchorException');
  assert.equal(create([], cluster({ trustAnchorPem: undefined })), 'IncorrectTrustAnchorException');
  assert.equal(create([], cluster({ subnetAzs: ['us-east-1a'] })), 'CloudHsmClusterInvalidConfigurationException');
  assert.equal(create([], cluster({ activeHsms: [{ hsmId: 'h', az: 'us-east-1a' }, { hsmId: 'i', az: 'us-east-1a' }] })), 'CloudHsmClusterInvalidConfigurationException');
  assert.equal(create([store({ name: 'other' })], cluster()), 'CloudHsmClusterInUseException');
  assert.equal(create([store({ name: 'other', clusterId: 'cluster-related0000' })], cluster({ lineageId: 'L9' })), 'CloudHsmClusterInUseException');
  assert.equal(create([], cluster()), undefined);
  assert.equal(create([], cluster({ state: 'DEGRADED' })), undefined, 'a degraded cluster is still active');
  assert.equal(create([], cluster(), `\n${ANCHOR}\n`), undefined, 'the anchor compares as a certificate, not as text');
});

test('connect, disconnect and delete follow the connection state machine', () => {
  assert.equal((connectProblem(store({ state: 'FAILED' }), cluster()) as Error).name, 'CustomKeyStoreInvalidStateException');
  assert.equal((connectProblem(store({ state: 'DISCONNECTING' }), cluster()) as Error).name, 'CustomKeyStoreInvalidStateException');
  assert.equal(connectProblem(store({ state: 'CONNECTED' }), cluster()), 'already');
  assert.equal(connectProblem(store({ state: 'CONNECTING' }), cluster()), 'already');
  assert.equal((connectProblem(store(), cluster({ state: 'UNINITIALIZED' })) as Error).name, 'CloudHsmClusterNotActiveException');
  assert.equal(connectProblem(store(), cluster()), undefined);
  for (const state of ['DISCONNECTED', 'DISCONNECTING'] as const) assert.equal(disconnectProblem(store({ state }))?.name, 'CustomKeyStoreInvalidStateException');
  for (const state of ['CONNECTED', 'CONNECTING', 'FAILED'] as const) assert.equal(disconnectProblem(store({ state })), undefined);
  assert.equal(deleteProblem(store({ state: 'CONNECTED' }), 0)?.name, 'CustomKeyStoreInvalidStateException');
  assert.equal(deleteProblem(store(), 1)?.name, 'CustomKeyStoreHasCMKsException');
  assert.equal(deleteProblem(store(), 0), undefined);
});

test('update: only the name while connected; a new cluster must share the lineage and be usable', () => {
  assert.equal(updateProblem(store({ state: 'CONNECTED' }), { newName: 'x' }, [store()], 'L1', undefined), undefined);
  assert.equal(updateProblem(store({ state: 'CONNECTED' }), { password: true }, [store()], 'L1', undefined)?.name, 'CustomKeyStoreInvalidStateException');
  assert.equal(updateProblem(store(), { newName: 'taken' }, [store(), store({ id: 'cks-other', name: 'taken' })], 'L1', undefined)?.name, 'CustomKeyStoreNameInUseException');
  assert.equal(updateProblem(store(), { clusterId: 'cluster-zzzzzzzzzzz' }, [store()], 'L1', undefined)?.name, 'CloudHsmClusterNotFoundException');
  assert.equal(updateProblem(store(), { clusterId: 'cluster-zzzzzzzzzzz' }, [store()], 'L1', cluster({ lineageId: 'L2' }))?.name, 'CloudHsmClusterNotRelatedException');
  assert.equal(updateProblem(store(), { clusterId: 'cluster-zzzzzzzzzzz' }, [store()], 'L1', cluster({ activeHsms: [] }))?.name, 'CloudHsmClusterInvalidConfigurationException');
  assert.equal(updateProblem(store(), { clusterId: 'cluster-zzzzzzzzzzz', password: true }, [store()], 'L1', cluster()), undefined);
});

test('keys of a store that is not connected are Unavailable when Enabled or Disabled; other states stay', () => {
  assert.equal(keyStateIn('CONNECTED', 'Enabled'), 'Enabled');
  assert.equal(keyStateIn('CONNECTED', 'Disabled'), 'Disabled');
  for (const s of ['DISCONNECTED', 'CONNECTING', 'FAILED', 'DISCONNECTING'] as const) {
    assert.equal(keyStateIn(s, 'Enabled'), 'Unavailable');
    assert.equal(keyStateIn(s, 'Disabled'), 'Unavailable');
    assert.equal(keyStateIn(s, 'PendingDeletion'), 'PendingDeletion');
  }
});

test('connect failures map to the model\'s ConnectionErrorCode; ids look like AWS\'s', () => {
  assert.equal(connectErrorOf('pin-incorrect'), 'INVALID_CREDENTIALS');
  assert.equal(connectErrorOf('pin-locked'), 'USER_LOCKED_OUT');
  assert.equal(connectErrorOf('token-not-present'), 'NETWORK_ERRORS');
  assert.equal(connectErrorOf('device-error'), 'NETWORK_ERRORS');
  assert.equal(connectErrorOf('other'), 'INTERNAL_ERROR');
  assert.match(newCustomKeyStoreId(Buffer.alloc(9, 0xab)), /^cks-[0-9a-f]{17}$/);
});
