/**
 * AWS_CLOUDHSM custom key stores end to end (design/hsm-tier.md §4.1), on SoftHSM2: a real Coffer
 * process whose HSMs are SoftHSM tokens (SOFTHSM2_CONF, COFFER_PKCS11_MODULE). The cluster is made
 * as a CloudHSM user would (CloudHSMv2 create-cluster, two HSMs, initialize-cluster with an
 * OpenSSL-signed certificate, `coffer hsm cluster activate`, `coffer hsm user create kmsuser`);
 * the store is driven by the real `aws kms` CLI and the key by @aws-sdk/client-kms and the
 * Encryption SDK.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudHSMV2Client, CreateHsmCommand, DeleteHsmCommand, type Cluster } from '@aws-sdk/client-cloudhsm-v2';
import {
  CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand, GenerateRandomCommand, ReEncryptCommand,
  ScheduleKeyDeletionCommand, type KMSClient,
} from '@aws-sdk/client-kms';
import { REGION, bytes, rejectsWith, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { esdkRoundTrip } from './esdk.ts';
import {
  ADMIN, KMSUSER_PASSWORD, activateWithKmsUser, cofferHsm, createCluster, createTwoHsms, describeCluster as describeClusterOf, hsmsReady,
  initializeCluster, signClusterCsr, softhsmServerEnv, until,
} from './hsm-cluster.ts';
import { pkcs11Tokens, pkcs11Tool, softhsmSkip, softhsmTokenDir, softhsmTokenFolder } from '../support/softhsm.ts';

const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const skip = softhsmSkip() ?? (process.env.CI !== 'true' && !hasAws ? 'the aws CLI is not installed (pip install awscli)' : undefined)
  ?? (process.env.CI !== 'true' && !hasOpenssl ? 'openssl is not installed' : undefined);

let coffer: Coffer;
let hsm: CloudHSMV2Client;
let kms: KMSClient;

before(async () => {
  if (skip !== undefined) return;
  coffer = await startCoffer({ env: softhsmServerEnv() });
  hsm = new CloudHSMV2Client({ endpoint: coffer.endpoint, region: REGION, credentials: coffer.credentials, maxAttempts: 1 });
  kms = coffer.client();
});
after(async () => {
  if (skip !== undefined) return;
  hsm.destroy();
  kms.destroy();
  await coffer.stop();
  removeDataDir(coffer.dataDir);
});

const awsEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '',
  AWS_ACCESS_KEY_ID: coffer.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: coffer.credentials.secretAccessKey,
  AWS_DEFAULT_REGION: REGION, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', AWS_MAX_ATTEMPTS: '1',
});

function aws(args: string[]): string {
  return execFileSync('aws', [...args, '--endpoint-url', coffer.endpoint, '--output', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: awsEnv() }).trim();
}
const awsJson = <T>(args: string[]): T => JSON.parse(aws(args) || '{}') as T;
function awsFails(args: string[]): string {
  try {
    aws(args);
  } catch (e) {
    return String((e as { stderr?: unknown }).stderr);
  }
  assert.fail(`aws ${args.join(' ')} succeeded`);
}

const describeCluster = (id: string): Promise<Cluster> => describeClusterOf(hsm, id);

/** An ACTIVE cluster with two HSMs in two zones and a kmsuser; answers its id and trust anchor file. */
async function clusterWithKmsUser(): Promise<{ clusterId: string; anchorFile: string; otherAnchorFile: string }> {
  const id = await createCluster(hsm);
  await createTwoHsms(hsm, id);
  const active = await until(() => describeCluster(id), hsmsReady, 'HSMs ACTIVE');
  const signed = signClusterCsr(coffer.dataDir, id, active.Certificates?.ClusterCsr ?? '');
  await initializeCluster(hsm, id, signed);
  await until(() => describeCluster(id), (c) => c.State === 'INITIALIZED', 'INITIALIZED');
  activateWithKmsUser(coffer, id);
  return { clusterId: id, anchorFile: signed.anchorFile, otherAnchorFile: signed.otherAnchorFile };
}

interface StoreEntry { CustomKeyStoreId: string; ConnectionState: string; ConnectionErrorCode?: string; CloudHsmClusterId: string; CustomKeyStoreType: string }
const describeStore = (id: string): StoreEntry =>
  (awsJson<{ CustomKeyStores: StoreEntry[] }>(['kms', 'describe-custom-key-stores', '--custom-key-store-id', id]).CustomKeyStores[0] as StoreEntry);
const untilState = (id: string, state: string): Promise<StoreEntry> => until(async () => describeStore(id), (s) => s.ConnectionState === state, `store ${state}`);

test('AWS_CLOUDHSM custom key store on SoftHSM: create, connect, a key whose crypto runs in the tokens, disconnect → Unavailable, wrong password → FAILED', { skip, timeout: 300_000 }, async () => {
  const { clusterId, anchorFile, otherAnchorFile } = await clusterWithKmsUser();
  const create = (name: string, anchor: string, password: string): string[] => ['kms', 'create-custom-key-store', '--custom-key-store-name', name,
    '--cloud-hsm-cluster-id', clusterId, '--trust-anchor-certificate', `file://${anchor}`, '--key-store-password', password];

  assert.match(awsFails(create('wrong-anchor', otherAnchorFile, KMSUSER_PASSWORD)), /IncorrectTrustAnchorException/);
  const { CustomKeyStoreId: storeId } = awsJson<{ CustomKeyStoreId: string }>(create('store-1', anchorFile, KMSUSER_PASSWORD));
  assert.match(storeId, /^cks-[0-9a-f]{17}$/);
  const created = describeStore(storeId);
  assert.equal(created.ConnectionState, 'DISCONNECTED');
  assert.equal(created.CloudHsmClusterId, clusterId);
  assert.equal(created.CustomKeyStoreType, 'AWS_CLOUDHSM');
  assert.equal(created.ConnectionErrorCode, undefined);
  // The password is in no audit record and no answer.
  assert.doesNotMatch(coffer.output(), new RegExp(KMSUSER_PASSWORD));

  assert.equal(aws(['kms', 'connect-custom-key-store', '--custom-key-store-id', storeId]), '');
  await untilState(storeId, 'CONNECTED');

  const keyArn = awsJson<{ KeyMetadata: { Arn: string } }>(['kms', 'create-key', '--origin', 'AWS_CLOUDHSM', '--custom-key-store-id', storeId,
    '--description', 'in the cluster']).KeyMetadata.Arn;
  const meta = (await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata;
  assert.equal(meta?.Origin, 'AWS_CLOUDHSM');
  assert.equal(meta?.CustomKeyStoreId, storeId);
  assert.equal(meta?.CloudHsmClusterId, clusterId);
  assert.equal(meta?.KeyState, 'Enabled');
  await rejectsWith(kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId, KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })), 'UnsupportedOperationException');

  // A file's bytes through the CLI: encrypt with fileb://, decrypt without naming the key.
  const plainFile = join(coffer.dataDir, 'plain.bin');
  const secret = Buffer.from([0, 1, 2, 255, 254, 10, 13, ...Buffer.from('bytes sealed in a token')]);
  writeFileSync(plainFile, secret);
  const blob = Buffer.from(awsJson<{ CiphertextBlob: string }>(['kms', 'encrypt', '--key-id', keyArn, '--plaintext', `fileb://${plainFile}`, '--encryption-context', 'app=cks']).CiphertextBlob, 'base64');
  assert.equal(blob[0], 2, 'a token ciphertext blob');
  const cipherFile = join(coffer.dataDir, 'cipher.bin');
  writeFileSync(cipherFile, blob);
  const decrypted = awsJson<{ Plaintext: string; KeyId: string }>(['kms', 'decrypt', '--ciphertext-blob', `fileb://${cipherFile}`, '--encryption-context', 'app=cks']);
  assert.deepEqual(Buffer.from(decrypted.Plaintext, 'base64'), secret);
  assert.equal(decrypted.KeyId, keyArn);

  const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256', EncryptionContext: { k: 'v' } }));
  assert.equal(bytes(dk.Plaintext).length, 32);
  assert.deepEqual(bytes((await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { k: 'v' } }))).Plaintext), bytes(dk.Plaintext));
  assert.equal(bytes((await kms.send(new GenerateRandomCommand({ NumberOfBytes: 24, CustomKeyStoreId: storeId }))).Plaintext).length, 24);

  // ReEncrypt to a software key and back.
  const software = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
  const there = await kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { app: 'cks' }, DestinationKeyId: software }));
  assert.equal(there.SourceKeyId, keyArn);
  const back = await kms.send(new ReEncryptCommand({ CiphertextBlob: there.CiphertextBlob, DestinationKeyId: keyArn, DestinationEncryptionContext: { app: 'cks' } }));
  assert.equal(bytes(back.CiphertextBlob)[0], 2);
  assert.deepEqual(bytes((await kms.send(new DecryptCommand({ CiphertextBlob: back.CiphertextBlob, EncryptionContext: { app: 'cks' } }))).Plaintext), secret);

  // The Encryption SDK with the CloudHSM-backed key.
  const esdkFile = join(coffer.dataDir, 'esdk.bin');
  writeFileSync(esdkFile, Buffer.alloc(200_000, 'cloudhsm-backed '));
  await esdkRoundTrip(coffer, keyArn, esdkFile);

  // Disconnect: the key is Unavailable and crypto refused; the store cannot go while it has keys.
  aws(['kms', 'disconnect-custom-key-store', '--custom-key-store-id', storeId]);
  await untilState(storeId, 'DISCONNECTED');
  assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata?.KeyState, 'Unavailable');
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: secret })), 'KMSInvalidStateException');
  assert.match(awsFails(['kms', 'delete-custom-key-store', '--custom-key-store-id', storeId]), /CustomKeyStoreHasCMKsException/);
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));
  assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata?.KeyState, 'PendingDeletion');
  assert.match(awsFails(['kms', 'delete-custom-key-store', '--custom-key-store-id', storeId]), /CustomKeyStoreHasCMKsException/);

  // A wrong password: connect fails with INVALID_CREDENTIALS (the store's password is not checked at update).
  aws(['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--key-store-password', 'not-the-password']);
  aws(['kms', 'connect-custom-key-store', '--custom-key-store-id', storeId]);
  const failed = await untilState(storeId, 'FAILED');
  assert.equal(failed.ConnectionErrorCode, 'INVALID_CREDENTIALS');
  aws(['kms', 'disconnect-custom-key-store', '--custom-key-store-id', storeId]);
  await untilState(storeId, 'DISCONNECTED');
  assert.match(awsFails(['kms', 'describe-custom-key-stores', '--custom-key-store-name', 'nope']), /CustomKeyStoreNotFoundException/);
});

/** Every file under a folder, as bytes. */
const filesUnder = (dir: string): Buffer[] => readdirSync(dir).flatMap((n) => {
  const p = join(dir, n);
  return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p)];
});

test('an HSM lost: it and the cluster DEGRADED while the key still works; delete-hsm + create-hsm: ACTIVE with the key on the new token; no password or data key in the clear on disk', { skip, timeout: 300_000 }, async () => {
  const { clusterId, anchorFile } = await clusterWithKmsUser();
  const { CustomKeyStoreId: storeId } = awsJson<{ CustomKeyStoreId: string }>(['kms', 'create-custom-key-store', '--custom-key-store-name', 'store-loss',
    '--cloud-hsm-cluster-id', clusterId, '--trust-anchor-certificate', `file://${anchorFile}`, '--key-store-password', KMSUSER_PASSWORD]);
  aws(['kms', 'connect-custom-key-store', '--custom-key-store-id', storeId]);
  await untilState(storeId, 'CONNECTED');
  const keyArn = (await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }))).KeyMetadata?.Arn as string;
  const secret = Buffer.from('survives the loss of an HSM');
  const blob = (await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: secret }))).CiphertextBlob;
  const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256' }));
  const roundTrips = async (n: number) => {
    for (let i = 0; i < n; i++) {
      assert.deepEqual(bytes((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext), secret);
      const again = (await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: secret }))).CiphertextBlob;
      assert.deepEqual(bytes((await kms.send(new DecryptCommand({ CiphertextBlob: again }))).Plaintext), secret);
    }
  };

  // One HSM's token files removed: that HSM and the cluster DEGRADED; crypto goes on on the other.
  const [lost, kept] = (await describeCluster(clusterId)).Hsms ?? [];
  assert.ok(lost?.HsmId && lost.AvailabilityZone && kept?.HsmId);
  const system = pkcs11Tokens().find((t) => t.label === `coffer:${lost.HsmId}`);
  assert.ok(system, 'the lost HSM\'s system partition is a token');
  rmSync(softhsmTokenFolder(system.serial), { recursive: true, force: true });
  const degraded = await until(() => describeCluster(clusterId), (c) => c.State === 'DEGRADED' && c.Hsms?.find((h) => h.HsmId === lost.HsmId)?.State === 'DEGRADED', 'HSM and cluster DEGRADED');
  assert.equal(degraded.Hsms?.find((h) => h.HsmId === kept.HsmId)?.State, 'ACTIVE');
  await roundTrips(4);

  // Replaced: delete-hsm, create-hsm in the same zone → ACTIVE, with kmsuser's partition holding the key.
  await hsm.send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: lost.HsmId }));
  await until(() => describeCluster(clusterId), (c) => !(c.Hsms ?? []).some((h) => h.HsmId === lost.HsmId), 'lost HSM gone');
  const kmsuserBeforeNew = new Set(pkcs11Tokens().filter((t) => t.label === 'kmsuser').map((t) => t.serial));
  await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: lost.AvailabilityZone }));
  await until(() => describeCluster(clusterId), (c) => c.State === 'ACTIVE' && c.Hsms?.length === 2 && c.Hsms.every((h) => h.State === 'ACTIVE'), 'cluster ACTIVE with a new HSM');
  const fresh = (await describeCluster(clusterId)).Hsms?.find((h) => h.HsmId !== kept.HsmId)?.HsmId as string;
  const [partition] = await until(async () => pkcs11Tokens().filter((t) => t.label === 'kmsuser' && !kmsuserBeforeNew.has(t.serial)), (ts) => ts.length === 1, `kmsuser's partition on ${fresh}`);
  assert.ok(partition);
  const keyOnNewHsm = () => pkcs11Tool(['--slot', partition.slot, '--login', '--pin', KMSUSER_PASSWORD, '-O']).output;
  await until(async () => keyOnNewHsm(), (out) => out.includes(keyArn), `the key (label: its ARN) on ${fresh}'s kmsuser partition`);
  await roundTrips(4);

  // kmsuser owns the store's key: deleting it is refused (as cloudhsm-cli refuses a user who owns keys), and the key still works.
  const refused = cofferHsm(coffer, ['user', 'delete', '--cluster-id', clusterId, '--username', 'kmsuser', '--role', 'crypto-user'], ADMIN);
  assert.equal(refused.error_code, 1);
  assert.match(String(refused.data), /kmsuser owns 1 key\(s\)/);
  await roundTrips(1);

  // Nothing in the clear: the kmsuser password and a data key's plaintext appear in no file of the data folder or the tokens.
  const files = [...filesUnder(coffer.dataDir).filter((b) => !b.includes(Buffer.from('-----BEGIN CERTIFICATE-----'))), ...filesUnder(softhsmTokenDir())];
  const needles = [Buffer.from(KMSUSER_PASSWORD), bytes(dk.Plaintext), Buffer.from(bytes(dk.Plaintext).toString('base64')), Buffer.from(bytes(dk.Plaintext).toString('hex'))];
  for (const needle of needles) assert.equal(files.filter((f) => f.includes(needle)).length, 0, `no file holds ${needle.length} bytes of a secret in the clear`);
});
