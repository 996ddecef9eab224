/**
 * What users of local KMS servers expect of AWS (issue 14), through a real server and the AWS SDK:
 * AWS managed keys (`alias/aws/<service>`) made at first use, once, durably and audited, with AWS's
 * key policy and yearly rotation, and not changeable or deletable; every region name served unless
 * COFFER_REGIONS restricts them; a ciphertext of a key the region lacks is AccessDeniedException;
 * `alias/aws/` names are NotAuthorizedException; LookupEvents is regional.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand, CreateKeyCommand, DecryptCommand, DeleteAliasCommand, DescribeKeyCommand, DisableKeyCommand, DisableKeyRotationCommand,
  EnableKeyRotationCommand, EncryptCommand, GenerateDataKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, ListAliasesCommand, ListKeyRotationsCommand,
  ListKeysCommand, PutKeyPolicyCommand, ReEncryptCommand, ScheduleKeyDeletionCommand, UpdateAliasCommand, type AliasListEntry, type KMSClient,
} from '@aws-sdk/client-kms';
import { ACCOUNT_ID, REGION, rejectsWith, removeDataDir, startCoffer, type Coffer } from './harness.ts';

const CT_TARGET = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';
const UNKNOWN_KEY = 'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.';

let coffer: Coffer;
let kms: KMSClient;
before(async () => {
  coffer = await startCoffer({ env: { COFFER_TEST_MODE: 'true' } });
  kms = coffer.client();
});
after(async () => {
  await coffer.stop();
  removeDataDir(coffer.dataDir);
});

const aliases = async (client: KMSClient): Promise<AliasListEntry[]> => (await client.send(new ListAliasesCommand({ Limit: 100 }))).Aliases ?? [];
const keyIds = async (client: KMSClient): Promise<string[]> => ((await client.send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? []).map((k) => k.KeyId as string);

async function lookup(region: string, body: Record<string, unknown>): Promise<{ EventName: string; CloudTrailEvent: string }[]> {
  const r = await coffer.raw({
    body: JSON.stringify(body), service: 'cloudtrail', region,
    headers: { 'x-amz-target': `${CT_TARGET}LookupEvents`, 'content-type': 'application/x-amz-json-1.1' },
  });
  assert.equal(r.status, 200, r.body);
  return (JSON.parse(r.body) as { Events: { EventName: string; CloudTrailEvent: string }[] }).Events;
}

test('alias/aws/<service>: an AWS managed key made at first use, once under concurrency, with AWS\'s metadata, policy and rotation', async () => {
  // Before first use: AWS's predefined alias is listed without a target, and there is no key.
  const before = (await aliases(kms)).find((a) => a.AliasName === 'alias/aws/s3');
  assert.ok(before, 'the predefined alias is listed');
  assert.equal(before.TargetKeyId, undefined);
  assert.equal(before.AliasArn, `arn:aws:kms:${REGION}:${ACCOUNT_ID}:alias/aws/s3`);
  const keysBefore = await keyIds(kms);

  // Eight first uses at once make one key.
  const blobs = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    kms.send(new EncryptCommand({ KeyId: 'alias/aws/s3', Plaintext: Buffer.from(`object ${i}`) }))));
  const arns = new Set(blobs.map((b) => b.KeyId));
  assert.equal(arns.size, 1, 'one key for every first use');
  const keyArn = blobs[0]?.KeyId as string;
  const added = (await keyIds(kms)).filter((k) => !keysBefore.includes(k));
  assert.deepEqual(added, [keyArn.split('/')[1]]);

  const meta = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/s3' }))).KeyMetadata;
  assert.equal(meta?.Arn, keyArn);
  assert.equal(meta?.KeyManager, 'AWS');
  assert.equal(meta?.KeySpec, 'SYMMETRIC_DEFAULT');
  assert.equal(meta?.KeyState, 'Enabled');
  assert.match(meta?.Description ?? '', /^Default key that protects my S3 data/);
  const listed = (await aliases(kms)).find((a) => a.AliasName === 'alias/aws/s3');
  assert.equal(listed?.TargetKeyId, meta?.KeyId);

  // Usable like any key: decrypt, data keys, by alias name or alias ARN.
  const plain = await kms.send(new DecryptCommand({ CiphertextBlob: blobs[3]?.CiphertextBlob }));
  assert.equal(Buffer.from(plain.Plaintext ?? []).toString(), 'object 3');
  assert.equal(plain.KeyId, keyArn);
  const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:alias/aws/s3`, KeySpec: 'AES_256' }));
  assert.equal(dk.KeyId, keyArn);

  // AWS's key policy, and yearly rotation.
  const policy = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy ?? '{}') as { Statement: { Condition?: unknown }[] };
  assert.deepEqual(policy.Statement[0]?.Condition, { StringEquals: { 'kms:CallerAccount': ACCOUNT_ID, 'kms:ViaService': `s3.${REGION}.amazonaws.com` } });
  const rotation = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyArn }));
  assert.equal(rotation.KeyRotationEnabled, true);
  assert.equal(rotation.RotationPeriodInDays, 365);

  // Its creation is a state change on the audit trail (a CreateKey service event).
  const created = (await lookup(REGION, { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }] }))
    .filter((e) => e.EventName === 'CreateKey').map((e) => JSON.parse(e.CloudTrailEvent) as { eventType: string; awsRegion: string });
  assert.equal(created.length, 1);
  assert.equal(created[0]?.eventType, 'AwsServiceEvent');
  assert.equal(created[0]?.awsRegion, REGION);
});

test('an AWS managed key cannot be changed, disabled or deleted; its rotation cannot be turned off; unknown services are NotFoundException', async () => {
  const keyId = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ebs' }))).KeyMetadata?.KeyId as string;
  // Nobody is allowed these by AWS's key policy, whatever their IAM policies: AccessDeniedException.
  const denied = /is not authorized to perform: kms:\w+ on resource: .* because no resource-based policy allows/;
  await rejectsWith(kms.send(new DisableKeyRotationCommand({ KeyId: keyId })), 'AccessDeniedException', denied);
  await rejectsWith(kms.send(new EnableKeyRotationCommand({ KeyId: keyId })), 'AccessDeniedException', denied);
  await rejectsWith(kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })), 'AccessDeniedException', denied);
  await rejectsWith(kms.send(new DisableKeyCommand({ KeyId: keyId })), 'AccessDeniedException', denied);
  await rejectsWith(kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify({
    Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: 'kms:*', Resource: '*' }],
  }) })), 'AccessDeniedException', denied);
  assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled, true);
  assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, 'Enabled');
  // A year on, the scheduler has rotated it (and keeps doing so).
  const run = await coffer.advanceClock(366 * 86_400);
  assert.ok(run.rotated >= 1);
  const rotations = (await kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? [];
  assert.deepEqual(rotations.map((r) => r.RotationType), ['AUTOMATIC']);
  assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled, true);

  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/no-such-service' })), 'NotFoundException', /alias\/aws\/no-such-service/);
  // Each region has its own.
  const other = (await coffer.client('eu-central-1').send(new DescribeKeyCommand({ KeyId: 'alias/aws/ebs' }))).KeyMetadata;
  assert.equal(other?.KeyManager, 'AWS');
  assert.notEqual(other?.KeyId, keyId);
  assert.match(other?.Arn ?? '', /^arn:aws:kms:eu-central-1:/);
});

test('alias/aws/ names are AWS\'s: CreateAlias, UpdateAlias and DeleteAlias answer NotAuthorizedException with no message', async () => {
  const own = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
  await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/lambda' }));
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: own })), 'NotAuthorizedException');
  await rejectsWith(kms.send(new UpdateAliasCommand({ AliasName: 'alias/aws/lambda', TargetKeyId: own })), 'NotAuthorizedException');
  await rejectsWith(kms.send(new DeleteAliasCommand({ AliasName: 'alias/aws/lambda' })), 'NotAuthorizedException');
  const raw = await coffer.raw({ target: 'CreateAlias', body: JSON.stringify({ AliasName: 'alias/aws/s3', TargetKeyId: own }) });
  assert.equal(raw.status, 400);
  assert.equal(raw.body, '{"__type":"NotAuthorizedException"}');
});

test('a ciphertext whose key the region does not have: Decrypt and ReEncrypt answer AccessDeniedException', async () => {
  const east = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
  const blob = (await kms.send(new EncryptCommand({ KeyId: east, Plaintext: Buffer.from('home') }))).CiphertextBlob;
  const frankfurt = coffer.client('eu-central-1');
  const there = (await frankfurt.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
  await rejectsWith(frankfurt.send(new DecryptCommand({ CiphertextBlob: blob })), 'AccessDeniedException', UNKNOWN_KEY);
  await rejectsWith(frankfurt.send(new ReEncryptCommand({ CiphertextBlob: blob, DestinationKeyId: there })), 'AccessDeniedException', UNKNOWN_KEY);
});

test('LookupEvents is regional: a lookup signed for a region answers only that region\'s records', async () => {
  const tokyo = (await coffer.client('ap-northeast-1').send(new CreateKeyCommand({ Description: 'tokyo' }))).KeyMetadata?.Arn as string;
  const paris = (await coffer.client('eu-west-3').send(new CreateKeyCommand({ Description: 'paris' }))).KeyMetadata?.Arn as string;
  const createKeys = async (region: string): Promise<{ awsRegion: string; responseElements?: { keyMetadata?: { arn?: string } } }[]> =>
    (await lookup(region, { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateKey' }], MaxResults: 50 }))
      .map((e) => JSON.parse(e.CloudTrailEvent) as { awsRegion: string; responseElements?: { keyMetadata?: { arn?: string } } });
  const inTokyo = await createKeys('ap-northeast-1');
  assert.ok(inTokyo.length >= 1);
  assert.ok(inTokyo.every((r) => r.awsRegion === 'ap-northeast-1'), JSON.stringify(inTokyo.map((r) => r.awsRegion)));
  assert.ok(inTokyo.some((r) => r.responseElements?.keyMetadata?.arn === tokyo));
  const inParis = await createKeys('eu-west-3');
  assert.ok(inParis.every((r) => r.awsRegion === 'eu-west-3'));
  assert.ok(inParis.some((r) => r.responseElements?.keyMetadata?.arn === paris));
  assert.ok((await createKeys(REGION)).every((r) => r.awsRegion === REGION));
});

test('the AWS managed key outlives a restart; COFFER_REGIONS restricts the regions served', async () => {
  const keyId = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }))).KeyMetadata?.KeyId;
  await coffer.stop();
  coffer = await startCoffer({ dataDir: coffer.dataDir, env: { COFFER_TEST_MODE: 'true', COFFER_REGIONS: 'eu-west-1' } });
  kms = coffer.client();
  assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }))).KeyMetadata?.KeyId, keyId);
  await coffer.client('eu-west-1').send(new ListKeysCommand({}));
  await rejectsWith(coffer.client('eu-central-1').send(new ListKeysCommand({})), 'InvalidSignatureException', /Credential should be scoped to a valid region/);
});
