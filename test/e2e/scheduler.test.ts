/**
 * Time-driven work in a running server: the test-mode clock moves forward, the scheduler runs,
 * and the effects are observed through the API only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand,
  EnableKeyRotationCommand, EncryptCommand, GetKeyRotationStatusCommand, ListAliasesCommand, ListKeyRotationsCommand,
  RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand, type KMSClient,
} from '@aws-sdk/client-kms';
import { rejectsWith, serverForFile, type Coffer } from './harness.ts';

const DAY = 86_400;
let coffer: Coffer;
let kms: KMSClient;

serverForFile({ env: { COFFER_TEST_MODE: 'true' } }, (c) => { coffer = c; kms = c.client(); });

const newKey = async (): Promise<string> => {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
  return KeyMetadata?.Arn as string;
};
const encrypt = async (keyId: string, text: string) =>
  (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }))).CiphertextBlob as Uint8Array;
const decrypt = async (blob: Uint8Array) =>
  Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString();
/** The server's (test-mode) clock: real time plus the offset moved so far. */
const serverNow = async (): Promise<number> => Date.now() + (await coffer.advanceClock(0)).offsetSeconds * 1000;
const materialOf = async (keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.CurrentKeyMaterialId;

test('automatic rotation happens when its date comes, keeps every old version, and runs idempotently', async () => {
  const arn = await newKey();
  await kms.send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 90 }));
  const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: arn }));
  assert.equal(status.KeyRotationEnabled, true);
  assert.equal(status.RotationPeriodInDays, 90);
  const due = status.NextRotationDate as Date;
  assert.ok(Math.abs(due.getTime() - (await serverNow() + 90 * DAY * 1000)) < 60_000, 'first rotation one period after enabling');
  const before = await materialOf(arn);
  const oldBlob = await encrypt(arn, 'before rotation');

  const early = await coffer.advanceClock(89 * DAY);
  assert.equal(await materialOf(arn), before, 'not rotated before its date');
  assert.ok(early.rotated >= 0);

  const run = await coffer.advanceClock(2 * DAY);
  assert.ok(run.rotated >= 1, 'the scheduler rotated at least this key');
  const afterRotation = await materialOf(arn);
  assert.notEqual(afterRotation, before);
  const again = await coffer.advanceClock(0);
  assert.equal(again.rotated, 0, 'a second run has nothing left to do');
  assert.equal(await materialOf(arn), afterRotation);

  const rotations = await kms.send(new ListKeyRotationsCommand({ KeyId: arn }));
  assert.equal(rotations.Rotations?.length, 1);
  assert.equal(rotations.Rotations?.[0]?.RotationType, 'AUTOMATIC');
  assert.equal(rotations.Rotations?.[0]?.KeyMaterialId, afterRotation);

  assert.equal(await decrypt(oldBlob), 'before rotation');
  const newBlob = await encrypt(arn, 'after rotation');
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: newBlob }));
  assert.equal(dec.KeyMaterialId, afterRotation);
  const next = (await kms.send(new GetKeyRotationStatusCommand({ KeyId: arn }))).NextRotationDate as Date;
  assert.ok(next.getTime() > due.getTime(), 'the next rotation is planned a period later');
});

test('a disabled key is not rotated; it rotates once enabled again', async () => {
  const arn = await newKey();
  await kms.send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 90 }));
  const before = await materialOf(arn);
  await kms.send(new DisableKeyCommand({ KeyId: arn }));
  await coffer.advanceClock(91 * DAY);
  assert.equal(await materialOf(arn), before);
  await kms.send(new EnableKeyCommand({ KeyId: arn }));
  await coffer.advanceClock(1);
  assert.notEqual(await materialOf(arn), before);
});

test('scheduled deletion destroys the key and its aliases after the waiting period', async () => {
  const arn = await newKey();
  const blob = await encrypt(arn, 'doomed');
  const alias = `alias/doomed-${Date.now()}`;
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn }));
  const sched = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
  assert.equal(sched.KeyState, 'PendingDeletion');

  await coffer.advanceClock(6 * DAY);
  assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.KeyState, 'PendingDeletion');

  const run = await coffer.advanceClock(1 * DAY + 60);
  assert.ok(run.deleted >= 1);
  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: arn })), 'NotFoundException', `Key '${arn}' does not exist`);
  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: alias })), 'NotFoundException');
  const aliases = await kms.send(new ListAliasesCommand({}));
  assert.ok(!(aliases.Aliases ?? []).some((a) => a.AliasName === alias), 'the alias went with the key');
  // The ciphertext names a key that no longer exists: AWS's AccessDeniedException.
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'AccessDeniedException', /does not exist in this region/);
  assert.equal((await coffer.advanceClock(0)).deleted, 0, 'deleting again is a no-op');
});

test('on-demand rotation: 25 per key, then LimitExceededException', async () => {
  const arn = await newKey();
  const blobs = [await encrypt(arn, 'v0')];
  for (let i = 1; i <= 25; i++) {
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
    if (i % 5 === 0) blobs.push(await encrypt(arn, `v${i}`));
  }
  await rejectsWith(
    kms.send(new RotateKeyOnDemandCommand({ KeyId: arn })), 'LimitExceededException',
    `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${arn}`,
  );
  const rotations = await kms.send(new ListKeyRotationsCommand({ KeyId: arn, Limit: 1000 }));
  assert.equal(rotations.Rotations?.length, 25);
  assert.ok(rotations.Rotations?.every((r) => r.RotationType === 'ON_DEMAND'));
  const all = await kms.send(new ListKeyRotationsCommand({ KeyId: arn, IncludeKeyMaterial: 'ALL_KEY_MATERIAL', Limit: 10 }));
  assert.equal(all.Rotations?.length, 10);
  assert.equal(all.Truncated, true);
  const texts = await Promise.all(blobs.map(decrypt));
  assert.deepEqual(texts, ['v0', 'v5', 'v10', 'v15', 'v20', 'v25']);
});

test('on-demand rotation conflicts with an automatic rotation due within 20 minutes', async () => {
  const arn = await newKey();
  await kms.send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 90 }));
  const due = ((await kms.send(new GetKeyRotationStatusCommand({ KeyId: arn }))).NextRotationDate as Date).getTime();
  // Move to 10 minutes before this key's rotation date.
  await coffer.advanceClock((due - (await serverNow())) / 1000 - 600);
  await rejectsWith(kms.send(new RotateKeyOnDemandCommand({ KeyId: arn })), 'ConflictException');
});
