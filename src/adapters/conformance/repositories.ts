/**
 * The conformance suite of the KeyRepository and IdentityRepository ports, with the Storage commit
 * that writes them: every adapter (SQLite, PostgreSQL, memory) runs these same cases, so
 * that the services can rely on one behaviour whatever holds the data. Each case opens a fresh,
 * empty store, commits changes through `Storage.commit` and reads them back through the ports.
 * Here rather than in ports/ because the dependency rule keeps ports/ to interfaces; the cases
 * themselves use the ports and domain records only.
 */
import { describe, test } from 'node:test';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import assert from 'node:assert/strict';
import type { KeyRecord, MaterialRecord } from '../../domain/key.ts';
import type { GrantRecord } from '../../domain/grant.ts';
import type { Storage } from '../../ports/storage.ts';
import type { Change } from '../../ports/changes.ts';
import { identityConformanceCases } from './repositories-identity.ts';
import { clusterConformanceCases, type ClusterCase } from './repositories-clusters.ts';
import { customKeyStoreConformanceCases, type CustomKeyStoreCase } from './repositories-custom-key-stores.ts';
import { ACCOUNT, alias, grant, key, keyArn, material, materialId, OTHER_ACCOUNT, type Case, type RepositoryFixture, type RepositoryOptions } from './repositories-fixtures.ts';

export type { KnownGap, RepositoryFixture, RepositoryOptions } from './repositories-fixtures.ts';

/** Registers the suite for one adapter; `open` makes a fresh, empty store for each case. */
export function repositoryConformance(adapter: string, open: () => Promise<RepositoryFixture>, options: RepositoryOptions = {}): void {
  const run: Case = (name, body, gap) => {
    const todo = gap === undefined ? undefined : options.knownGaps?.[gap];
    test(name, todo === undefined ? {} : { todo }, async () => {
      const f = await open();
      try {
        await body(f.keys, f.storage, f.identities);
      } finally {
        await f.close();
      }
    });
  };
  const skip = options.skip === undefined ? {} : { skip: options.skip };
  describe(`KeyRepository conformance: ${adapter}`, skip, () => keyCases(run));
  describe(`IdentityRepository conformance: ${adapter}`, skip, () => identityConformanceCases(run));
  const runClusters: ClusterCase = (name, body) => {
    test(name, async () => {
      const f = await open();
      try {
        await body(f.clusters, f.storage);
      } finally {
        await f.close();
      }
    });
  };
  describe(`ClusterRepository conformance: ${adapter}`, skip, () => clusterConformanceCases(runClusters));
  const runStores: CustomKeyStoreCase = (name, body) => {
    test(name, async () => {
      const f = await open();
      try {
        await body(f.customKeyStores, f.storage);
      } finally {
        await f.close();
      }
    });
  };
  describe(`CustomKeyStoreRepository conformance: ${adapter}`, skip, () => customKeyStoreConformanceCases(runStores));
}

const commit = (storage: Storage, ...changes: Change[]) => storage.commit({ changes });
const arns = (keys: readonly KeyRecord[]): string[] => keys.map((k) => k.arn);

function keyCases(run: Case): void {
  run('conditional key writes: 0 creates a key that must not exist, n replaces only revision n; a refused commit applies nothing', async (keys, storage) => {
    const k = key('k1');
    const v1 = { ...k, revision: 1 };
    await storage.commit({ changes: [{ kind: 'putKey', key: v1, expectRevision: 0 }] });
    assert.equal((await keys.getKey(k.arn))?.revision, 1);
    // Created twice (two replicas of one key made at once): the second is refused, with its other writes.
    await assert.rejects(storage.commit({ changes: [
      { kind: 'putKey', key: key('k2'), expectRevision: 0 },
      { kind: 'putKey', key: { ...k, description: 'again', revision: 1 }, expectRevision: 0 },
    ] }), StorageConflict);
    assert.equal(await keys.getKey(keyArn('k2')), undefined);
    assert.equal((await keys.getKey(k.arn))?.description, k.description);
    // Two writers read revision 1; the first commits revision 2, the second's change is refused.
    await storage.commit({ changes: [{ kind: 'putKey', key: { ...v1, state: 'Disabled', revision: 2 }, expectRevision: 1 }] });
    await assert.rejects(storage.commit({ changes: [{ kind: 'putKey', key: { ...v1, policy: '{"changed":true}', revision: 2 }, expectRevision: 1 }] }), StorageConflict);
    const stored = await keys.getKey(k.arn);
    assert.equal(stored?.state, 'Disabled');
    assert.equal(stored?.policy, k.policy);
    assert.equal(stored?.revision, 2);
    // Two changes of one key in one commit (a request that updates it twice) chain their revisions.
    await storage.commit({ changes: [
      { kind: 'putKey', key: { ...stored as KeyRecord, description: 'a', revision: 3 }, expectRevision: 2 },
      { kind: 'putKey', key: { ...stored as KeyRecord, description: 'b', revision: 4 }, expectRevision: 3 },
    ] });
    assert.equal((await keys.getKey(k.arn))?.description, 'b');
    // A key that does not exist cannot be updated.
    await assert.rejects(storage.commit({ changes: [{ kind: 'putKey', key: { ...key('k3'), revision: 2 }, expectRevision: 1 }] }), StorageConflict);
    assert.equal(await keys.getKey(keyArn('k3')), undefined);
  });

  run('conditional alias writes: absent creates a name not taken, present moves one that still exists', async (keys, storage) => {
    await commit(storage, { kind: 'putKey', key: key('k1') }, { kind: 'putKey', key: key('k2') });
    await storage.commit({ changes: [{ kind: 'putAlias', alias: alias('alias/a', keyArn('k1')), expect: 'absent' }] });
    // Two CreateAlias of one name: the second is refused.
    await assert.rejects(storage.commit({ changes: [{ kind: 'putAlias', alias: alias('alias/a', keyArn('k2')), expect: 'absent' }] }), StorageConflict);
    assert.equal((await keys.getAlias(ACCOUNT, 'us-east-1', 'alias/a'))?.targetKeyArn, keyArn('k1'));
    await storage.commit({ changes: [{ kind: 'putAlias', alias: { ...alias('alias/a', keyArn('k2')), lastUpdatedDate: 9 }, expect: 'present' }] });
    assert.equal((await keys.getAlias(ACCOUNT, 'us-east-1', 'alias/a'))?.targetKeyArn, keyArn('k2'));
    // UpdateAlias racing DeleteAlias: the update does not bring the alias back.
    await commit(storage, { kind: 'deleteAlias', accountId: ACCOUNT, region: 'us-east-1', name: 'alias/a' });
    await assert.rejects(storage.commit({ changes: [{ kind: 'putAlias', alias: alias('alias/a', keyArn('k1')), expect: 'present' }] }), StorageConflict);
    assert.equal(await keys.getAlias(ACCOUNT, 'us-east-1', 'alias/a'), undefined);
  });

  run('a key reads back as committed, is replaced by a later put, and is found by its id in its region only', async (keys, storage) => {
    const k = key('k1', { description: 'first', tags: [{ TagKey: 'a', TagValue: 'b' }] });
    await commit(storage, { kind: 'putKey', key: k });
    assert.deepEqual(await keys.getKey(k.arn), k);
    assert.equal(await keys.getKey(keyArn('k2')), undefined);
    await commit(storage, { kind: 'putKey', key: { ...k, description: 'second', state: 'Disabled' } });
    assert.deepEqual(await keys.getKey(k.arn), { ...k, description: 'second', state: 'Disabled' });
    assert.equal(await keys.findKeyArn('k1', 'us-east-1'), k.arn);
    assert.equal(await keys.findKeyArn('k1', 'eu-west-1'), undefined);
    assert.equal(await keys.findKeyArn('k2', 'us-east-1'), undefined);
  });

  run('listKeys: one account and region, in ARN order, strictly after afterArn, at most limit', async (keys, storage) => {
    await commit(storage,
      ...['k3', 'k1', 'k4', 'k2'].map((id) => ({ kind: 'putKey' as const, key: key(id) })),
      { kind: 'putKey', key: key('k0', {}, 'eu-west-1') },
      { kind: 'putKey', key: key('k0', {}, 'us-east-1', OTHER_ACCOUNT) });
    assert.deepEqual(arns(await keys.listKeys(ACCOUNT, 'us-east-1', undefined, 100)), ['k1', 'k2', 'k3', 'k4'].map((id) => keyArn(id)));
    assert.deepEqual(arns(await keys.listKeys(ACCOUNT, 'us-east-1', undefined, 2)), [keyArn('k1'), keyArn('k2')]);
    assert.deepEqual(arns(await keys.listKeys(ACCOUNT, 'us-east-1', keyArn('k2'), 2)), [keyArn('k3'), keyArn('k4')]);
    assert.deepEqual(arns(await keys.listKeys(ACCOUNT, 'us-east-1', keyArn('k4'), 2)), []);
    assert.deepEqual(arns(await keys.listKeys(ACCOUNT, 'eu-west-1', undefined, 10)), [keyArn('k0', 'eu-west-1')]);
    assert.deepEqual(arns(await keys.listKeys(OTHER_ACCOUNT, 'us-east-1', undefined, 10)), [keyArn('k0', 'us-east-1', OTHER_ACCOUNT)]);
    assert.deepEqual(await keys.listKeys(OTHER_ACCOUNT, 'eu-west-1', undefined, 10), []);
  });

  run('the scheduler\'s lists: keys due for deletion, rotation and material expiry, earliest first', async (keys, storage) => {
    const rotation = (nextRotationDate: number) => ({ enabled: true, periodDays: 365, nextRotationDate });
    const imported = (validTo: number, held = true) => ({ materialId: materialId(validTo), associatedAt: 0, pendingRotation: false, imported: held, validTo });
    await commit(storage,
      { kind: 'putKey', key: key('del-late', { state: 'PendingDeletion', deletionDate: 300 }) },
      { kind: 'putKey', key: key('del-early', { state: 'PendingDeletion', deletionDate: 100 }) },
      { kind: 'putKey', key: key('del-future', { state: 'PendingDeletion', deletionDate: 900 }) },
      // A deletion date outside PendingDeletion (a cancelled deletion's leftover) is not due.
      { kind: 'putKey', key: key('del-cancelled', { state: 'Enabled', deletionDate: 50 }) },
      { kind: 'putKey', key: key('rot-late', { rotation: rotation(400) }) },
      { kind: 'putKey', key: key('rot-early', { rotation: rotation(200) }) },
      { kind: 'putKey', key: key('rot-disabled-key', { state: 'Disabled', rotation: rotation(100) }) },
      { kind: 'putKey', key: key('rot-off', { rotation: { enabled: false, periodDays: 365, nextRotationDate: 100 } }) },
      // A replica rotates with its primary, never on its own.
      { kind: 'putKey', key: key('rot-replica', { multiRegion: true, multiRegionKeyType: 'REPLICA', rotation: rotation(100) }) },
      { kind: 'putKey', key: key('exp-late', { origin: 'EXTERNAL', importedMaterials: [imported(500), imported(250)] }) },
      { kind: 'putKey', key: key('exp-early', { origin: 'EXTERNAL', importedMaterials: [imported(150)] }) },
      { kind: 'putKey', key: key('exp-deleted', { origin: 'EXTERNAL', importedMaterials: [imported(120, false)] }) });
    assert.deepEqual(await keys.keysDueForDeletion(300), [keyArn('del-early'), keyArn('del-late')]);
    assert.deepEqual(await keys.keysDueForDeletion(99), []);
    assert.deepEqual(await keys.keysDueForRotation(400), [keyArn('rot-early'), keyArn('rot-late')]);
    assert.deepEqual(await keys.keysDueForRotation(399), [keyArn('rot-early')]);
    // A key is due at its earliest ValidTo.
    assert.deepEqual(await keys.keysDueForMaterialExpiry(250), [keyArn('exp-early'), keyArn('exp-late')]);
    assert.deepEqual(await keys.keysDueForMaterialExpiry(200), [keyArn('exp-early')]);
    // A cancelled deletion is no longer due.
    await commit(storage, { kind: 'putKey', key: key('del-early', { state: 'Disabled' }) });
    assert.deepEqual(await keys.keysDueForDeletion(1000), [keyArn('del-late'), keyArn('del-future')]);
  });

  run('keysWithKeyId: a multi-Region key\'s set in every region of one account, oldest first', async (keys, storage) => {
    await commit(storage,
      { kind: 'putKey', key: key('mrk-1', { multiRegion: true, multiRegionKeyType: 'PRIMARY' }, 'us-east-1') },
      { kind: 'putKey', key: key('mrk-1', { multiRegion: true, multiRegionKeyType: 'REPLICA' }, 'eu-west-1') },
      { kind: 'putKey', key: key('mrk-2', { multiRegion: true }, 'us-east-1') },
      { kind: 'putKey', key: key('mrk-1', { multiRegion: true }, 'us-east-1', OTHER_ACCOUNT) });
    await commit(storage, { kind: 'putKey', key: key('mrk-1', { multiRegion: true, multiRegionKeyType: 'REPLICA' }, 'ap-south-1') });
    // Replacing a key's record keeps its place.
    await commit(storage, { kind: 'putKey', key: key('mrk-1', { multiRegion: true, multiRegionKeyType: 'PRIMARY', description: 'again' }, 'us-east-1') });
    assert.deepEqual(arns(await keys.keysWithKeyId(ACCOUNT, 'mrk-1')), [keyArn('mrk-1'), keyArn('mrk-1', 'eu-west-1'), keyArn('mrk-1', 'ap-south-1')]);
    assert.deepEqual(arns(await keys.keysWithKeyId(OTHER_ACCOUNT, 'mrk-1')), [keyArn('mrk-1', 'us-east-1', OTHER_ACCOUNT)]);
    assert.deepEqual(await keys.keysWithKeyId(ACCOUNT, 'mrk-3'), []);
  });

  run('materials: read in creation order, removed one at a time; refused for a key that does not exist or twice', async (keys, storage) => {
    const k = key('k1');
    const first = material(k.arn, 1, 100);
    const rotated: MaterialRecord = { ...material(k.arn, 2, 300), rotationType: 'ON_DEMAND' };
    const between: MaterialRecord = { ...material(k.arn, 3, 200), rotationType: 'AUTOMATIC' };
    await commit(storage, { kind: 'putKey', key: k }, { kind: 'putMaterial', material: first }, { kind: 'putMaterial', material: rotated });
    await commit(storage, { kind: 'putMaterial', material: between });
    assert.deepEqual(await keys.getMaterials(k.arn), [first, between, rotated]);
    assert.deepEqual(await keys.getMaterials(keyArn('k2')), []);
    await commit(storage, { kind: 'deleteMaterial', keyArn: k.arn, materialId: between.materialId });
    assert.deepEqual(await keys.getMaterials(k.arn), [first, rotated]);
    await assert.rejects(commit(storage, { kind: 'putMaterial', material: material(keyArn('missing'), 1, 1) }));
    await assert.rejects(commit(storage, { kind: 'putMaterial', material: { ...first, createdAt: 999 } }));
    assert.deepEqual(await keys.getMaterials(k.arn), [first, rotated]);
  });

  run('aliases: get, list in name order after a name and for one key, count, retarget, delete', async (keys, storage) => {
    const [a, b] = [key('ka'), key('kb')];
    await commit(storage, { kind: 'putKey', key: a }, { kind: 'putKey', key: b },
      { kind: 'putAlias', alias: alias('alias/c', b.arn) }, { kind: 'putAlias', alias: alias('alias/a', a.arn) },
      { kind: 'putAlias', alias: alias('alias/b', a.arn) }, { kind: 'putAlias', alias: alias('alias/d', a.arn, 'eu-west-1') },
      { kind: 'putAlias', alias: alias('alias/e', a.arn, 'us-east-1', OTHER_ACCOUNT) });
    assert.deepEqual(await keys.getAlias(ACCOUNT, 'us-east-1', 'alias/a'), alias('alias/a', a.arn));
    assert.equal(await keys.getAlias(ACCOUNT, 'eu-west-1', 'alias/a'), undefined);
    assert.equal(await keys.getAlias(OTHER_ACCOUNT, 'us-east-1', 'alias/a'), undefined);
    const names = async (target: string | undefined, after: string | undefined, limit: number) =>
      (await keys.listAliases(ACCOUNT, 'us-east-1', target, after, limit)).map((x) => x.name);
    assert.deepEqual(await names(undefined, undefined, 10), ['alias/a', 'alias/b', 'alias/c']);
    assert.deepEqual(await names(undefined, 'alias/a', 1), ['alias/b']);
    assert.deepEqual(await names(a.arn, undefined, 10), ['alias/a', 'alias/b']);
    assert.deepEqual(await names(a.arn, 'alias/a', 10), ['alias/b']);
    assert.deepEqual(await names(b.arn, 'alias/c', 10), []);
    assert.equal(await keys.countAliases(a.arn), 4, 'every alias naming the key, in every region and account');
    assert.equal(await keys.countAliases(b.arn), 1);
    // UpdateAlias: the same name to another key.
    await commit(storage, { kind: 'putAlias', alias: { ...alias('alias/a', b.arn), lastUpdatedDate: 77 } });
    assert.deepEqual(await keys.getAlias(ACCOUNT, 'us-east-1', 'alias/a'), { ...alias('alias/a', b.arn), lastUpdatedDate: 77 });
    assert.deepEqual(await names(b.arn, undefined, 10), ['alias/a', 'alias/c']);
    await commit(storage, { kind: 'deleteAlias', accountId: ACCOUNT, region: 'us-east-1', name: 'alias/c' });
    assert.equal(await keys.getAlias(ACCOUNT, 'us-east-1', 'alias/c'), undefined);
    assert.equal(await keys.countAliases(b.arn), 1);
    await assert.rejects(commit(storage, { kind: 'putAlias', alias: alias('alias/x', keyArn('missing')) }));
    assert.equal(await keys.getAlias(ACCOUNT, 'us-east-1', 'alias/x'), undefined);
  });

  run('grants: get, list by key and by retiring principal in grant-id order after an id, count, delete', async (keys, storage) => {
    const [a, b] = [key('ka'), key('kb')];
    const g = [grant(3, a.arn, 'alice'), grant(1, a.arn, 'bob'), grant(2, b.arn, 'alice'), grant(4, a.arn), grant(5, a.arn, 'alice')];
    await commit(storage, { kind: 'putKey', key: a }, { kind: 'putKey', key: b }, ...g.map((x) => ({ kind: 'putGrant' as const, grant: x })));
    const ids = (list: readonly GrantRecord[]) => list.map((x) => x.creationDate);
    assert.deepEqual(await keys.getGrant(g[0]?.grantId ?? ''), g[0]);
    assert.equal(await keys.getGrant(grant(9, a.arn).grantId), undefined);
    assert.deepEqual(ids(await keys.listGrants(a.arn, undefined, 10)), [1, 3, 4, 5]);
    assert.deepEqual(ids(await keys.listGrants(a.arn, undefined, 2)), [1, 3]);
    assert.deepEqual(ids(await keys.listGrants(a.arn, grant(3, a.arn).grantId, 10)), [4, 5]);
    assert.deepEqual(ids(await keys.listRetirableGrants('alice', undefined, 10)), [2, 3, 5]);
    assert.deepEqual(ids(await keys.listRetirableGrants('alice', grant(2, a.arn).grantId, 1)), [3]);
    assert.deepEqual(await keys.listRetirableGrants('carol', undefined, 10), []);
    assert.equal(await keys.countGrants(a.arn), 4);
    assert.equal(await keys.countGrants(b.arn), 1);
    await commit(storage, { kind: 'deleteGrant', grant: grant(3, a.arn, 'alice') });
    assert.equal(await keys.getGrant(grant(3, a.arn).grantId), undefined);
    assert.deepEqual(ids(await keys.listRetirableGrants('alice', undefined, 10)), [2, 5]);
    assert.equal(await keys.countGrants(a.arn), 3);
    await assert.rejects(commit(storage, { kind: 'putGrant', grant: grant(8, keyArn('missing')) }));
    assert.equal(await keys.getGrant(grant(8, a.arn).grantId), undefined);
  });

  run('deleting a key removes its materials, aliases, grants and usage, and nothing of another key', async (keys, storage) => {
    const [a, b] = [key('ka'), key('kb')];
    await commit(storage, { kind: 'putKey', key: a }, { kind: 'putKey', key: b },
      { kind: 'putMaterial', material: material(a.arn, 1, 1) }, { kind: 'putMaterial', material: material(b.arn, 1, 1) },
      { kind: 'putAlias', alias: alias('alias/a', a.arn) }, { kind: 'putAlias', alias: alias('alias/b', b.arn) },
      { kind: 'putGrant', grant: grant(1, a.arn, 'alice') }, { kind: 'putGrant', grant: grant(2, b.arn, 'alice') },
      { kind: 'putUsage', records: [usage(a.arn, 10), usage(b.arn, 10)] });
    await commit(storage, { kind: 'deleteKey', arn: a.arn });
    assert.equal(await keys.getKey(a.arn), undefined);
    assert.equal(await keys.findKeyArn('ka', 'us-east-1'), undefined);
    assert.deepEqual(await keys.getMaterials(a.arn), []);
    assert.equal(await keys.getAlias(ACCOUNT, 'us-east-1', 'alias/a'), undefined);
    assert.equal(await keys.countAliases(a.arn), 0);
    assert.equal(await keys.getGrant(grant(1, a.arn).grantId), undefined);
    assert.equal(await keys.countGrants(a.arn), 0);
    assert.deepEqual((await keys.listRetirableGrants('alice', undefined, 10)).map((g) => g.keyArn), [b.arn]);
    assert.equal(await keys.getUsage(a.arn), undefined);
    // The other key is whole.
    assert.deepEqual(await keys.getKey(b.arn), b);
    assert.equal((await keys.getMaterials(b.arn)).length, 1);
    assert.equal(await keys.countAliases(b.arn), 1);
    assert.equal(await keys.countGrants(b.arn), 1);
    assert.deepEqual(await keys.getUsage(b.arn), usage(b.arn, 10));
    // A key put again under the same ARN starts with nothing.
    await commit(storage, { kind: 'putKey', key: a });
    assert.deepEqual(await keys.getMaterials(a.arn), []);
    assert.equal(await keys.getUsage(a.arn), undefined);
    // Deleting a key that does not exist changes nothing.
    await commit(storage, { kind: 'deleteKey', arn: keyArn('missing') });
    assert.deepEqual(arns(await keys.listKeys(ACCOUNT, 'us-east-1', undefined, 10)), [a.arn, b.arn]);
  });

  run('putUsage: kept only for a key that exists; a newer record replaces, an older one does not', async (keys, storage) => {
    const k = key('k1');
    await commit(storage, { kind: 'putKey', key: k });
    // The record of a key that does not exist is dropped; the commit succeeds.
    await commit(storage, { kind: 'putUsage', records: [usage(keyArn('missing'), 5), usage(k.arn, 20, 'Encrypt')] });
    assert.equal(await keys.getUsage(keyArn('missing')), undefined);
    assert.deepEqual(await keys.getUsage(k.arn), usage(k.arn, 20, 'Encrypt'));
    await commit(storage, { kind: 'putUsage', records: [usage(k.arn, 10, 'Decrypt')] });
    assert.deepEqual(await keys.getUsage(k.arn), usage(k.arn, 20, 'Encrypt'), 'an older record does not replace a newer one');
    await commit(storage, { kind: 'putUsage', records: [usage(k.arn, 40, 'Sign'), usage(k.arn, 30, 'Verify')] });
    assert.deepEqual(await keys.getUsage(k.arn), usage(k.arn, 40, 'Sign'), 'the newest of one batch wins too');
    await commit(storage, { kind: 'putUsage', records: [usage(k.arn, 50, 'GenerateDataKey')] });
    assert.deepEqual(await keys.getUsage(k.arn), usage(k.arn, 50, 'GenerateDataKey'));
  });

  run('setMeta and getMeta: a value per name, replaced by a later set', async (keys, storage) => {
    assert.equal(await keys.getMeta('usage_tracking_start'), undefined);
    await commit(storage, { kind: 'setMeta', name: 'usage_tracking_start', value: '123' }, { kind: 'setMeta', name: 'other', value: 'x' });
    assert.equal(await keys.getMeta('usage_tracking_start'), '123');
    await commit(storage, { kind: 'setMeta', name: 'usage_tracking_start', value: '456' });
    assert.equal(await keys.getMeta('usage_tracking_start'), '456');
    assert.equal(await keys.getMeta('other'), 'x');
  });

  run('a commit with a failing change leaves none of its changes, nor does one whose records cannot be made', async (keys, storage) => {
    const k = key('k1', { description: 'before' });
    await commit(storage, { kind: 'putKey', key: k }, { kind: 'setMeta', name: 'm', value: 'before' });
    // The failing change comes last: the ones before it were applied inside the commit, and are undone.
    await assert.rejects(commit(storage,
      { kind: 'putKey', key: { ...k, description: 'after' } },
      { kind: 'putKey', key: key('k2') },
      { kind: 'deleteKey', arn: k.arn },
      { kind: 'setMeta', name: 'm', value: 'after' },
      { kind: 'putMaterial', material: material(keyArn('missing'), 1, 1) }));
    assert.deepEqual(await keys.getKey(k.arn), k);
    assert.equal(await keys.getKey(keyArn('k2')), undefined);
    assert.equal(await keys.getMeta('m'), 'before');
    // A records function that throws fails the commit the same way.
    await assert.rejects(storage.commit({ changes: [{ kind: 'putKey', key: key('k3') }], records: () => { throw new Error('no record'); } }));
    assert.equal(await keys.getKey(keyArn('k3')), undefined);
    // And the store goes on: the next commit succeeds.
    await commit(storage, { kind: 'putKey', key: key('k4') });
    assert.deepEqual(arns(await keys.listKeys(ACCOUNT, 'us-east-1', undefined, 10)), [keyArn('k1'), keyArn('k4')]);
  });
}

const usage = (keyArn: string, timestamp: number, operation = 'Encrypt') => ({ keyArn, operation, timestamp, requestId: `req-${timestamp}` });
