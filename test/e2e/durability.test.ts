/**
 * What was acknowledged survives `kill -9`: keys, rotations, policies, aliases, tags and states
 * are there after a restart, and every ciphertext returned before the crash decrypts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CancelKeyDeletionCommand, EnableKeyCommand, CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, DisableKeyCommand, EncryptCommand,
  GenerateDataKeyCommand, GetKeyPolicyCommand, ListAliasesCommand, ListKeyRotationsCommand, ListResourceTagsCommand,
  PutKeyPolicyCommand, RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand, EnableKeyRotationCommand, GetKeyRotationStatusCommand,
} from '@aws-sdk/client-kms';
import { newDataDir, removeDataDir, startCoffer } from './harness.ts';

const policyFor = (n: number) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: `s${n}`, Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
});

test('every acknowledged change survives kill -9 and every ciphertext decrypts after restart', async () => {
  const dataDir = newDataDir();
  try {
    const first = await startCoffer({ dataDir });
    const kms = first.client();
    const keys: string[] = [];
    const blobs: { blob: Uint8Array; text: string; ec: Record<string, string> }[] = [];
    for (let i = 0; i < 5; i++) {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: `key ${i}`, Tags: [{ TagKey: 'n', TagValue: String(i) }] }));
      const arn = KeyMetadata?.Arn as string;
      keys.push(arn);
      const ec = { purpose: `test-${i}` };
      const enc = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from(`secret ${i}`), EncryptionContext: ec }));
      blobs.push({ blob: enc.CiphertextBlob as Uint8Array, text: `secret ${i}`, ec });
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
      const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 32 }));
      blobs.push({ blob: dk.CiphertextBlob as Uint8Array, text: Buffer.from(dk.Plaintext ?? []).toString('latin1'), ec: {} });
      await kms.send(new PutKeyPolicyCommand({ KeyId: arn, Policy: policyFor(i) }));
      await kms.send(new CreateAliasCommand({ AliasName: `alias/durable-${i}`, TargetKeyId: arn }));
    }
    await kms.send(new EnableKeyRotationCommand({ KeyId: keys[0], RotationPeriodInDays: 180 }));
    await kms.send(new DisableKeyCommand({ KeyId: keys[1] }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keys[2], PendingWindowInDays: 7 }));
    const materialsBefore = await Promise.all(keys.map(async (k) => (await kms.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata?.CurrentKeyMaterialId));
    await first.kill9();

    const second = await startCoffer({ dataDir });
    try {
      const kms2 = second.client();
      for (const [i, arn] of keys.entries()) {
        const md = (await kms2.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata;
        assert.equal(md?.Description, `key ${i}`);
        assert.equal(md?.CurrentKeyMaterialId, materialsBefore[i], 'the rotation survived');
        assert.equal((await kms2.send(new GetKeyPolicyCommand({ KeyId: arn }))).Policy, policyFor(i));
        assert.deepEqual((await kms2.send(new ListResourceTagsCommand({ KeyId: arn }))).Tags, [{ TagKey: 'n', TagValue: String(i) }]);
        assert.equal((await kms2.send(new ListKeyRotationsCommand({ KeyId: arn }))).Rotations?.length, 1);
      }
      const states = await Promise.all(keys.map(async (k) => (await kms2.send(new DescribeKeyCommand({ KeyId: k }))).KeyMetadata?.KeyState));
      assert.deepEqual(states, ['Enabled', 'Disabled', 'PendingDeletion', 'Enabled', 'Enabled']);
      assert.equal((await kms2.send(new GetKeyRotationStatusCommand({ KeyId: keys[0] }))).RotationPeriodInDays, 180);
      const aliases = (await kms2.send(new ListAliasesCommand({}))).Aliases ?? [];
      assert.equal(aliases.filter((a) => a.AliasName?.startsWith('alias/durable-')).length, 5);

      // Bring the disabled and the pending-deletion key back: then every ciphertext decrypts.
      await kms2.send(new CancelKeyDeletionCommand({ KeyId: keys[2] }));
      await kms2.send(new EnableKeyCommand({ KeyId: keys[1] }));
      await kms2.send(new EnableKeyCommand({ KeyId: keys[2] }));
      for (const [n, b] of blobs.entries()) {
        const dec = await kms2.send(new DecryptCommand({ CiphertextBlob: b.blob, EncryptionContext: b.ec }));
        assert.equal(Buffer.from(dec.Plaintext ?? []).toString(n % 2 === 0 ? 'utf8' : 'latin1'), b.text);
      }
    } finally {
      await second.stop();
    }
  } finally {
    removeDataDir(dataDir);
  }
});

const metric = async (endpoint: string, name: string): Promise<number> => {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
};

test('concurrent changes share fsyncs (group commit) and every one acknowledged survives kill -9', async (t) => {
  const dataDir = newDataDir();
  try {
    const first = await startCoffer({ dataDir });
    const kms = first.client();
    const n = 48;
    // Each client creates a key, names it and encrypts under it by its alias, all at once: the
    // changes commit one after another under the state-change lock and share syncs.
    const made = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const arn = (await kms.send(new CreateKeyCommand({ Description: `group ${i}` }))).KeyMetadata?.Arn as string;
      await kms.send(new CreateAliasCommand({ AliasName: `alias/group-${i}`, TargetKeyId: arn }));
      const blob = (await kms.send(new EncryptCommand({ KeyId: `alias/group-${i}`, Plaintext: Buffer.from(`secret ${i}`) }))).CiphertextBlob as Uint8Array;
      return { arn, blob };
    }));
    const commits = await metric(first.endpoint, 'coffer_group_commits_total');
    const syncs = await metric(first.endpoint, 'coffer_group_syncs_total');
    t.diagnostic(`${commits} changes, ${syncs} syncs`);
    assert.ok(commits >= 2 * n, `every change was group-committed (${commits})`);
    assert.ok(syncs >= 1 && syncs < commits, `changes shared syncs: ${syncs} syncs for ${commits} changes`);
    await first.kill9();

    const second = await startCoffer({ dataDir });
    try {
      const kms2 = second.client();
      for (const [i, m] of made.entries()) {
        assert.equal((await kms2.send(new DescribeKeyCommand({ KeyId: `alias/group-${i}` }))).KeyMetadata?.Arn, m.arn);
        const dec = await kms2.send(new DecryptCommand({ CiphertextBlob: m.blob }));
        assert.equal(Buffer.from(dec.Plaintext ?? []).toString('utf8'), `secret ${i}`);
      }
    } finally {
      await second.stop();
    }
  } finally {
    removeDataDir(dataDir);
  }
});
