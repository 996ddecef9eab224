/**
 * The request pipeline driven in process: the real wiring of main.ts (keyring, credential
 * resolver, authorizer, audit writer, notifying storage, state-change lock, the KMS and Query
 * codecs) on the in-memory storage adapters and the software key store, called with requests
 * signed by @smithy/signature-v4 as an SDK signs them, without a process, a port or a disk. What
 * the end-to-end tests check through HTTP, checked here on the stored state: a state change is
 * stored with its audit record, a denied or failing call changes nothing and is recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { Authenticator } from '../auth/authenticator.ts';
import type { Logger } from '../core/log.ts';
import { Mutex } from '../core/mutex.ts';
import { openMemoryStorage, type MemoryAdapters } from '../adapters/storage/memory.ts';
import { newDomainKeys, openSoftwareKeyStore } from '../adapters/keystore/software.ts';
import { loadOrCreateSigningKey, publicKeysOf } from '../audit/signing-key.ts';
import { verifyTrail } from '../audit/verify.ts';
import { AuditWriter } from '../audit/writer.ts';
import { Keyring } from '../services/keyring.ts';
import { Authorizer } from '../services/authorizer.ts';
import { CredentialResolver } from '../services/credentials.ts';
import { UsageTracker } from '../services/usage.ts';
import { notifyingStorage } from '../services/committer.ts';
import { CustomKeyStores } from '../services/custom-key-stores.ts';
import { KMS_OPERATIONS } from '../operations/registry.ts';
import { QUERY_OPERATIONS } from '../operations/query-registry.ts';
import { createQueryContextFactory } from '../operations/identity-authorization.ts';
import { KmsRequestContext, type KmsServices } from '../operations/kms-context.ts';
import type { Caller } from '../operations/context.ts';
import type { AuditRow } from '../ports/audit.ts';
import type { Change } from '../ports/changes.ts';
import type { Storage } from '../ports/storage.ts';
import { kmsCodec } from './kms-codec.ts';
import { AwsManagedKeys } from '../services/aws-managed-keys.ts';
import { queryCodec } from './query-codec.ts';
import { createPipeline, type Handler, type PipelineDeps } from './pipeline.ts';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const HOST = 'coffer.test';
const ROOT = { accessKeyId: 'AKIAINPROCESSROOT001', secretAccessKey: 'in-process-root-secret-0123456789abcdef' };

interface Credentials { readonly accessKeyId: string; readonly secretAccessKey: string }

/** A change no storage accepts (a material of a key that does not exist): what makes a commit fail. */
const POISON: Change = {
  kind: 'putMaterial',
  material: { keyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/none`, materialId: '0'.repeat(64), domainKeyId: 'none', wrapped: Buffer.alloc(1), createdAt: 0 },
};

interface InProcess {
  readonly stored: MemoryAdapters;
  readonly audit: AuditWriter;
  /** Messages of the errors the pipeline logged as unexpected. */
  readonly unexpected: string[];
  kms(operation: string, input: object, credentials?: Credentials): Promise<{ status: number; body: Record<string, unknown> }>;
  query(params: Readonly<Record<string, string>>, credentials?: Credentials): Promise<{ status: number; body: string }>;
  /** While set, every commit of a change set fails (its changes with a poison one appended). */
  failCommits(on: boolean): void;
  close(): Promise<void>;
}

async function startInProcess(): Promise<InProcess> {
  const clock = { now: () => Date.now() };
  const stored = openMemoryStorage();
  const store = openSoftwareKeyStore(newDomainKeys());
  const signer = await loadOrCreateSigningKey(stored.audit, store, clock.now());
  const keyring = new Keyring(stored.keys, store, clock);
  const credentials = new CredentialResolver(stored.identities, { accountId: ACCOUNT, ...ROOT });
  let poisoned = false;
  const failing: Storage = {
    commit: (work, options) => stored.storage.commit(poisoned && work.changes.length > 0 ? { ...work, changes: [...work.changes, POISON] } : work, options),
    sync: () => stored.storage.sync(),
  };
  const storage = notifyingStorage(failing, [(c) => keyring.applyCommitted(c), (c) => credentials.applyCommitted(c)]);
  await storage.commit({ changes: [{ kind: 'addAccount', account: { accountId: ACCOUNT, createDate: clock.now() } }] });
  const unexpected: string[] = [];
  const audit = await AuditWriter.open({
    store: stored.audit, storage, signer, clock, defaultAccountId: ACCOUNT, flushMs: 60_000, digestEveryRecords: 10_000,
    digestIntervalMs: 60_000, retentionDays: 0, onError: (what, e) => unexpected.push(`${what}: ${e instanceof Error ? e.message : String(e)}`),
  });
  const quiet = (): void => undefined;
  const log: Logger = { debug: quiet, info: quiet, warn: quiet, error: (msg) => { unexpected.push(msg); } };
  const verifier = new Authenticator<Caller>({
    service: (s) => s === 'kms' || s === 'iam' || s === 'sts',
    isRegionAllowed: (r) => r === REGION,
    now: () => Date.now(),
    resolve: (akid) => credentials.resolveAccessKey(akid),
    domainNow: () => clock.now(),
  });
  const authorizer = new Authorizer(keyring, credentials, clock);
  const customKeyStores = new CustomKeyStores({
    repo: stored.customKeyStores, clusters: undefined, secrets: store.secrets, lock: new Mutex(), log, commit: async (changes) => { await storage.commit({ changes }); },
  });
  const stateLock = new Mutex();
  const services: KmsServices = { regions: { home: REGION, only: [REGION] }, keyring, clock, usage: new UsageTracker(stored.keys, storage), authorizer, customKeyStores, kick: () => undefined,
    awsManagedKeys: new AwsManagedKeys({ keyring, lock: stateLock, audit, clock }) };
  const deps: PipelineDeps = { verifier, audit, lock: stateLock, log, region: REGION };
  const kmsHandler = createPipeline(deps, kmsCodec(KMS_OPERATIONS,
    (caller, region, requestId, request, resources, uow) => new KmsRequestContext(services, caller, region, requestId, request, resources, uow)));
  const queryHandler = createPipeline(deps, queryCodec(QUERY_OPERATIONS, createQueryContextFactory({ identities: stored.identities, credentials, clock })));

  /** Signs as an SDK does and hands the request to `handler` as http.ts would (header names in lower case). */
  const send = async (handler: Handler, service: string, headers: Record<string, string>, body: string, creds: Credentials) => {
    const sig = new SignatureV4({ credentials: creds, region: REGION, service, sha256: Sha256 });
    const signed = await sig.sign({ method: 'POST', protocol: 'http:', hostname: HOST, path: '/', headers: { host: HOST, ...headers }, body });
    const lower = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
    return handler({ method: 'POST', path: '/', query: '', headers: { ...lower, 'user-agent': 'in-process-test' }, sourceIp: '127.0.0.1', secureTransport: false }, Buffer.from(body), randomUUID());
  };

  return {
    stored, audit, unexpected,
    async kms(operation, input, creds = ROOT) {
      const a = await send(kmsHandler, 'kms', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` }, JSON.stringify(input), creds);
      return { status: a.status, body: JSON.parse(a.body) as Record<string, unknown> };
    },
    async query(params, creds = ROOT) {
      const body = new URLSearchParams({ Version: '2010-05-08', ...params }).toString();
      const a = await send(queryHandler, 'iam', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body, creds);
      return { status: a.status, body: a.body };
    },
    failCommits(on) { poisoned = on; },
    async close() {
      await audit.close();
      store.close();
    },
  };
}

/** Every stored record, oldest first, as CloudTrail JSON with its row. */
async function records(c: InProcess): Promise<{ row: AuditRow; json: Record<string, unknown> }[]> {
  return (await c.stored.audit.scan(0, 10_000)).map((row) => ({ row, json: JSON.parse(row.record) as Record<string, unknown> }));
}

const xmlValue = (xml: string, element: string): string | undefined => new RegExp(`<${element}>([^<]*)</${element}>`).exec(xml)?.[1];

/** Runs `body` on a fresh in-process Coffer, closed after (and its audit trail verified then). */
function inProcess(name: string, body: (c: InProcess) => Promise<void>): void {
  test(name, async () => {
    const c = await startInProcess();
    try {
      await body(c);
    } finally {
      await c.close();
    }
    const report = verifyTrail({
      rows: await c.stored.audit.scan(0, 10_000), digests: await c.stored.audit.digests(), anchor: await c.stored.audit.anchor(),
      publicKeys: await publicKeysOf(c.stored.audit),
    });
    assert.equal(report.ok, true, report.problem?.message);
    assert.equal(report.uncovered, 0, 'the close signed a digest of every record');
    assert.deepEqual(c.unexpected.filter((m) => !m.startsWith('unexpected error')), [], 'no audit error');
  });
}

inProcess('CreateKey stores the key with its record in one commit; Encrypt and Decrypt round trip and are recorded read-only', async (c) => {
  const created = await c.kms('CreateKey', { Description: 'in process' });
  assert.equal(created.status, 200);
  const meta = created.body.KeyMetadata as Record<string, unknown>;
  const arn = meta.Arn as string;
  assert.equal(meta.KeyState, 'Enabled');
  assert.equal(meta.Description, 'in process');
  assert.equal(arn, `arn:aws:kms:${REGION}:${ACCOUNT}:key/${String(meta.KeyId)}`);
  const key = await c.stored.keys.getKey(arn);
  assert.equal(key?.description, 'in process');
  assert.equal((await c.stored.keys.getMaterials(arn)).length, 1);
  // The CreateKey record was committed with the key: stored already, without a flush.
  const [createdRecord, ...others] = await records(c);
  assert.deepEqual(others, []);
  assert.equal(createdRecord?.row.eventName, 'CreateKey');
  assert.equal(createdRecord?.row.readOnly, false);
  assert.deepEqual(createdRecord?.row.resources.map((r) => r.name), [arn]);
  assert.equal((createdRecord?.json.responseElements as { keyMetadata?: { arn?: string } } | null)?.keyMetadata?.arn, arn);

  const plaintext = Buffer.from('in-process plaintext');
  const context = { app: 'pipeline-test' };
  const encrypted = await c.kms('Encrypt', { KeyId: meta.KeyId, Plaintext: plaintext.toString('base64'), EncryptionContext: context });
  assert.equal(encrypted.status, 200);
  assert.equal(encrypted.body.KeyId, arn);
  const blob = encrypted.body.CiphertextBlob as string;
  const decrypted = await c.kms('Decrypt', { CiphertextBlob: blob, EncryptionContext: context });
  assert.equal(decrypted.status, 200);
  assert.equal(decrypted.body.KeyId, arn);
  assert.deepEqual(Buffer.from(decrypted.body.Plaintext as string, 'base64'), plaintext);
  const wrongContext = await c.kms('Decrypt', { CiphertextBlob: blob, EncryptionContext: { app: 'other' } });
  assert.equal(wrongContext.status, 400);
  assert.equal(wrongContext.body.__type, 'InvalidCiphertextException');

  // Read-only calls are group-committed: stored by the flush, after the CreateKey record.
  assert.equal(await c.stored.audit.count(), 1);
  await c.audit.flush();
  const all = await records(c);
  assert.deepEqual(all.map((r) => [r.row.eventName, r.row.readOnly, r.json.errorCode]),
    [['CreateKey', false, undefined], ['Encrypt', true, undefined], ['Decrypt', true, undefined], ['Decrypt', true, 'InvalidCiphertextException']]);
  assert.ok(all.every((r, i) => i === 0 || r.row.prevHash === all[i - 1]?.row.hash), 'each record chained to the one before');
  assert.equal(JSON.stringify(all.map((r) => r.json)).includes(plaintext.toString('base64')), false, 'no plaintext in the trail');
});

inProcess('IAM CreateUser and CreateAccessKey commit with their records; the new user, without a policy, is denied and the denial recorded', async (c) => {
  const key = await c.kms('CreateKey', {});
  const arn = (key.body.KeyMetadata as Record<string, unknown>).Arn as string;
  const user = await c.query({ Action: 'CreateUser', UserName: 'Alice' });
  assert.equal(user.status, 200, user.body);
  assert.equal(xmlValue(user.body, 'UserName'), 'Alice');
  const stored = await c.stored.identities.getUser(ACCOUNT, 'alice');
  assert.equal(stored?.arn, `arn:aws:iam::${ACCOUNT}:user/Alice`);
  assert.equal(xmlValue(user.body, 'UserId'), stored?.userId);
  const created = await c.query({ Action: 'CreateAccessKey', UserName: 'Alice' });
  assert.equal(created.status, 200, created.body);
  const alice = { accessKeyId: xmlValue(created.body, 'AccessKeyId') ?? '', secretAccessKey: xmlValue(created.body, 'SecretAccessKey') ?? '' };
  assert.equal((await c.stored.identities.getAccessKey(alice.accessKeyId))?.owner, stored?.userId);
  assert.deepEqual((await records(c)).map((r) => r.row.eventName), ['CreateKey', 'CreateUser', 'CreateAccessKey'], 'each committed with its change');

  const denied = await c.kms('Encrypt', { KeyId: arn, Plaintext: Buffer.from('x').toString('base64') }, alice);
  assert.equal(denied.status, 400);
  assert.equal(denied.body.__type, 'AccessDeniedException');
  const describe = await c.kms('DescribeKey', { KeyId: arn }, alice);
  assert.equal(describe.body.__type, 'AccessDeniedException');
  const iamDenied = await c.query({ Action: 'CreateUser', UserName: 'mallory' }, alice);
  assert.equal(iamDenied.status, 403, iamDenied.body);
  assert.equal(xmlValue(iamDenied.body, 'Code'), 'AccessDenied');
  assert.equal(await c.stored.identities.getUser(ACCOUNT, 'mallory'), undefined);

  await c.audit.flush();
  const byAlice = await c.stored.audit.lookup({ accountId: ACCOUNT, attribute: { key: 'Username', value: 'Alice' }, limit: 10 });
  assert.deepEqual(byAlice.map((r) => [r.eventName, (JSON.parse(r.record) as { errorCode?: string }).errorCode]),
    [['CreateUser', 'AccessDenied'], ['DescribeKey', 'AccessDeniedException'], ['Encrypt', 'AccessDeniedException']]);
  assert.deepEqual(byAlice[2]?.resources.map((r) => r.name), [arn], 'the denied call names the key it was denied on');
  assert.equal(byAlice[2]?.accessKeyId, alice.accessKeyId);
});

inProcess('a failing operation, or a failing commit, leaves no change: not in storage, not in the caches; the failure is recorded', async (c) => {
  const first = await c.kms('CreateKey', {});
  const firstArn = (first.body.KeyMetadata as Record<string, unknown>).Arn as string;
  assert.equal((await c.query({ Action: 'CreateUser', UserName: 'bob' })).status, 200);
  const before = { keys: await c.stored.keys.listKeys(ACCOUNT, REGION, undefined, 100), users: await c.stored.identities.listUsers(ACCOUNT), records: await c.stored.audit.count() };

  // The operation fails: nothing was written.
  const alias = await c.kms('CreateAlias', { AliasName: 'alias/orphan', TargetKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' });
  assert.equal(alias.body.__type, 'NotFoundException');
  assert.equal(await c.stored.keys.getAlias(ACCOUNT, REGION, 'alias/orphan'), undefined);
  const again = await c.query({ Action: 'CreateUser', UserName: 'BOB' });
  assert.equal(again.status, 409, again.body);
  assert.equal(xmlValue(again.body, 'Code'), 'EntityAlreadyExists');

  // The commit fails (the storage refuses the change set): the operation's writes are not stored, the caches never see them.
  c.failCommits(true);
  const key = await c.kms('CreateKey', { Description: 'never stored' });
  assert.equal(key.status, 500);
  assert.equal(key.body.__type, 'KMSInternalException');
  const scheduled = await c.kms('ScheduleKeyDeletion', { KeyId: firstArn, PendingWindowInDays: 7 });
  assert.equal(scheduled.body.__type, 'KMSInternalException');
  const user = await c.query({ Action: 'CreateUser', UserName: 'carol' });
  assert.equal(user.status, 500, user.body);
  c.failCommits(false);
  assert.deepEqual(await c.stored.keys.listKeys(ACCOUNT, REGION, undefined, 100), before.keys);
  assert.deepEqual(await c.stored.identities.listUsers(ACCOUNT), before.users);
  assert.equal(await c.stored.audit.count(), before.records, 'no record of a failed call was committed with it');
  const listed = await c.kms('ListKeys', {});
  assert.deepEqual((listed.body.Keys as { KeyArn: string }[]).map((k) => k.KeyArn), [firstArn]);
  const described = await c.kms('DescribeKey', { KeyId: firstArn });
  assert.equal((described.body.KeyMetadata as Record<string, unknown>).KeyState, 'Enabled', 'the keyring never saw the failed deletion');
  assert.equal(c.unexpected.filter((m) => m.startsWith('unexpected error')).length, 3, 'each failed commit logged as unexpected');

  // Each failed call is recorded as a failure (group-committed once storage works).
  await c.audit.flush();
  const failures = (await records(c)).slice(before.records).filter((r) => r.json.errorCode !== undefined).map((r) => [r.row.eventName, r.json.errorCode]);
  assert.deepEqual(failures, [
    ['CreateAlias', 'NotFoundException'], ['CreateUser', 'EntityAlreadyExists'], ['CreateKey', 'KMSInternalException'],
    ['ScheduleKeyDeletion', 'KMSInternalException'], ['CreateUser', 'ServiceFailure'],
  ]);
});
