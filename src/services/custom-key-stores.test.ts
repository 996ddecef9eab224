/**
 * AWS_CLOUDHSM custom key stores in process: the six operations, the connect job, keys whose
 * material lives in a (fake, memory-module) cluster's token, Unavailable keys, and a second
 * process sharing the storage that opens its own sessions and drops them on a change notice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryStorage, type MemoryAdapters } from '../adapters/storage/memory.ts';
import { newDomainKeys, openSoftwareKeyStore } from '../adapters/keystore/software.ts';
import { Keyring } from './keyring.ts';
import { KeySession, newUnitOfWork } from './key-session.ts';
import { notifyingStorage } from './committer.ts';
import { CustomKeyStores, CustomKeyStoreSession } from './custom-key-stores.ts';
import { routeTokenMaterial } from './token-key-store.ts';
import { topicsOf } from './coherence.ts';
import { runDueWork } from './lifecycle.ts';
import { UsageTracker } from './usage.ts';
import { Mutex } from '../core/mutex.ts';
import type { Logger } from '../core/log.ts';
import { KMS_OPERATIONS } from '../operations/registry.ts';
import type { OperationContext } from '../operations/context.ts';
import type { Storage } from '../ports/storage.ts';
import type { ClusterView } from '../domain/custom-key-store.ts';
import { decodeBlob } from '../crypto/blob.ts';
import { fakeCluster, type FakeCluster } from '../../test/support/fake-cluster-keys.ts';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const PASSWORD = 'kmsuser-password';
/** Self-signed P-256 certificates made with openssl req -x509 (the cluster's trust anchor, and another). */
const ANCHOR = '-----BEGIN CERTIFICATE-----\nMIIBezCCASGgAwIBAgIUJWlr8GZkXTlzshDnTVtZ+4Aip74wCgYIKoZIzj0EAwIw\nEzERMA8GA1UEAwwIYW5jaG9yLWEwHhcNMjYxMjA3MTMwNjM3WhcNMzYxMjA0MTMw\nNjM3WjATMREwDwYDVQQDDAhhbmNob3ItYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\nA0IABBX9ExQc70j3/wsRQ97Lt8WPCM2/I4hbVKlPJWQ4vcAi84lf3BjWYoTHVOtN\nk9Ra0Cmp8A6b/vQwz6aFbFGzUfSjUzBRMB0GA1UdDgQWBBSUKhD8DmdZc0epIGgJ\n/EfLfZdjmjAfBgNVHSMEGDAWgBSUKhD8DmdZc0epIGgJ/EfLfZdjmjAPBgNVHRMB\nAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIF18aqxZdNBe1vYZ6lZWk1UVSyZa\nqUj+9gtDNDLgh1hSAiEA0FDPHxg7F0y1dm3DlxM32HeRugABwz23WoPrTPk9pq8=\n-----END CERTIFICATE-----\n';
const OTHER_ANCHOR = '-----BEGIN CERTIFICATE-----\nMIIBezCCASGgAwIBAgIUPtOtlK1b9IdH28Gch90rc8VH/JcwCgYIKoZIzj0EAwIw\nEzERMA8GA1UEAwwIYW5jaG9yLWIwHhcNMjYxMjA3MTMwNjM3WhcNMzYxMjA0MTMw\nNjM3WjATMREwDwYDVQQDDAhhbmNob3ItYjBZMBMGByqGSM49AgEGCCqGSM49AwEH\nA0IABHdwhVK+LWZDyTG7WRDmdNuunmPPR7PNWe1qwt9YBnMsdTQ0RfmWmA73mFtE\ncxtkWfQwcpJYD2crF5Ly3h6FBXqjUzBRMB0GA1UdDgQWBBSd7ucrYjCMwPJ0541c\nG5TR7HEOADAfBgNVHSMEGDAWgBSd7ucrYjCMwPJ0541cG5TR7HEOADAPBgNVHRMB\nAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIDGS+IECM11Yu3UCboX4qk8Ctp+7\npkk+sk10aDnxUhD1AiEA8jTmdXmv/LZ6ZsAZZRkYIeMVJ7rM2tGAgOKXqZOpjlY=\n-----END CERTIFICATE-----\n';
const VIEW: ClusterView = {
  id: 'cluster-abcdefghijk', state: 'ACTIVE', trustAnchorPem: ANCHOR, lineageId: 'lineage-1',
  subnetAzs: ['us-east-1a', 'us-east-1b'], activeHsms: [{ hsmId: 'hsm-aaaaaaaaaaa', az: 'us-east-1a' }, { hsmId: 'hsm-bbbbbbbbbbb', az: 'us-east-1b' }],
};
const quiet = (): void => undefined;
const log: Logger = { debug: quiet, info: quiet, warn: quiet, error: quiet };

/** One Coffer process on shared (memory) storage. */
function process_(stored: MemoryAdapters, cluster: FakeCluster, store: ReturnType<typeof openSoftwareKeyStore>) {
  const clock = { now: () => Date.now() };
  const holder: { stores?: CustomKeyStores } = {};
  const sessionsOf = (id: string) => (holder.stores as CustomKeyStores).sessionsFor(id);
  const keyring = new Keyring(stored.keys, routeTokenMaterial(store, sessionsOf), clock);
  const storage: Storage = notifyingStorage(stored.storage, [(c) => keyring.applyCommitted(c), (c) => holder.stores?.applyCommitted(c)]);
  const stores = new CustomKeyStores({
    repo: stored.customKeyStores, clusters: cluster, secrets: store.secrets, lock: new Mutex(), log,
    commit: async (changes) => { await storage.commit({ changes }); },
  });
  holder.stores = stores;
  keyring.shownState = (k) => stores.stateOf(k);
  const usage = new UsageTracker(stored.keys, storage);
  let kicks = 0;
  const call = async (name: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const uow = newUnitOfWork();
    const ctx: OperationContext = {
      requestId: 'r-1', caller: { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accessKeyId: 'AKIA', type: 'Root', userId: ACCOUNT } as OperationContext['caller'],
      scope: { partition: 'aws', region: REGION, accountId: ACCOUNT }, regions: { home: REGION, only: [REGION] }, keyring: new KeySession(keyring, uow),
      customKeyStores: new CustomKeyStoreSession(stores, uow.changes, () => { kicks++; }),
      clock, usage, request: { sourceIp: '127.0.0.1', userAgent: 't', secureTransport: false },
      authorizeKey: async () => ({ via: 'key-policy' }), checkLockout: async () => undefined, authorizeAccount: async () => undefined,
      awsManagedKey: async () => { throw new Error('no AWS managed keys here'); },
    };
    const op = KMS_OPERATIONS.get(name);
    if (op === undefined) throw new Error(`no ${name}`);
    const prepared = op.prepare ? await op.prepare(input, ctx) : undefined;
    const out = await op.run(input, ctx, prepared);
    if (uow.changes.length > 0) await storage.commit({ changes: uow.changes });
    return (out ?? {}) as Record<string, unknown>;
  };
  return { keyring, stores, storage, call, kicks: () => kicks };
}

async function setUp() {
  const stored = openMemoryStorage();
  const store = openSoftwareKeyStore(newDomainKeys());
  const cluster = await fakeCluster(VIEW, PASSWORD);
  return { stored, store, cluster, a: process_(stored, cluster, store), b: process_(stored, cluster, store) };
}

const rejectsWith = async (p: Promise<unknown>, name: string): Promise<void> => {
  await assert.rejects(p, (e: unknown) => (e as { name?: string }).name === name || (e as { constructor: { name: string } }).constructor.name === name || assert.fail(`expected ${name}, got ${String(e)}`));
};

const describeStore = async (p: ReturnType<typeof process_>, id: string) =>
  ((await p.call('DescribeCustomKeyStores', { CustomKeyStoreId: id })).CustomKeyStores as Record<string, unknown>[])[0] as Record<string, unknown>;

test('create checks the cluster in AWS order; describe pages; connect goes CONNECTING then CONNECTED by the job', async () => {
  const { a, cluster } = await setUp();
  await rejectsWith(a.call('CreateCustomKeyStore', { CustomKeyStoreName: 'x', CloudHsmClusterId: 'cluster-zzzzzzzzzzz', TrustAnchorCertificate: ANCHOR, KeyStorePassword: PASSWORD }), 'CloudHsmClusterNotFoundException');
  await rejectsWith(a.call('CreateCustomKeyStore', { CustomKeyStoreName: 'x', CloudHsmClusterId: VIEW.id, TrustAnchorCertificate: OTHER_ANCHOR, KeyStorePassword: PASSWORD }), 'IncorrectTrustAnchorException');
  await rejectsWith(a.call('CreateCustomKeyStore', { CustomKeyStoreName: 'x', CustomKeyStoreType: 'EXTERNAL_KEY_STORE' }), 'UnsupportedOperationException');
  const { CustomKeyStoreId: id } = await a.call('CreateCustomKeyStore', { CustomKeyStoreName: 'one', CloudHsmClusterId: VIEW.id, TrustAnchorCertificate: ANCHOR, KeyStorePassword: PASSWORD }) as { CustomKeyStoreId: string };
  assert.match(id, /^cks-[0-9a-f]{17}$/);
  await rejectsWith(a.call('CreateCustomKeyStore', { CustomKeyStoreName: 'one', CloudHsmClusterId: VIEW.id, TrustAnchorCertificate: ANCHOR, KeyStorePassword: PASSWORD }), 'CustomKeyStoreNameInUseException');
  await rejectsWith(a.call('CreateCustomKeyStore', { CustomKeyStoreName: 'two', CloudHsmClusterId: VIEW.id, TrustAnchorCertificate: ANCHOR, KeyStorePassword: PASSWORD }), 'CloudHsmClusterInUseException');
  const stored = await a.stores.repo.getCustomKeyStore(id);
  assert.equal(stored?.sealedPassword.wrapped.includes(Buffer.from(PASSWORD)), false, 'the password is stored sealed');
  const entry = await describeStore(a, id);
  assert.equal(entry.ConnectionState, 'DISCONNECTED');
  assert.equal(entry.ConnectionErrorCode, undefined);
  assert.equal(entry.CloudHsmClusterId, VIEW.id);
  assert.equal(entry.CustomKeyStoreType, 'AWS_CLOUDHSM');
  await rejectsWith(a.call('DescribeCustomKeyStores', { CustomKeyStoreName: 'nope' }), 'CustomKeyStoreNotFoundException');
  await rejectsWith(a.call('DescribeCustomKeyStores', { Marker: 'garbage' }), 'InvalidMarkerException');

  assert.deepEqual(await a.call('ConnectCustomKeyStore', { CustomKeyStoreId: id }), {});
  assert.equal(a.kicks(), 1);
  assert.equal((await describeStore(a, id)).ConnectionState, 'CONNECTING');
  assert.equal(await a.stores.run(), 1);
  assert.equal((await describeStore(a, id)).ConnectionState, 'CONNECTED');
  assert.equal(cluster.open.size, 1);
  assert.deepEqual(await a.call('ConnectCustomKeyStore', { CustomKeyStoreId: id }), {}, 'connecting a connected store does nothing');
  await rejectsWith(a.call('UpdateCustomKeyStore', { CustomKeyStoreId: id, KeyStorePassword: 'another-one' }), 'CustomKeyStoreInvalidStateException');
  await a.call('UpdateCustomKeyStore', { CustomKeyStoreId: id, NewCustomKeyStoreName: 'renamed' });
  assert.equal((await describeStore(a, id)).CustomKeyStoreName, 'renamed');
  await rejectsWith(a.call('DeleteCustomKeyStore', { CustomKeyStoreId: id }), 'CustomKeyStoreInvalidStateException');
});

test('closeCluster (an HSM of the cluster being deleted) closes the sessions of the stores on that cluster only; they reopen when used', async () => {
  const { a, cluster } = await setUp();
  const { CustomKeyStoreId: id } = await a.call('CreateCustomKeyStore', { CustomKeyStoreName: 'one', CloudHsmClusterId: VIEW.id, TrustAnchorCertificate: ANCHOR, KeyStorePassword: PASSWORD }) as { CustomKeyStoreId: string };
  await a.call('ConnectCustomKeyStore', { CustomKeyStoreId: id });
  await a.stores.run();
  assert.equal(cluster.open.size, 1);
  await a.stores.closeCluster('cluster-zzzzzzzzzzz');
  assert.equal(cluster.open.size, 1, 'another cluster\'s deletion leaves them');
  await a.stores.closeCluster(VIEW.id);
  assert.equal(cluster.open.size, 0);
  assert.equal((await describeStore(a, id)).ConnectionState, 'CONNECTED', 'the store stays connected');
  await a.stores.sessionsFor(id);
  assert.equal(cluster.open.size, 1);
});

test('keys in the store: material in the token, token blobs, data keys, ReEncrypt both ways; Unavailable when disconnected; a second process', async () => {
  const { a, b, cluster } = await setUp();
  const { CustomKeyStoreId: id } = await a.call('CreateCustomKeyStore', { CustomKeyStoreName: 's', CloudHsmClusterId: VIEW.id, TrustAnchorCertificate: ANCHOR, KeyStorePassword: PASSWORD }) as { CustomKeyStoreId: string };
  await rejectsWith(a.call('CreateKey', { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }), 'CustomKeyStoreInvalidStateException');
  await a.call('ConnectCustomKeyStore', { CustomKeyStoreId: id });
  await a.stores.run();
  await rejectsWith(a.call('CreateKey', { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id, KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }), 'UnsupportedOperationException');
  await rejectsWith(a.call('CreateKey', { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id, MultiRegion: true }), 'UnsupportedOperationException');
  await rejectsWith(a.call('CreateKey', { Origin: 'AWS_CLOUDHSM' }), 'ValidationException');
  await rejectsWith(a.call('CreateKey', { CustomKeyStoreId: id }), 'ValidationException');
  await rejectsWith(a.call('CreateKey', { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: 'cks-00000000000000000' }), 'CustomKeyStoreNotFoundException');
  cluster.cluster = { ...VIEW, activeHsms: [VIEW.activeHsms[0] as ClusterView['activeHsms'][number]] };
  await rejectsWith(a.call('CreateKey', { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id }), 'CloudHsmClusterInvalidConfigurationException');
  cluster.cluster = VIEW;

  const meta = (await a.call('CreateKey', { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: id })).KeyMetadata as Record<string, unknown>;
  assert.equal(meta.Origin, 'AWS_CLOUDHSM');
  assert.equal(meta.CustomKeyStoreId, id);
  assert.equal(meta.CloudHsmClusterId, VIEW.id);
  assert.equal(meta.KeyState, 'Enabled');
  const arn = meta.Arn as string;
  // The key is an object in kmsuser's partition, labelled with the key ARN.
  const token = await cluster.module.openSession(cluster.serials[0] as string, PASSWORD);
  assert.deepEqual((await token.list()).map((o) => o.label), [arn]);
  await token.close();

  const plaintext = Buffer.from('bytes of a file\n\x00\xff');
  const ec = { purpose: 'test' };
  const { CiphertextBlob: blob } = await a.call('Encrypt', { KeyId: arn, Plaintext: plaintext, EncryptionContext: ec }) as { CiphertextBlob: Buffer };
  assert.equal(blob[0], 2, 'a token ciphertext is a version-2 blob');
  assert.equal(decodeBlob(blob).ciphertext.length, plaintext.length);
  assert.deepEqual((await a.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: ec })).Plaintext, plaintext);
  await rejectsWith(a.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { purpose: 'other' } }), 'InvalidCiphertextException');
  const tampered = Buffer.from(blob);
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
  await rejectsWith(a.call('Decrypt', { CiphertextBlob: tampered, EncryptionContext: ec }), 'InvalidCiphertextException');
  // The same bytes as a software (version 1) blob do not open: the blob says which path made it.
  const asV1 = Buffer.from(blob);
  asV1[0] = 1;
  await rejectsWith(a.call('Decrypt', { CiphertextBlob: asV1, EncryptionContext: ec }), 'InvalidCiphertextException');

  const dk = await a.call('GenerateDataKey', { KeyId: arn, KeySpec: 'AES_256' }) as { Plaintext: Buffer; CiphertextBlob: Buffer };
  assert.equal(dk.Plaintext.length, 32);
  assert.deepEqual((await a.call('Decrypt', { CiphertextBlob: dk.CiphertextBlob })).Plaintext, dk.Plaintext);
  const rnd = await a.call('GenerateRandom', { NumberOfBytes: 16, CustomKeyStoreId: id }) as { Plaintext: Buffer };
  assert.equal(rnd.Plaintext.length, 16);

  const software = ((await a.call('CreateKey', {})).KeyMetadata as { Arn: string }).Arn;
  const toSoftware = await a.call('ReEncrypt', { CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: software }) as { CiphertextBlob: Buffer; SourceKeyId: string };
  assert.equal(toSoftware.SourceKeyId, arn);
  assert.equal(toSoftware.CiphertextBlob[0], 1);
  const back = await a.call('ReEncrypt', { CiphertextBlob: toSoftware.CiphertextBlob, DestinationKeyId: arn, DestinationEncryptionContext: ec }) as { CiphertextBlob: Buffer };
  assert.equal(back.CiphertextBlob[0], 2);
  assert.deepEqual((await a.call('Decrypt', { CiphertextBlob: back.CiphertextBlob, EncryptionContext: ec })).Plaintext, plaintext);

  // Another process on the same storage opens its own sessions, lazily, with the sealed password.
  const connectsBefore = cluster.connects;
  assert.deepEqual((await b.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: ec })).Plaintext, plaintext);
  assert.equal(cluster.connects, connectsBefore + 1);
  assert.equal(cluster.open.size, 2);

  await rejectsWith(a.call('EnableKeyRotation', { KeyId: arn }), 'UnsupportedOperationException');
  await rejectsWith(a.call('GetParametersForImport', { KeyId: arn, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }), 'UnsupportedOperationException');

  // Disconnect: Unavailable (never stored), crypto refused; the other process drops its sessions on the notice.
  await a.call('DisconnectCustomKeyStore', { CustomKeyStoreId: id });
  await rejectsWith(a.call('DisconnectCustomKeyStore', { CustomKeyStoreId: id }), 'CustomKeyStoreInvalidStateException');
  assert.equal(await a.stores.run(), 1);
  assert.equal((await describeStore(a, id)).ConnectionState, 'DISCONNECTED');
  const changed = topicsOf([{ kind: 'putCustomKeyStore', store: await a.stores.repo.getCustomKeyStore(id) as never }]);
  assert.deepEqual(changed, [`custom-key-store:${id}`]);
  b.stores.invalidate(changed);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(cluster.open.size, 0, 'every process closed its sessions');
  assert.equal(((await a.call('DescribeKey', { KeyId: arn })).KeyMetadata as Record<string, unknown>).KeyState, 'Unavailable');
  assert.equal(((await b.call('DescribeKey', { KeyId: arn })).KeyMetadata as Record<string, unknown>).KeyState, 'Unavailable');
  assert.equal((await a.stores.repo.getCustomKeyStore(id))?.state, 'DISCONNECTED');
  assert.equal((await a.keyring.repo.getKey(arn))?.state, 'Enabled', 'Unavailable is never stored');
  await rejectsWith(a.call('Encrypt', { KeyId: arn, Plaintext: plaintext }), 'KMSInvalidStateException');
  await rejectsWith(b.call('Decrypt', { CiphertextBlob: blob, EncryptionContext: ec }), 'KMSInvalidStateException');
  await rejectsWith(a.call('GenerateRandom', { NumberOfBytes: 16, CustomKeyStoreId: id }), 'CustomKeyStoreInvalidStateException');
  await rejectsWith(a.call('DeleteCustomKeyStore', { CustomKeyStoreId: id }), 'CustomKeyStoreHasCMKsException');

  // Deletion: PendingDeletion still blocks the store's deletion; when it runs, the token object goes.
  await a.call('ScheduleKeyDeletion', { KeyId: arn, PendingWindowInDays: 7 });
  assert.equal(((await a.call('DescribeKey', { KeyId: arn })).KeyMetadata as Record<string, unknown>).KeyState, 'PendingDeletion');
  await rejectsWith(a.call('DeleteCustomKeyStore', { CustomKeyStoreId: id }), 'CustomKeyStoreHasCMKsException');
  await a.call('ConnectCustomKeyStore', { CustomKeyStoreId: id });
  await a.stores.run();
  const key = await a.keyring.repo.getKey(arn);
  const uow = newUnitOfWork();
  const later = new Keyring(a.keyring.repo, a.keyring.store, { now: () => (key?.deletionDate ?? 0) + 1 });
  const pass = await runDueWork(new KeySession(later, uow));
  assert.equal(pass.deleted, 1);
  assert.deepEqual(pass.tokenKeys.map((t) => t.customKeyStoreId), [id]);
  await a.storage.commit({ changes: uow.changes });
  await a.stores.destroyTokenKeys(pass.tokenKeys);
  const after = await cluster.module.openSession(cluster.serials[0] as string, PASSWORD);
  assert.deepEqual(await after.list(), []);
  await after.close();
  await a.call('DisconnectCustomKeyStore', { CustomKeyStoreId: id });
  await a.stores.run();
  await a.call('DeleteCustomKeyStore', { CustomKeyStoreId: id });
  await rejectsWith(a.call('DescribeCustomKeyStores', { CustomKeyStoreId: id }), 'CustomKeyStoreNotFoundException');
});

test('a wrong password: FAILED with INVALID_CREDENTIALS, code shown only while FAILED; recovery: disconnect, update the password, connect', async () => {
  const { a } = await setUp();
  const { CustomKeyStoreId: id } = await a.call('CreateCustomKeyStore', { CustomKeyStoreName: 's', CloudHsmClusterId: VIEW.id, TrustAnchorCertificate: ANCHOR, KeyStorePassword: 'wrong-password' }) as { CustomKeyStoreId: string };
  await a.call('ConnectCustomKeyStore', { CustomKeyStoreId: id });
  await a.stores.run();
  const failed = await describeStore(a, id);
  assert.equal(failed.ConnectionState, 'FAILED');
  assert.equal(failed.ConnectionErrorCode, 'INVALID_CREDENTIALS');
  await rejectsWith(a.call('ConnectCustomKeyStore', { CustomKeyStoreId: id }), 'CustomKeyStoreInvalidStateException');
  await a.call('DisconnectCustomKeyStore', { CustomKeyStoreId: id });
  await a.stores.run();
  const disconnected = await describeStore(a, id);
  assert.equal(disconnected.ConnectionState, 'DISCONNECTED');
  assert.equal(disconnected.ConnectionErrorCode, undefined);
  await a.call('UpdateCustomKeyStore', { CustomKeyStoreId: id, KeyStorePassword: PASSWORD });
  await a.call('ConnectCustomKeyStore', { CustomKeyStoreId: id });
  await a.stores.run();
  assert.equal((await describeStore(a, id)).ConnectionState, 'CONNECTED');
});

test('describe pages with Limit and Marker in id order', async () => {
  const { stored, store, a } = await setUp();
  const views = ['cluster-bbbbbbbbbbb', 'cluster-ccccccccccc', 'cluster-ddddddddddd'];
  for (const [i, clusterId] of views.entries()) {
    const c = await fakeCluster({ ...VIEW, id: clusterId, lineageId: `l-${i}` }, PASSWORD);
    await process_(stored, c, store).call('CreateCustomKeyStore', { CustomKeyStoreName: `s${i}`, CloudHsmClusterId: clusterId, TrustAnchorCertificate: ANCHOR, KeyStorePassword: PASSWORD });
  }
  const first = await a.call('DescribeCustomKeyStores', { Limit: 2 }) as { CustomKeyStores: { CustomKeyStoreId: string }[]; Truncated: boolean; NextMarker: string };
  assert.equal(first.CustomKeyStores.length, 2);
  assert.equal(first.Truncated, true);
  const rest = await a.call('DescribeCustomKeyStores', { Limit: 2, Marker: first.NextMarker }) as { CustomKeyStores: { CustomKeyStoreId: string }[]; Truncated: boolean };
  assert.equal(rest.CustomKeyStores.length, 1);
  assert.equal(rest.Truncated, false);
  const ids = [...first.CustomKeyStores, ...rest.CustomKeyStores].map((s) => s.CustomKeyStoreId);
  assert.deepEqual(ids, [...ids].sort());
});

test('the kmsuser password never reaches an audit record: CreateCustomKeyStore and UpdateCustomKeyStore requests are redacted', async () => {
  const { redact } = await import('../audit/redact.ts');
  const { getShape } = await import('../wire/model.ts');
  const created = redact(getShape, 'CreateCustomKeyStoreRequest', { CustomKeyStoreName: 'n', CloudHsmClusterId: VIEW.id, TrustAnchorCertificate: ANCHOR, KeyStorePassword: PASSWORD }, false);
  assert.equal(created?.customKeyStoreName, 'n');
  assert.equal(created?.keyStorePassword, undefined);
  assert.equal(JSON.stringify(created).includes(PASSWORD), false);
  const updated = redact(getShape, 'UpdateCustomKeyStoreRequest', { CustomKeyStoreId: 'cks-00000000000000000', KeyStorePassword: PASSWORD }, false);
  assert.equal(JSON.stringify(updated).includes(PASSWORD), false);
});
