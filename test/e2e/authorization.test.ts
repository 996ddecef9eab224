/**
 * Who may do what, end to end: two accounts, users alice and bob, a role assumed through STS,
 * key administrators who cannot use the key and key users who cannot manage it, an application
 * role limited to Encrypt/Decrypt/GenerateDataKey and DescribeKey with a condition on
 * kms:EncryptionContext, a cross-account user, grants with an encryption-context constraint,
 * retired and revoked, the lockout rules. IAM/STS set-up uses signed Query requests; KMS calls
 * use @aws-sdk/client-kms, and a few go through the `aws` CLI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateGrantCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, EncryptCommand,
  GenerateDataKeyCommand, GenerateDataKeyWithoutPlaintextCommand, GetKeyPolicyCommand, KMSClient, ListKeysCommand, PutKeyPolicyCommand,
  ReEncryptCommand, RetireGrantCommand, RevokeGrantCommand, ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { ACCOUNT_ID, newDataDir, REGION, REPO_ROOT, databaseFor, rejectsWith, removeDataDir, startCoffer, type Coffer, type Credentials } from './harness.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
const skipCli = !hasAws && process.env.CI !== 'true' ? 'the aws CLI is not installed (apt-get install awscli, or pip install awscli)' : false;

const OTHER = '444455556666';
const ROOT_A = `arn:aws:iam::${ACCOUNT_ID}:root`;
const ROOT_B = `arn:aws:iam::${OTHER}:root`;
const userArn = (account: string, name: string): string => `arn:aws:iam::${account}:user/${name}`;
const doc = (...statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });

interface Creds extends Credentials { sessionToken?: string }

let coffer: Coffer;
let rootA: Creds;
let rootB: Creds;
const users: Record<string, Creds> = {};

/** A signed IAM or STS Query request; answers the XML text or throws with the error code. */
async function query(service: 'iam' | 'sts', creds: Creds, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ ...params, Version: service === 'iam' ? '2010-05-08' : '2011-06-15' }).toString();
  const r = await coffer.raw({
    body, service, region: REGION, credentials: creds,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...(creds.sessionToken ? { 'x-amz-security-token': creds.sessionToken } : {}) },
  });
  if (r.status !== 200) throw new Error(`${params.Action}: ${/<Code>([^<]+)<\/Code>/.exec(r.body)?.[1] ?? r.status} ${r.body}`);
  return r.body;
}
const xml = (text: string, tag: string): string => {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text);
  assert.ok(m, `no <${tag}> in ${text}`);
  return m[1] as string;
};

async function createUser(root: Creds, name: string, policy?: string): Promise<Creds> {
  await query('iam', root, { Action: 'CreateUser', UserName: name });
  if (policy) await query('iam', root, { Action: 'PutUserPolicy', UserName: name, PolicyName: 'p', PolicyDocument: policy });
  const key = await query('iam', root, { Action: 'CreateAccessKey', UserName: name });
  return { accessKeyId: xml(key, 'AccessKeyId'), secretAccessKey: xml(key, 'SecretAccessKey') };
}

const kms = (c: Creds): KMSClient =>
  new KMSClient({ endpoint: coffer.endpoint, region: REGION, credentials: c, maxAttempts: 1 });
const clients = new Map<string, KMSClient>();
const as = (name: string): KMSClient => {
  const hit = clients.get(name);
  if (hit) return hit;
  const c = kms(name === 'rootA' ? rootA : name === 'rootB' ? rootB : (users[name] as Creds));
  clients.set(name, c);
  return c;
};

const denied = (who: string, action: string, resource: string, why = 'because no resource-based policy allows the') =>
  new RegExp(`^User: ${who.replace(/[/.]/g, '\\$&')} is not authorized to perform: ${action} on resource: ${resource.replace(/[/.]/g, '\\$&')} ${why}`);

const ADMIN_ACTIONS = ['kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*',
  'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion'];
const USER_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

let sharedKey: string;

before(async () => {
  const dataDir = newDataDir();
  // The CLI writes to the storage the server will use: its PostgreSQL database when the suites run on it.
  const databaseUrl = await databaseFor(dataDir);
  const made = spawnSync(process.execPath, [...cofferArgs('cli'), 'accounts', 'create', '--offline', OTHER], {
    cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', COFFER_DATA_DIR: dataDir, ...(databaseUrl !== undefined ? { COFFER_DATABASE_URL: databaseUrl } : {}) }, encoding: 'utf8',
  });
  assert.equal(made.status, 0, made.stderr);
  const b = JSON.parse(readFileSync(join(dataDir, 'accounts', OTHER, 'root-credentials.json'), 'utf8')) as Creds;
  rootB = { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey };
  coffer = await startCoffer({ dataDir, env: { COFFER_TEST_MODE: 'true' } });
  rootA = coffer.credentials;

  users.alice = await createUser(rootA, 'alice');
  users.bob = await createUser(rootA, 'bob', doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${ACCOUNT_ID}:role/App` }));
  users.frank = await createUser(rootA, 'frank');
  users.carol = await createUser(rootA, 'carol', doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }, { Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' }));

  // The key policy of the AWS documentation: IAM enabled, administrators, users.
  sharedKey = (await as('rootA').send(new CreateKeyCommand({
    Description: 'shared',
    Policy: doc(
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT_A }, Action: 'kms:*', Resource: '*' },
      { Sid: 'Allow access for Key Administrators', Effect: 'Allow', Principal: { AWS: userArn(ACCOUNT_ID, 'alice') }, Action: ADMIN_ACTIONS, Resource: '*' },
      { Sid: 'Allow use of the key', Effect: 'Allow', Principal: { AWS: userArn(ACCOUNT_ID, 'bob') }, Action: USER_ACTIONS, Resource: '*' },
      { Sid: 'Allow the other account', Effect: 'Allow', Principal: { AWS: ROOT_B }, Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], Resource: '*' },
    ),
  }))).KeyMetadata?.Arn as string;

  await query('iam', rootA, { Action: 'CreateRole', RoleName: 'App', AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: { AWS: ROOT_A }, Action: 'sts:AssumeRole' }) });
  await query('iam', rootA, {
    Action: 'PutRolePolicy', RoleName: 'App', PolicyName: 'app',
    PolicyDocument: doc(
      { Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*'], Resource: sharedKey, Condition: { StringEquals: { 'kms:EncryptionContext:app': 'billing' } } },
      { Effect: 'Allow', Action: 'kms:DescribeKey', Resource: sharedKey },
    ),
  });
  users.dave = await createUser(rootB, 'dave', doc({ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: `arn:aws:kms:*:${ACCOUNT_ID}:key/*` }));
  users.erin = await createUser(rootB, 'erin');
});

after(async () => {
  for (const c of clients.values()) c.destroy();
  await coffer.stop();
  removeDataDir(coffer.dataDir);
});

test('key administrators manage the key but cannot use it', async () => {
  const alice = as('alice');
  assert.equal((await alice.send(new DescribeKeyCommand({ KeyId: sharedKey }))).KeyMetadata?.Arn, sharedKey);
  await alice.send(new DisableKeyCommand({ KeyId: sharedKey }));
  await alice.send(new EnableKeyCommand({ KeyId: sharedKey }));
  assert.ok((await alice.send(new GetKeyPolicyCommand({ KeyId: sharedKey }))).Policy);
  const e = await rejectsWith(alice.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
  // The key policy lets the account's IAM policies decide, and none of alice's allows it.
  assert.match(e.message, denied(userArn(ACCOUNT_ID, 'alice'), 'kms:Encrypt', sharedKey, 'because no identity-based policy allows the kms:Encrypt action'));
  await rejectsWith(alice.send(new GenerateDataKeyCommand({ KeyId: sharedKey, NumberOfBytes: 32 })), 'AccessDeniedException');
});

test('key users use the key but cannot manage it', async () => {
  const bob = as('bob');
  const enc = await bob.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('bob data') }));
  assert.equal(Buffer.from((await bob.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext ?? []).toString(), 'bob data');
  await bob.send(new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, DestinationKeyId: sharedKey }));
  for (const call of [
    bob.send(new DisableKeyCommand({ KeyId: sharedKey })),
    bob.send(new PutKeyPolicyCommand({ KeyId: sharedKey, Policy: doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' }) })),
    bob.send(new ScheduleKeyDeletionCommand({ KeyId: sharedKey })),
  ]) await rejectsWith(call, 'AccessDeniedException');
  // Account-level actions need an IAM policy; bob has none for KMS.
  const e = await rejectsWith(bob.send(new CreateKeyCommand({})), 'AccessDeniedException');
  assert.match(e.message, /because no identity-based policy allows the kms:CreateKey action/);
  await rejectsWith(bob.send(new ListKeysCommand({})), 'AccessDeniedException');
});

test('an explicit deny in an IAM policy wins over any allow', async () => {
  const carol = as('carol');
  const enc = await carol.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('c') }));
  const e = await rejectsWith(carol.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), 'AccessDeniedException');
  assert.match(e.message, /with an explicit deny in an identity-based policy/);
  assert.ok((await carol.send(new ListKeysCommand({}))).Keys?.some((k) => k.KeyArn === sharedKey), 'IAM allows account-level actions');
});

test('an application role assumed through STS: Encrypt/Decrypt/GenerateDataKey* with its encryption context, DescribeKey, nothing else', async () => {
  const assumed = await query('sts', users.bob as Creds, { Action: 'AssumeRole', RoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/App`, RoleSessionName: 'worker', DurationSeconds: '900' });
  const session: Creds = { accessKeyId: xml(assumed, 'AccessKeyId'), secretAccessKey: xml(assumed, 'SecretAccessKey'), sessionToken: xml(assumed, 'SessionToken') };
  const app = new KMSClient({ endpoint: coffer.endpoint, region: REGION, credentials: { ...session, sessionToken: session.sessionToken as string }, maxAttempts: 1 });
  try {
    const ctx = { app: 'billing' };
    const enc = await app.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('invoice'), EncryptionContext: ctx }));
    assert.equal(Buffer.from((await app.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx }))).Plaintext ?? []).toString(), 'invoice');
    await app.send(new GenerateDataKeyCommand({ KeyId: sharedKey, KeySpec: 'AES_256', EncryptionContext: ctx }));
    await app.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: sharedKey, KeySpec: 'AES_256', EncryptionContext: ctx }));
    await app.send(new DescribeKeyCommand({ KeyId: sharedKey }));

    const sessionArn = `arn:aws:sts::${ACCOUNT_ID}:assumed-role/App/worker`;
    const wrongCtx = await rejectsWith(app.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x'), EncryptionContext: { app: 'payroll' } })), 'AccessDeniedException');
    assert.match(wrongCtx.message, denied(sessionArn, 'kms:Encrypt', sharedKey, 'because no identity-based policy allows the'));
    await rejectsWith(app.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
    await rejectsWith(app.send(new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: ctx, DestinationKeyId: sharedKey, DestinationEncryptionContext: ctx })), 'AccessDeniedException');
    await rejectsWith(app.send(new ScheduleKeyDeletionCommand({ KeyId: sharedKey })), 'AccessDeniedException');
    await rejectsWith(app.send(new CreateKeyCommand({})), 'AccessDeniedException');

    await coffer.advanceClock(901);
    await rejectsWith(app.send(new DescribeKeyCommand({ KeyId: sharedKey })), 'ExpiredTokenException');
  } finally {
    app.destroy();
  }
});

test('a user of another account: the key policy names the account and the user\'s IAM policy allows', async () => {
  const dave = as('dave');
  const enc = await dave.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('from B') }));
  assert.equal(enc.KeyId, sharedKey);
  assert.equal(Buffer.from((await dave.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext ?? []).toString(), 'from B');
  // The key policy allows DescribeKey to the account, but dave's IAM policy does not.
  await rejectsWith(dave.send(new DescribeKeyCommand({ KeyId: sharedKey })), 'AccessDeniedException', /because no identity-based policy allows the kms:DescribeKey action/);
  // Without an IAM policy, the key policy alone is not enough.
  await rejectsWith(as('erin').send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
  // A key id alone names a key of the caller's own account.
  await rejectsWith(dave.send(new EncryptCommand({ KeyId: sharedKey.split('/')[1], Plaintext: Buffer.from('x') })), 'NotFoundException');
  // A key whose policy does not name account B refuses even B's root.
  const privateKey = (await as('rootA').send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
  await rejectsWith(dave.send(new EncryptCommand({ KeyId: privateKey, Plaintext: Buffer.from('x') })), 'AccessDeniedException', denied(userArn(OTHER, 'dave'), 'kms:Encrypt', privateKey));
  await rejectsWith(as('rootB').send(new EncryptCommand({ KeyId: privateKey, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
});

test('a grant with an encryption-context constraint, used by its token, then retired; another revoked', async () => {
  const frank = as('frank');
  const root = as('rootA');
  await rejectsWith(frank.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x'), EncryptionContext: { project: 'x' } })), 'AccessDeniedException');
  const g = await root.send(new CreateGrantCommand({
    KeyId: sharedKey, GranteePrincipal: userArn(ACCOUNT_ID, 'frank'), RetiringPrincipal: userArn(ACCOUNT_ID, 'alice'),
    Operations: ['Encrypt', 'Decrypt'], Constraints: { EncryptionContextEquals: { project: 'x' } },
  }));
  const token = [g.GrantToken as string];
  const enc = await frank.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('granted'), EncryptionContext: { project: 'x' }, GrantTokens: token }));
  const dec = await frank.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { project: 'x' }, GrantTokens: token }));
  assert.equal(Buffer.from(dec.Plaintext ?? []).toString(), 'granted');
  await rejectsWith(frank.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x'), EncryptionContext: { project: 'y' } })), 'AccessDeniedException');
  await rejectsWith(frank.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
  await rejectsWith(frank.send(new DescribeKeyCommand({ KeyId: sharedKey })), 'AccessDeniedException', /kms:DescribeKey/);
  // frank is not the retiring principal; alice is.
  await rejectsWith(frank.send(new RetireGrantCommand({ GrantToken: g.GrantToken })), 'AccessDeniedException');
  await as('alice').send(new RetireGrantCommand({ GrantToken: g.GrantToken }));
  await rejectsWith(frank.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x'), EncryptionContext: { project: 'x' } })), 'AccessDeniedException');

  const g2 = await root.send(new CreateGrantCommand({ KeyId: sharedKey, GranteePrincipal: userArn(ACCOUNT_ID, 'frank'), Operations: ['Encrypt'] }));
  await frank.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x') }));
  // bob may use the key but not revoke grants; alice (Revoke* in her statement) may.
  await rejectsWith(as('bob').send(new RevokeGrantCommand({ KeyId: sharedKey, GrantId: g2.GrantId })), 'AccessDeniedException');
  await as('alice').send(new RevokeGrantCommand({ KeyId: sharedKey, GrantId: g2.GrantId }));
  await rejectsWith(frank.send(new EncryptCommand({ KeyId: sharedKey, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
});

test('a key policy that omits the account locks out even the root user; the lockout check prevents it by accident', async () => {
  const root = as('rootA');
  const onlyAlice = doc({ Effect: 'Allow', Principal: { AWS: userArn(ACCOUNT_ID, 'alice') }, Action: 'kms:*', Resource: '*' });
  await rejectsWith(root.send(new CreateKeyCommand({ Policy: onlyAlice })), 'MalformedPolicyDocumentException',
    'The new key policy will not allow you to update the key policy in the future.');
  const key = (await root.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
  await rejectsWith(root.send(new PutKeyPolicyCommand({ KeyId: key, Policy: onlyAlice })), 'MalformedPolicyDocumentException');
  await root.send(new PutKeyPolicyCommand({ KeyId: key, Policy: onlyAlice, BypassPolicyLockoutSafetyCheck: true }));
  await rejectsWith(root.send(new DescribeKeyCommand({ KeyId: key })), 'AccessDeniedException', denied(ROOT_A, 'kms:DescribeKey', key));
  await rejectsWith(root.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('x') })), 'AccessDeniedException');
  // alice, named directly, still has the key.
  await as('alice').send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('x') }));
});

test('the aws CLI as a key user and as a key administrator', { skip: skipCli }, () => {
  const cli = (c: Creds, args: string[]) => spawnSync('aws', [...args, '--endpoint-url', coffer.endpoint, '--output', 'text'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
      AWS_DEFAULT_REGION: REGION, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  const ok = cli(users.bob as Creds, ['kms', 'encrypt', '--key-id', sharedKey, '--plaintext', 'aGVsbG8=', '--query', 'KeyId']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), sharedKey);
  const no = cli(users.alice as Creds, ['kms', 'encrypt', '--key-id', sharedKey, '--plaintext', 'aGVsbG8=']);
  assert.notEqual(no.status, 0);
  assert.match(no.stderr, /AccessDeniedException/);
  assert.match(no.stderr, /is not authorized to perform: kms:Encrypt/);
});
