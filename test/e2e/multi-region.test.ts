/**
 * End-to-end tests of regions and multi-Region keys (reference §3.11): one endpoint serves the
 * regions of COFFER_REGIONS (the request's credential scope picks one; another region is refused);
 * keys and aliases are per region; a multi-Region key replicated to two regions decrypts across
 * all three, moves its primary, rotates everywhere at once, and is deleted replicas first
 * (PendingReplicaDeletion). Also imported material in a multi-Region key, and an asymmetric one.
 * One test-mode server (us-east-1 plus the default us-west-2 and eu-west-1) for the file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CancelKeyDeletionCommand, CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EnableKeyRotationCommand, EncryptCommand,
  GetKeyRotationStatusCommand, GetPublicKeyCommand, ListKeyRotationsCommand, ListKeysCommand, ListResourceTagsCommand, PutKeyPolicyCommand, ReplicateKeyCommand,
  RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand, SignCommand, UpdateKeyDescriptionCommand, UpdatePrimaryRegionCommand, VerifyCommand,
  type KeyMetadata, type KMSClient,
} from '@aws-sdk/client-kms';
import { importMaterial } from './byok.ts';
import { ACCOUNT_ID, rejectsWith, removeDataDir, startCoffer, type Coffer } from './harness.ts';

const DAY = 86_400;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'] as const;
type Region = (typeof REGIONS)[number];
let coffer: Coffer;
let kms: Record<Region, KMSClient>;
before(async () => {
  coffer = await startCoffer({ env: { COFFER_TEST_MODE: 'true' } });
  kms = { 'us-east-1': coffer.client('us-east-1'), 'us-west-2': coffer.client('us-west-2'), 'eu-west-1': coffer.client('eu-west-1') };
});
after(async () => {
  await coffer.stop();
  removeDataDir(coffer.dataDir);
});

const arnIn = (region: string, keyId: string): string => `arn:aws:kms:${region}:${ACCOUNT_ID}:key/${keyId}`;
const describe = async (region: Region, keyId: string): Promise<KeyMetadata> =>
  (await kms[region].send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata as KeyMetadata;
const encrypt = async (region: Region, keyId: string, text: string): Promise<Uint8Array> =>
  (await kms[region].send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }))).CiphertextBlob as Uint8Array;
const decrypt = async (region: Region, blob: Uint8Array): Promise<string> =>
  Buffer.from((await kms[region].send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString();

test('one endpoint, several regions: the credential scope picks one; keys and aliases are per region; malformed regions are refused', async () => {
  const refused = await coffer.raw({ target: 'ListKeys', region: 'mars' });
  assert.equal(refused.status, 400);
  assert.match(refused.body, /"__type":"InvalidSignatureException".*Credential should be scoped to a valid region/);
  await rejectsWith(coffer.client('us-gov-west-1').send(new ListKeysCommand({})), 'InvalidSignatureException', /valid region/);
  // Any region name of the aws partition is served by default (COFFER_REGIONS=any).
  assert.deepEqual((await coffer.client('ap-south-1').send(new ListKeysCommand({}))).Keys, []);

  const east = (await kms['us-east-1'].send(new CreateKeyCommand({}))).KeyMetadata as KeyMetadata;
  const west = (await kms['us-west-2'].send(new CreateKeyCommand({}))).KeyMetadata as KeyMetadata;
  assert.equal(east.Arn, arnIn('us-east-1', east.KeyId as string));
  assert.equal(west.Arn, arnIn('us-west-2', west.KeyId as string));
  const ids = async (region: Region) => ((await kms[region].send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? []).map((k) => k.KeyId);
  assert.ok((await ids('us-east-1')).includes(east.KeyId) && !(await ids('us-east-1')).includes(west.KeyId));
  assert.ok((await ids('us-west-2')).includes(west.KeyId) && !(await ids('us-west-2')).includes(east.KeyId));
  await rejectsWith(describe('us-west-2', east.KeyId as string), 'NotFoundException', `Key '${arnIn('us-west-2', east.KeyId as string)}' does not exist`);
  await rejectsWith(describe('us-west-2', east.Arn as string), 'NotFoundException', 'Invalid arn us-east-1');
  // A single-Region key's ciphertext names a key the other region does not have.
  await rejectsWith(
    decrypt('us-west-2', await encrypt('us-east-1', east.KeyId as string, 'stays home')), 'AccessDeniedException',
    'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
  );

  const alias = `alias/per-region-${Date.now()}`;
  await kms['us-east-1'].send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: east.KeyId }));
  await kms['us-west-2'].send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: west.KeyId }));
  assert.equal((await describe('us-east-1', alias)).KeyId, east.KeyId);
  assert.equal((await describe('us-west-2', alias)).KeyId, west.KeyId);
  await rejectsWith(describe('eu-west-1', alias), 'NotFoundException');
});

test('a multi-Region key replicated to two regions: shared material, own policy, tags and description; ciphertexts open in every region', async () => {
  const primary = (await kms['us-east-1'].send(new CreateKeyCommand({ MultiRegion: true, Description: 'primary' }))).KeyMetadata as KeyMetadata;
  const keyId = primary.KeyId as string;
  assert.match(keyId, /^mrk-[0-9a-f]{32}$/);
  assert.equal(primary.MultiRegion, true);
  assert.deepEqual(primary.MultiRegionConfiguration, {
    MultiRegionKeyType: 'PRIMARY', PrimaryKey: { Arn: primary.Arn, Region: 'us-east-1' }, ReplicaKeys: [],
  });

  const r = await kms['us-east-1'].send(new ReplicateKeyCommand({
    KeyId: keyId, ReplicaRegion: 'us-west-2', Description: 'west replica', Tags: [{ TagKey: 'team', TagValue: 'west' }],
  }));
  const replica = r.ReplicaKeyMetadata as KeyMetadata;
  assert.equal(replica.Arn, arnIn('us-west-2', keyId));
  assert.equal(replica.KeyId, keyId);
  assert.equal(replica.Description, 'west replica');
  assert.equal(replica.KeyState, 'Enabled');
  assert.equal(replica.CurrentKeyMaterialId, primary.CurrentKeyMaterialId, 'the same key material');
  assert.deepEqual(replica.MultiRegionConfiguration?.MultiRegionKeyType, 'REPLICA');
  assert.deepEqual(replica.MultiRegionConfiguration?.PrimaryKey, { Arn: primary.Arn, Region: 'us-east-1' });
  assert.deepEqual(r.ReplicaTags, [{ TagKey: 'team', TagValue: 'west' }]);
  assert.match(r.ReplicaPolicy ?? '', /Enable IAM User Permissions/, 'the default key policy');
  await kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: primary.Arn, ReplicaRegion: 'eu-west-1' }));

  for (const region of REGIONS) {
    const m = await describe(region, keyId);
    assert.equal(m.MultiRegionConfiguration?.MultiRegionKeyType, region === 'us-east-1' ? 'PRIMARY' : 'REPLICA', region);
    assert.deepEqual(m.MultiRegionConfiguration?.PrimaryKey, { Arn: primary.Arn, Region: 'us-east-1' });
    assert.deepEqual(m.MultiRegionConfiguration?.ReplicaKeys, [
      { Arn: arnIn('us-west-2', keyId), Region: 'us-west-2' }, { Arn: arnIn('eu-west-1', keyId), Region: 'eu-west-1' },
    ]);
  }
  for (const from of REGIONS) {
    const blob = await encrypt(from, keyId, `made in ${from}`);
    for (const to of REGIONS) assert.equal(await decrypt(to, blob), `made in ${from}`, `${from} → ${to}`);
  }
  assert.deepEqual((await kms['us-east-1'].send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags, []);
  await kms['us-west-2'].send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'changed in the west' }));
  assert.equal((await describe('us-east-1', keyId)).Description, 'primary', 'descriptions are not shared');

  await rejectsWith(kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-west-2' })), 'AlreadyExistsException');
  await rejectsWith(kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-east-1' })), 'AlreadyExistsException');
  await rejectsWith(kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'cn-north-1' })), 'UnsupportedOperationException', /not enabled/);
  await rejectsWith(kms['us-west-2'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-east-2' })), 'UnsupportedOperationException',
    `${arnIn('us-west-2', keyId)} is not a multi-region primary key.`);
  const single = (await kms['us-east-1'].send(new CreateKeyCommand({}))).KeyMetadata as KeyMetadata;
  await rejectsWith(kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: single.KeyId, ReplicaRegion: 'us-west-2' })), 'UnsupportedOperationException');
});

test('rotation of the primary reaches its replicas; the primary moves; deletion waits for the replicas (PendingReplicaDeletion)', async () => {
  const keyId = ((await kms['us-east-1'].send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata as KeyMetadata).KeyId as string;
  await kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-west-2' }));
  await kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'eu-west-1' }));
  const before = await encrypt('eu-west-1', keyId, 'before rotation');
  const materials = async () => Promise.all(REGIONS.map(async (region) => (await describe(region, keyId)).CurrentKeyMaterialId));

  await rejectsWith(kms['us-west-2'].send(new RotateKeyOnDemandCommand({ KeyId: keyId })), 'UnsupportedOperationException', /not a multi-region primary key/);
  await rejectsWith(kms['us-west-2'].send(new EnableKeyRotationCommand({ KeyId: keyId })), 'UnsupportedOperationException');
  const old = (await materials())[0];
  await kms['us-east-1'].send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
  const rotated = await materials();
  assert.notEqual(rotated[0], old);
  assert.deepEqual(rotated, [rotated[0], rotated[0], rotated[0]], 'every region has the new material');
  const rotations = (await kms['us-west-2'].send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? [];
  assert.deepEqual(rotations.map((x) => [x.KeyMaterialId, x.RotationType]), [[rotated[0], 'ON_DEMAND']]);
  const after = await encrypt('us-west-2', keyId, 'after rotation');
  for (const region of REGIONS) {
    assert.equal(await decrypt(region, before), 'before rotation');
    assert.equal(await decrypt(region, after), 'after rotation');
  }

  // Automatic rotation is the primary's setting, shared with the replicas, and rotates them all.
  await kms['us-east-1'].send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }));
  const status = await kms['eu-west-1'].send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
  assert.equal(status.KeyRotationEnabled, true);
  assert.equal(status.RotationPeriodInDays, 90);
  await coffer.advanceClock(91 * DAY);
  const auto = await materials();
  assert.notEqual(auto[0], rotated[0]);
  assert.deepEqual(auto, [auto[0], auto[0], auto[0]]);

  // UpdatePrimaryRegion: eu-west-1 becomes the primary, us-east-1 a replica.
  await kms['us-east-1'].send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: 'eu-west-1' }));
  const east = await describe('us-east-1', keyId);
  assert.equal(east.MultiRegionConfiguration?.MultiRegionKeyType, 'REPLICA');
  assert.deepEqual(east.MultiRegionConfiguration?.PrimaryKey, { Arn: arnIn('eu-west-1', keyId), Region: 'eu-west-1' });
  assert.deepEqual(east.MultiRegionConfiguration?.ReplicaKeys?.map((k) => k.Region).sort(), ['us-east-1', 'us-west-2']);
  assert.equal((await describe('eu-west-1', keyId)).MultiRegionConfiguration?.MultiRegionKeyType, 'PRIMARY');
  await rejectsWith(kms['us-east-1'].send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: 'us-west-2' })), 'UnsupportedOperationException');
  await rejectsWith(kms['us-east-1'].send(new RotateKeyOnDemandCommand({ KeyId: keyId })), 'UnsupportedOperationException');
  await kms['eu-west-1'].send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
  const moved = await materials();
  assert.notEqual(moved[0], auto[0]);
  assert.deepEqual(moved, [moved[0], moved[0], moved[0]], 'the new primary rotates every region');

  // Deleting the primary waits for its replicas; its window starts when the last one is gone.
  const scheduled = await kms['eu-west-1'].send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
  assert.equal(scheduled.KeyState, 'PendingReplicaDeletion');
  assert.equal(scheduled.DeletionDate, undefined);
  assert.equal(scheduled.PendingWindowInDays, 7);
  const waiting = await describe('eu-west-1', keyId);
  assert.equal(waiting.KeyState, 'PendingReplicaDeletion');
  assert.equal(waiting.PendingDeletionWindowInDays, 7);
  await rejectsWith(encrypt('eu-west-1', keyId, 'x'), 'KMSInvalidStateException', `${arnIn('eu-west-1', keyId)} is pending replica deletion.`);
  assert.equal(await decrypt('us-west-2', before), 'before rotation', 'the replicas still work');
  await kms['us-east-1'].send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
  await kms['us-west-2'].send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 10 }));
  await coffer.advanceClock(7 * DAY + 60);
  await rejectsWith(describe('us-east-1', keyId), 'NotFoundException');
  assert.equal((await describe('eu-west-1', keyId)).KeyState, 'PendingReplicaDeletion', 'one replica is left');
  await coffer.advanceClock(3 * DAY);
  await rejectsWith(describe('us-west-2', keyId), 'NotFoundException');
  const last = await describe('eu-west-1', keyId);
  assert.equal(last.KeyState, 'PendingDeletion');
  assert.deepEqual(last.MultiRegionConfiguration?.ReplicaKeys, []);
  const serverNow = Date.now() + (await coffer.advanceClock(0)).offsetSeconds * 1000;
  assert.ok(Math.abs((last.DeletionDate?.getTime() ?? 0) - (serverNow + 7 * DAY * 1000)) < 120_000, 'its own 7 days start when the last replica is gone');
  await coffer.advanceClock(7 * DAY + 60);
  await rejectsWith(describe('eu-west-1', keyId), 'NotFoundException');
});

test('CancelKeyDeletion of a primary waiting for its replicas leaves it Disabled', async () => {
  const keyId = ((await kms['us-east-1'].send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata as KeyMetadata).KeyId as string;
  await kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'eu-west-1' }));
  await kms['us-east-1'].send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
  await kms['us-east-1'].send(new CancelKeyDeletionCommand({ KeyId: keyId }));
  const m = await describe('us-east-1', keyId);
  assert.equal(m.KeyState, 'Disabled');
  assert.equal(m.PendingDeletionWindowInDays, undefined);
});

test('imported material in a multi-Region key: each replica imports the same material; rotation waits for every replica', async () => {
  const keyId = ((await kms['us-east-1'].send(new CreateKeyCommand({ MultiRegion: true, Origin: 'EXTERNAL' }))).KeyMetadata as KeyMetadata).KeyId as string;
  const a = randomBytes(32);
  const idA = await importMaterial(kms['us-east-1'], keyId, a);
  const r = await kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-west-2' }));
  assert.equal(r.ReplicaKeyMetadata?.KeyState, 'PendingImport', 'a replica of an EXTERNAL key imports its own copy');
  await rejectsWith(importMaterial(kms['us-west-2'], keyId, randomBytes(32)), 'IncorrectKeyMaterialException');
  assert.equal(await importMaterial(kms['us-west-2'], keyId, a), idA, 'the same material has the same id in every region');
  assert.equal((await describe('us-west-2', keyId)).KeyState, 'Enabled');
  assert.equal(await decrypt('us-west-2', await encrypt('us-east-1', keyId, 'byok across regions')), 'byok across regions');

  const b = randomBytes(32);
  const newMaterial = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' } as const;
  await rejectsWith(importMaterial(kms['us-west-2'], keyId, b, newMaterial), 'UnsupportedOperationException', /replica/);
  const idB = await importMaterial(kms['us-east-1'], keyId, b, newMaterial);
  const states = async () => ((await kms['us-east-1'].send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }))).Rotations ?? [])
    .map((x) => [x.KeyMaterialId, x.KeyMaterialState]);
  assert.deepEqual(await states(), [[idA, 'CURRENT'], [idB, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION']]);
  await rejectsWith(kms['us-east-1'].send(new RotateKeyOnDemandCommand({ KeyId: keyId })), 'KMSInvalidStateException', /No available key material pending rotation/);
  await importMaterial(kms['us-west-2'], keyId, b);
  assert.deepEqual(await states(), [[idA, 'CURRENT'], [idB, 'PENDING_ROTATION']]);
  await kms['us-east-1'].send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
  assert.equal((await describe('us-west-2', keyId)).CurrentKeyMaterialId, idB);
  assert.equal(await decrypt('us-east-1', await encrypt('us-west-2', keyId, 'under B')), 'under B');
});

test('UpdatePrimaryRegion needs kms:UpdatePrimaryRegion on the replica too, by the replica\'s own key policy', async () => {
  const keyId = ((await kms['us-east-1'].send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata as KeyMetadata).KeyId as string;
  await kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-west-2' }));
  const root = `arn:aws:iam::${ACCOUNT_ID}:root`;
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
    { Effect: 'Deny', Principal: { AWS: root }, Action: 'kms:UpdatePrimaryRegion', Resource: '*' },
  ] });
  await kms['us-west-2'].send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: policy }));
  await rejectsWith(kms['us-east-1'].send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: 'us-west-2' })), 'AccessDeniedException',
    new RegExp(`kms:UpdatePrimaryRegion on resource: ${arnIn('us-west-2', keyId)}`));
  assert.equal((await describe('us-east-1', keyId)).MultiRegionConfiguration?.MultiRegionKeyType, 'PRIMARY', 'nothing changed');
});

test('an asymmetric multi-Region key: the same key pair in every region', async () => {
  const keyId = ((await kms['us-east-1'].send(new CreateKeyCommand({ MultiRegion: true, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })))
    .KeyMetadata as KeyMetadata).KeyId as string;
  await kms['us-east-1'].send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'eu-west-1' }));
  const pub = async (region: Region) => Buffer.from((await kms[region].send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey ?? []);
  assert.deepEqual(await pub('eu-west-1'), await pub('us-east-1'));
  const message = Buffer.from('signed in Europe');
  const sig = await kms['eu-west-1'].send(new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
  const v = await kms['us-east-1'].send(new VerifyCommand({ KeyId: keyId, Message: message, Signature: sig.Signature, SigningAlgorithm: 'ECDSA_SHA_256' }));
  assert.equal(v.SignatureValid, true);
});
