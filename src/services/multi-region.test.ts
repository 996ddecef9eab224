import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyRecord } from '../domain/key.ts';
import { keyMetadata } from '../domain/key.ts';
import { multiRegionConfiguration } from './multi-region.ts';

const KEY_ID = 'mrk-1234abcd12ab34cd56ef1234567890ab';
const member = (region: string, type: 'PRIMARY' | 'REPLICA'): KeyRecord => ({
  arn: `arn:aws:kms:${region}:111122223333:key/${KEY_ID}`, keyId: KEY_ID, accountId: '111122223333', region, creationDate: 0, description: '',
  keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: true, state: 'Enabled',
  rotation: { enabled: false, periodDays: 365 }, onDemandRotations: 0, currentMaterialId: 'ab'.repeat(32), policy: '{}', tags: [],
  multiRegionKeyType: type,
});

test('MultiRegionConfiguration: every key of the set shows the primary and all replicas', () => {
  const set = [member('us-east-1', 'PRIMARY'), member('us-west-2', 'REPLICA'), member('eu-west-1', 'REPLICA')];
  const replicas = [
    { Arn: `arn:aws:kms:us-west-2:111122223333:key/${KEY_ID}`, Region: 'us-west-2' },
    { Arn: `arn:aws:kms:eu-west-1:111122223333:key/${KEY_ID}`, Region: 'eu-west-1' },
  ];
  const primary = { Arn: `arn:aws:kms:us-east-1:111122223333:key/${KEY_ID}`, Region: 'us-east-1' };
  for (const k of set) {
    assert.deepEqual(multiRegionConfiguration(k, set), { MultiRegionKeyType: k.multiRegionKeyType, PrimaryKey: primary, ReplicaKeys: replicas });
  }
  assert.deepEqual(multiRegionConfiguration(set[0] as KeyRecord, set.slice(0, 1)).ReplicaKeys, []);
});

test('KeyMetadata: MultiRegionConfiguration only for multi-Region keys; a primary waiting for replicas shows its window, no date', () => {
  const k = member('us-east-1', 'PRIMARY');
  const config = multiRegionConfiguration(k, [k]);
  assert.equal(keyMetadata({ ...k, multiRegion: false }, config).MultiRegionConfiguration, undefined);
  assert.deepEqual(keyMetadata(k, config).MultiRegionConfiguration, config);
  const waiting = keyMetadata({ ...k, state: 'PendingReplicaDeletion', pendingWindowInDays: 9 }, config);
  assert.equal(waiting.PendingDeletionWindowInDays, 9);
  assert.equal(waiting.DeletionDate, undefined);
});
