/**
 * The audit trail end to end, in one running server: every implemented KMS operation (and IAM
 * CreateAccessKey, STS AssumeRole) is run with known secrets, then the audit store (the database
 * file, its audit rows, an export) and the server's logs are searched for them in UTF-8, base64
 * and hex; LookupEvents answers through a raw signed request and the AWS CLI; denied calls carry
 * their errorCode; the scheduler's work is recorded as service events; /metrics has its series;
 * and `audit verify` passes on the trail and names the first bad record in a tampered copy.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { IMPLEMENTED_OPERATIONS } from '../../src/operations/registry.ts';
import { wrapLocally } from './byok.ts';
import { ACCOUNT_ID, newDataDir, REGION, REPO_ROOT, removeDataDir, startCoffer, type Coffer, type Credentials } from './harness.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const FORM = 'application/x-www-form-urlencoded; charset=utf-8';
const CT_TARGET = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';
const DAY = 86_400;
const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
const skipCli = !hasAws && process.env.CI !== 'true' ? 'the aws CLI is not installed (apt-get install awscli, or pip install awscli)' : false;

let coffer: Coffer;
const secrets: Buffer[] = [];
const ran = new Set<string>();
let bob: Credentials;
let keyArn = '';

function remember(...xs: (string | Buffer | undefined)[]): void {
  for (const x of xs) if (x !== undefined && x.length >= 8) secrets.push(Buffer.isBuffer(x) ? x : Buffer.from(x));
}
/** A plaintext that is easy to find: a marker plus random bytes. */
const secret = (label: string): Buffer => {
  const b = Buffer.concat([Buffer.from(`SECRET-${label}-`), randomBytes(24)]);
  remember(b);
  return b;
};

async function kms(target: string, body: Record<string, unknown>, credentials?: Credentials): Promise<Record<string, unknown>> {
  const r = await coffer.raw({ target, body: JSON.stringify(body), ...(credentials ? { credentials } : {}) });
  ran.add(target);
  if (r.status !== 200) throw Object.assign(new Error(`${target}: ${r.status} ${r.body}`), { status: r.status, body: r.body });
  return r.body === '' ? {} : (JSON.parse(r.body) as Record<string, unknown>);
}
const b64 = (b: Buffer): string => b.toString('base64');
const blob = (v: unknown): Buffer => Buffer.from(String(v), 'base64');

function form(service: 'iam' | 'sts', body: string, credentials?: Credentials & { sessionToken?: string }) {
  return coffer.raw({ body, service, ...(credentials ? { credentials } : {}), headers: { 'content-type': FORM } });
}
const xml = (text: string, tag: string): string => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1] ?? '';

async function lookup(body: Record<string, unknown>, credentials?: Credentials) {
  const r = await coffer.raw({
    body: JSON.stringify(body), service: 'cloudtrail', ...(credentials ? { credentials } : {}),
    headers: { 'x-amz-target': `${CT_TARGET}LookupEvents`, 'content-type': 'application/x-amz-json-1.1' },
  });
  return { status: r.status, json: JSON.parse(r.body) as { Events?: { EventName: string; CloudTrailEvent: string; ReadOnly: string; Username?: string; EventId: string }[]; NextToken?: string; __type?: string } };
}
const recordsOf = (events: { CloudTrailEvent: string }[] | undefined) => (events ?? []).map((e) => JSON.parse(e.CloudTrailEvent) as Record<string, unknown>);

function cli(args: string[], dataDir: string) {
  return spawnSync(process.execPath, [...cofferArgs('cli'), ...args], {
    cwd: REPO_ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', COFFER_DATA_DIR: dataDir },
  });
}

before(async () => {
  coffer = await startCoffer({ env: { COFFER_TEST_MODE: 'true', COFFER_LOG_LEVEL: 'debug', COFFER_AUDIT_FLUSH_MS: '100' } });
  remember(coffer.credentials.secretAccessKey);
});
after(async () => { await coffer.stop(); removeDataDir(coffer.dataDir); });

test('every KMS operation, CreateAccessKey and AssumeRole run with known secrets', async () => {
  const created = (spec: Record<string, unknown>) => kms('CreateKey', spec).then((r) => (r.KeyMetadata as { Arn: string }).Arn);
  const sym = await created({ Description: 'audit test' });
  keyArn = sym;
  const hmac = await created({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
  const ecc = await created({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  const ecdh = await created({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
  const rsa = await created({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });

  await kms('DescribeKey', { KeyId: sym });
  await kms('ListKeys', {});
  await kms('DisableKey', { KeyId: sym });
  await kms('EnableKey', { KeyId: sym });
  await kms('UpdateKeyDescription', { KeyId: sym, Description: 'changed' });
  await kms('GetKeyLastUsage', { KeyId: sym });
  await kms('CreateAlias', { AliasName: 'alias/audit', TargetKeyId: sym });
  await kms('UpdateAlias', { AliasName: 'alias/audit', TargetKeyId: sym });
  await kms('ListAliases', {});
  await kms('TagResource', { KeyId: sym, Tags: [{ TagKey: 'team', TagValue: 'blue' }] });
  await kms('UntagResource', { KeyId: sym, TagKeys: ['team'] });
  await kms('ListResourceTags', { KeyId: sym });

  const pt = secret('encrypt');
  const enc = await kms('Encrypt', { KeyId: 'alias/audit', Plaintext: b64(pt), EncryptionContext: { app: 'audit' } });
  remember(blob((await kms('Decrypt', { CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { app: 'audit' } })).Plaintext));
  await kms('ReEncrypt', { CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { app: 'audit' }, DestinationKeyId: sym });
  const dk = await kms('GenerateDataKey', { KeyId: sym, KeySpec: 'AES_256' });
  remember(blob(dk.Plaintext));
  await kms('GenerateDataKeyWithoutPlaintext', { KeyId: sym, KeySpec: 'AES_256' });
  remember(blob((await kms('GenerateRandom', { NumberOfBytes: 32 })).Plaintext));
  const pair = await kms('GenerateDataKeyPair', { KeyId: sym, KeyPairSpec: 'ECC_NIST_P256' });
  remember(blob(pair.PrivateKeyPlaintext));
  await kms('GenerateDataKeyPairWithoutPlaintext', { KeyId: sym, KeyPairSpec: 'ECC_NIST_P256' });

  await kms('EnableKeyRotation', { KeyId: sym, RotationPeriodInDays: 90 });
  await kms('GetKeyRotationStatus', { KeyId: sym });
  await kms('RotateKeyOnDemand', { KeyId: sym });
  await kms('ListKeyRotations', { KeyId: sym });
  await kms('DisableKeyRotation', { KeyId: sym });
  const policy = (await kms('GetKeyPolicy', { KeyId: sym, PolicyName: 'default' })).Policy as string;
  await kms('PutKeyPolicy', { KeyId: sym, PolicyName: 'default', Policy: policy });
  await kms('ListKeyPolicies', { KeyId: sym });

  const rootArn = `arn:aws:iam::${ACCOUNT_ID}:root`;
  const g1 = await kms('CreateGrant', { KeyId: sym, GranteePrincipal: rootArn, RetiringPrincipal: rootArn, Operations: ['Decrypt'] });
  remember(String(g1.GrantToken));
  await kms('ListGrants', { KeyId: sym });
  await kms('ListRetirableGrants', { RetiringPrincipal: rootArn });
  await kms('RetireGrant', { KeyId: sym, GrantId: g1.GrantId });
  const g2 = await kms('CreateGrant', { KeyId: sym, GranteePrincipal: rootArn, Operations: ['Encrypt'] });
  remember(String(g2.GrantToken));
  await kms('RevokeGrant', { KeyId: sym, GrantId: g2.GrantId });

  const msg = secret('sign');
  const sig = await kms('Sign', { KeyId: ecc, Message: b64(msg), SigningAlgorithm: 'ECDSA_SHA_256' });
  await kms('Verify', { KeyId: ecc, Message: b64(msg), Signature: sig.Signature, SigningAlgorithm: 'ECDSA_SHA_256' });
  await kms('GetPublicKey', { KeyId: ecc });
  const macMsg = secret('mac');
  const mac = await kms('GenerateMac', { KeyId: hmac, Message: b64(macMsg), MacAlgorithm: 'HMAC_SHA_256' });
  await kms('VerifyMac', { KeyId: hmac, Message: b64(macMsg), Mac: mac.Mac, MacAlgorithm: 'HMAC_SHA_256' });
  const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
  remember(blob((await kms('DeriveSharedSecret', { KeyId: ecdh, KeyAgreementAlgorithm: 'ECDH', PublicKey: b64(peer) })).SharedSecret));
  const rsaPt = secret('rsa');
  const rsaEnc = await kms('Encrypt', { KeyId: rsa, Plaintext: b64(rsaPt), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
  await kms('Decrypt', { KeyId: rsa, CiphertextBlob: rsaEnc.CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
  await kms('ScheduleKeyDeletion', { KeyId: rsa, PendingWindowInDays: 7 });
  await kms('CancelKeyDeletion', { KeyId: rsa });
  await kms('DeleteAlias', { AliasName: 'alias/audit' });

  // Imported key material (the material itself is the secret) and multi-Region keys.
  const ext = await created({ Origin: 'EXTERNAL' });
  const params = await kms('GetParametersForImport', { KeyId: ext, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });
  const material = randomBytes(32);
  remember(material);
  await kms('ImportKeyMaterial', {
    KeyId: ext, ImportToken: params.ImportToken, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    EncryptedKeyMaterial: b64(wrapLocally(blob(params.PublicKey), 'RSAES_OAEP_SHA_256', material)),
  });
  await kms('DeleteImportedKeyMaterial', { KeyId: ext });
  const mrk = await created({ MultiRegion: true });
  await kms('ReplicateKey', { KeyId: mrk, ReplicaRegion: 'us-west-2' });
  await kms('UpdatePrimaryRegion', { KeyId: mrk, PrimaryRegion: 'us-west-2' });

  // Custom key stores (no HSM cluster here: the calls fail after authorization, and are recorded);
  // the kmsuser password is a secret that no record may hold.
  const refused = async (target: string, body: Record<string, unknown>, error: string): Promise<void> => {
    await assert.rejects(kms(target, body), (e: { status?: number; body?: string }) => e.status === 400 && (e.body ?? '').includes(error));
  };
  const storePassword = `pw-${randomBytes(8).toString('hex')}`;
  remember(storePassword);
  await refused('CreateCustomKeyStore', { CustomKeyStoreName: 'audit', CloudHsmClusterId: 'cluster-aaaaaaaaaaa', TrustAnchorCertificate: 'anchor', KeyStorePassword: storePassword }, 'CloudHsmClusterNotFoundException');
  assert.deepEqual((await kms('DescribeCustomKeyStores', {})).CustomKeyStores, []);
  const noStore = { CustomKeyStoreId: 'cks-0123456789abcdef0' };
  await refused('ConnectCustomKeyStore', noStore, 'CustomKeyStoreNotFoundException');
  await refused('DisconnectCustomKeyStore', noStore, 'CustomKeyStoreNotFoundException');
  await refused('UpdateCustomKeyStore', { ...noStore, KeyStorePassword: storePassword }, 'CustomKeyStoreNotFoundException');
  await refused('DeleteCustomKeyStore', noStore, 'CustomKeyStoreNotFoundException');

  const missing = IMPLEMENTED_OPERATIONS.filter((o) => !ran.has(o));
  assert.deepEqual(missing, [], 'every implemented KMS operation ran');

  // IAM and STS: a user with an access key (its secret), a role it assumes (a session's secret and token).
  assert.equal((await form('iam', 'Action=CreateUser&Version=2010-05-08&UserName=bob')).status, 200);
  const key = await form('iam', 'Action=CreateAccessKey&Version=2010-05-08&UserName=bob');
  bob = { accessKeyId: xml(key.body, 'AccessKeyId'), secretAccessKey: xml(key.body, 'SecretAccessKey') };
  remember(bob.secretAccessKey);
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:user/bob` }, Action: 'sts:AssumeRole' }] });
  assert.equal((await form('iam', `Action=CreateRole&Version=2010-05-08&RoleName=auditor&AssumeRolePolicyDocument=${encodeURIComponent(trust)}`)).status, 200);
  const assumed = await form('sts', `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(`arn:aws:iam::${ACCOUNT_ID}:role/auditor`)}&RoleSessionName=s1`, bob);
  assert.equal(assumed.status, 200, assumed.body);
  const session = { accessKeyId: xml(assumed.body, 'AccessKeyId'), secretAccessKey: xml(assumed.body, 'SecretAccessKey'), sessionToken: xml(assumed.body, 'SessionToken') };
  remember(session.secretAccessKey, session.sessionToken);
  const asRole = await coffer.raw({ target: 'DescribeKey', body: JSON.stringify({ KeyId: sym }), credentials: session, headers: { 'x-amz-security-token': session.sessionToken } });
  assert.equal(asRole.status, 400);
  assert.ok(secrets.length >= 15);
});

test('a denied call is recorded with its errorCode; LookupEvents filters, pages and is authorized by IAM', async () => {
  const denied = await coffer.raw({ target: 'Encrypt', body: JSON.stringify({ KeyId: keyArn, Plaintext: b64(secret('denied')) }), credentials: bob });
  assert.equal(denied.status, 400);
  assert.match(denied.body, /AccessDeniedException/);

  const byUser = await lookup({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'bob' }] });
  assert.equal(byUser.status, 200);
  const deniedRecord = recordsOf(byUser.json.Events).find((r) => r.eventName === 'Encrypt');
  assert.ok(deniedRecord, 'the denied Encrypt is in the trail');
  assert.equal(deniedRecord.errorCode, 'AccessDeniedException');
  assert.match(String(deniedRecord.errorMessage), /is not authorized to perform: kms:Encrypt/);
  assert.deepEqual(deniedRecord.resources, [{ accountId: ACCOUNT_ID, type: 'AWS::KMS::Key', ARN: keyArn }]);
  assert.equal((deniedRecord.userIdentity as { type: string }).type, 'IAMUser');
  assert.ok(recordsOf(byUser.json.Events).some((r) => r.eventName === 'AssumeRole' && r.eventSource === 'sts.amazonaws.com'));

  const creates = await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateKey' }], MaxResults: 2 });
  assert.equal(creates.json.Events?.length, 2);
  assert.ok(creates.json.NextToken);
  const rest = await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateKey' }], NextToken: creates.json.NextToken });
  assert.equal(rest.json.Events?.length, 5, 'seven CreateKey calls in all');
  const first = recordsOf(rest.json.Events).at(-1);
  assert.equal(first?.readOnly, false);
  assert.equal((first?.responseElements as { keyMetadata: { arn: string } }).keyMetadata.arn, keyArn);

  const readOnly = await lookup({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'true' }], MaxResults: 50 });
  assert.ok(readOnly.json.Events?.every((e) => e.ReadOnly === 'true'));
  const byKey = await lookup({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: keyArn }], MaxResults: 50 });
  assert.ok(recordsOf(byKey.json.Events).some((r) => r.eventName === 'Decrypt'));
  const eventId = byKey.json.Events?.[0]?.EventId ?? '';
  assert.equal((await lookup({ LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: eventId }] })).json.Events?.length, 1);
  const byAkid = await lookup({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: bob.accessKeyId }] });
  assert.ok((byAkid.json.Events?.length ?? 0) >= 2);
  const iamEvents = await lookup({ LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'iam.amazonaws.com' }] });
  assert.deepEqual(new Set(iamEvents.json.Events?.map((e) => e.EventName)), new Set(['CreateUser', 'CreateAccessKey', 'CreateRole']));
  const future = await lookup({ StartTime: Date.now() / 1000 + 3600 });
  assert.equal(future.json.Events?.length, 0);
  assert.equal((await lookup({ StartTime: 2000, EndTime: 1000 })).json.__type, 'InvalidTimeRangeException');
  assert.equal((await lookup({ MaxResults: 51 })).json.__type, 'InvalidMaxResultsException');
  assert.equal((await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'a' }, { AttributeKey: 'Username', AttributeValue: 'b' }] })).json.__type, 'InvalidLookupAttributesException');

  const bobLooks = await lookup({}, bob);
  assert.equal(bobLooks.status, 400);
  assert.equal(bobLooks.json.__type, 'AccessDeniedException');
  const allow = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }] });
  assert.equal((await form('iam', `Action=PutUserPolicy&Version=2010-05-08&UserName=bob&PolicyName=trail&PolicyDocument=${encodeURIComponent(allow)}`)).status, 200);
  const allowed = await lookup({ MaxResults: 5 }, bob);
  assert.equal(allowed.status, 200, 'an IAM policy allowing cloudtrail:LookupEvents lets bob read the trail');
  assert.equal(allowed.json.Events?.length, 5);
  const own = await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'LookupEvents' }] });
  const deniedLookup = recordsOf(own.json.Events).find((r) => r.errorCode === 'AccessDeniedException');
  assert.equal(deniedLookup?.eventSource, 'cloudtrail.amazonaws.com');
});

test('aws cloudtrail lookup-events reads the trail', { skip: skipCli }, () => {
  const out = execFileSync('aws', ['cloudtrail', 'lookup-events', '--endpoint-url', coffer.endpoint, '--output', 'json',
    '--lookup-attributes', 'AttributeKey=EventName,AttributeValue=CreateKey', '--max-results', '5'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AWS_ACCESS_KEY_ID: coffer.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: coffer.credentials.secretAccessKey, AWS_DEFAULT_REGION: REGION, AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '',
    },
  });
  const events = (JSON.parse(out) as { Events: { EventName: string; CloudTrailEvent: string; EventTime: unknown }[] }).Events;
  assert.equal(events.length, 5);
  for (const e of events) {
    assert.equal(e.EventName, 'CreateKey');
    const r = JSON.parse(e.CloudTrailEvent) as Record<string, unknown>;
    assert.equal(r.eventSource, 'kms.amazonaws.com');
    assert.equal(r.eventVersion, '1.11');
  }
});

test('the scheduler\'s deletion and rotation are AwsServiceEvent records', async () => {
  const arn = (await kms('CreateKey', {}) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
  await kms('EnableKeyRotation', { KeyId: arn, RotationPeriodInDays: 90 });
  const doomed = (await kms('CreateKey', {}) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
  await kms('ScheduleKeyDeletion', { KeyId: doomed, PendingWindowInDays: 7 });
  const r = await coffer.advanceClock(91 * DAY);
  assert.ok(r.deleted >= 1 && r.rotated >= 1);
  const deletes = recordsOf((await lookup({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'DeleteKey' }] })).json.Events);
  const del = deletes.find((x) => (x.resources as { ARN: string }[])[0]?.ARN === doomed);
  assert.ok(del, 'DeleteKey service event');
  assert.equal(del.eventType, 'AwsServiceEvent');
  assert.deepEqual(del.userIdentity, { accountId: ACCOUNT_ID, invokedBy: 'AWS Internal' });
  const rotations = recordsOf((await lookup({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: arn }] })).json.Events);
  assert.ok(rotations.some((x) => x.eventName === 'RotateKey' && x.eventType === 'AwsServiceEvent'));
});

test('GET /metrics answers Prometheus text with the request, key, cache, scheduler and audit series', async () => {
  // A caller whose access key does not exist: logged and counted with the key id and the operation it tried.
  const stranger = coffer.client(undefined, { accessKeyId: 'AKIASTRANGER00000001', secretAccessKey: 'not-a-real-secret-key-0000000000' });
  await assert.rejects(stranger.send(new ListKeysCommand({})), { name: 'UnrecognizedClientException' });
  stranger.destroy();
  const r = await fetch(`${coffer.endpoint}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
  const text = await r.text();
  for (const re of [
    /coffer_requests_total\{operation="Encrypt",error=""\} \d+/,
    /coffer_requests_total\{operation="Encrypt",error="AccessDeniedException"\} 1/,
    /coffer_request_duration_seconds_bucket\{le="0.005",operation="Decrypt"\} \d+/,
    /coffer_keys\{account="\d{12}",region="[a-z0-9-]+",state="Enabled"\} [1-9]\d*/,
    /coffer_keys\{account="\d{12}",region="[a-z0-9-]+",state="PendingImport"\} \d+/,
    /coffer_key_cache_hit_ratio 0\.\d+|coffer_key_cache_hit_ratio 1/,
    /coffer_scheduler_runs_total\{result="ok"\} \d+/,
    /coffer_scheduler_events_total\{event="DeleteKey"\} \d+/,
    /coffer_audit_queue_depth \d+/,
    /coffer_audit_lag_seconds [\d.e-]+/,
    /coffer_authentication_refused_total\{access_key_id="AKIASTRANGER00000001",operation="ListKeys",error="UnrecognizedClientException"\} 1/,
    /coffer_audit_records_written_total \d+/,
  ]) assert.match(text, re);

});

test('no secret is in the audit store, an export or the logs; audit verify passes, and fails on a tampered copy', async () => {
  const code = await coffer.stop();
  assert.equal(code, 0);
  const dir = coffer.dataDir;
  const exported = join(dir, 'trail.jsonl');
  const exp = cli(['audit', 'export', '--offline', '--out', exported], dir);
  assert.equal(exp.status, 0, exp.stderr);
  const lines = readFileSync(exported, 'utf8').trim().split('\n');
  assert.ok(lines.length > 70, `${lines.length} records exported`);
  for (const l of lines) assert.ok(typeof (JSON.parse(l) as { eventID?: unknown }).eventID === 'string');

  const db = new Database(join(dir, 'coffer.db'), { readonly: true });
  const rows = db.prepare<[], { record: string; seq: number }>('SELECT seq, record FROM audit_records').all();
  const digests = JSON.stringify(db.prepare('SELECT * FROM audit_digests').all());
  const signingKey = db.prepare<[], { wrapped: Buffer; public_key: Buffer }>('SELECT wrapped, public_key FROM audit_signing_keys').get();
  db.close();
  assert.equal(rows.length, lines.length);
  const auditText = rows.map((r) => r.record).join('\n') + digests;
  const files = ['coffer.db', 'coffer.db-wal'].map((f) => join(dir, f)).filter(existsSync).map((f) => readFileSync(f));
  const logs = coffer.output();
  const exportText = readFileSync(exported, 'utf8');
  for (const s of secrets) {
    const forms = [s.toString('latin1'), s.toString('base64'), s.toString('hex'), s.toString('base64url')].filter((f) => f.length >= 8);
    for (const f of forms) {
      const where = `${JSON.stringify(f.slice(0, 24))}…`;
      assert.ok(!auditText.includes(f), `secret ${where} in the audit records`);
      assert.ok(!exportText.includes(f), `secret ${where} in the export`);
      assert.ok(!logs.includes(f), `secret ${where} in the logs`);
    }
    // Plaintexts and data keys are nowhere in the database (access keys' secrets are, by design, in their own table).
    if (s.toString('latin1').startsWith('SECRET-') || s.length === 32) {
      for (const file of files) assert.ok(!file.includes(s) && !file.includes(Buffer.from(s.toString('base64'))), 'plaintext in the database file');
    }
  }
  assert.ok(signingKey && signingKey.public_key.length > 0 && signingKey.wrapped.length > 0);
  assert.ok(logs.includes('"msg":"request"') && logs.includes('"principal":"arn:aws:iam::111122223333:user/bob"'), 'one log line per request with the principal');

  const ok = cli(['audit', 'verify', '--offline'], dir);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Audit trail verified: \d+ records/);
  const pub = cli(['audit', 'public-key', '--offline'], dir);
  assert.match(pub.stdout, /-----BEGIN PUBLIC KEY-----/);

  const copy = newDataDir();
  try {
    mkdirSync(copy, { recursive: true });
    copyFileSync(join(dir, 'coffer.db'), join(copy, 'coffer.db'));
    const t = new Database(join(copy, 'coffer.db'));
    t.prepare("UPDATE audit_records SET record = replace(record, 'AccessDeniedException', 'NoError') WHERE record LIKE '%AccessDeniedException%' AND event_name = 'Encrypt'").run();
    const seq = t.prepare<[], { seq: number }>("SELECT seq FROM audit_records WHERE record LIKE '%NoError%'").get()?.seq;
    t.close();
    const bad = cli(['audit', 'verify', '--offline'], copy);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, new RegExp(`First bad record: ${seq} .*kind: changed`));
  } finally {
    removeDataDir(copy);
  }
});

test('audit commands refuse a data folder whose server is running', async () => {
  const running = await startCoffer();
  try {
    const r = cli(['audit', 'verify', '--offline'], running.dataDir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /in use: a running Coffer server holds its owner lock/);
  } finally {
    await running.stop();
    removeDataDir(running.dataDir);
  }
});
