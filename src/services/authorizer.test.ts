/**
 * The Authorizer's decision cache: a repeated decision must always equal a fresh one, whatever
 * changed in between (key policy, IAM policies, grants), and decisions that depend on the request
 * (conditions, policy variables, grants) are never reused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authorizer, isUnconditional } from './authorizer.ts';
import { parsePolicy } from '../policy/parse.ts';
import type { KeyRecord } from '../domain/key.ts';
import type { GrantRecord } from '../domain/grant.ts';
import { grantSet, grantsFor } from '../domain/grant-set.ts';
import type { Caller, RequestInfo } from '../domain/principal.ts';

const ACCOUNT = '111122223333';
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const REQUEST: RequestInfo = { sourceIp: '127.0.0.1', userAgent: 'test', secureTransport: false };
const alice: Caller = {
  accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accessKeyId: 'AKIAALICE', type: 'IAMUser',
  userId: 'AIDAALICE', username: 'alice', tags: {},
};
const bob: Caller = { ...alice, arn: `arn:aws:iam::${ACCOUNT}:user/bob`, accessKeyId: 'AKIABOB', userId: 'AIDABOB', username: 'bob' };
const root: Caller = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accessKeyId: 'AKIAROOT', type: 'Root', userId: ACCOUNT, tags: {} };

const policy = (statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const ENABLE_IAM = policy([{ Sid: 'iam', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }]);
const ALLOW_ENCRYPT = policy([{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }]);

function keyWith(policyText: string): KeyRecord {
  return {
    arn: KEY_ARN, keyId: KEY_ARN.slice(-36), accountId: ACCOUNT, region: 'us-east-1', creationDate: 0, description: '',
    keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: false, state: 'Enabled',
    rotation: { enabled: false, periodDays: 365 }, onDemandRotations: 0, currentMaterialId: '0'.repeat(64), policy: policyText, tags: [],
  };
}

function setup() {
  const iam = new Map<string, string[]>();
  let generation = 0;
  let grants: GrantRecord[] = [];
  const authorizer = new Authorizer(
    { aliasesOf: async () => [], grantsFor: async (_arn, principals) => grantsFor(grantSet(grants), principals) },
    { identityPoliciesOf: async (c) => iam.get(c.arn) ?? [], generation: () => generation },
    { now: () => Date.UTC(2026, 0, 1) },
  );
  return {
    authorizer,
    setIam: (arn: string, texts: string[]) => { iam.set(arn, texts); generation++; },
    setGrants: (g: GrantRecord[]) => { grants = g; },
  };
}

const allowed = async (f: () => Promise<unknown>): Promise<boolean> => {
  try {
    await f();
    return true;
  } catch (e) {
    assert.equal((e as Error).name, 'AccessDeniedException');
    return false;
  }
};

test('isUnconditional: no Condition and no variable in Resource', () => {
  assert.equal(isUnconditional(parsePolicy(ENABLE_IAM, 'resource')), true);
  assert.equal(isUnconditional(parsePolicy(ALLOW_ENCRYPT, 'identity')), true);
  assert.equal(isUnconditional(parsePolicy(policy([{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*',
    Condition: { StringEquals: { 'kms:EncryptionContext:app': 'a' } } }]), 'identity')), false);
  assert.equal(isUnconditional(parsePolicy(policy([{ Effect: 'Allow', Action: 'kms:Encrypt',
    Resource: 'arn:aws:kms:*:${aws:PrincipalAccount}:key/*' }]), 'identity')), false);
});

test('a cached allow follows IAM policy changes (the identity generation)', async () => {
  const { authorizer, setIam } = setup();
  const key = keyWith(ENABLE_IAM);
  const encrypt = () => authorizer.authorizeKey(alice, REQUEST, { action: 'kms:Encrypt', key });
  assert.equal(await allowed(encrypt), false);
  setIam(alice.arn, [ALLOW_ENCRYPT]);
  assert.equal(await allowed(encrypt), true);
  assert.equal(await allowed(encrypt), true); // the cached answer
  assert.equal(await allowed(() => authorizer.authorizeKey(bob, REQUEST, { action: 'kms:Encrypt', key })), false, 'not another caller');
  assert.equal(await allowed(() => authorizer.authorizeKey(alice, REQUEST, { action: 'kms:Decrypt', key })), false, 'not another action');
  setIam(alice.arn, []);
  assert.equal(await allowed(encrypt), false, 'the IAM policy was removed');
  setIam(alice.arn, [ALLOW_ENCRYPT, policy([{ Effect: 'Deny', Action: 'kms:*', Resource: '*' }])]);
  assert.equal(await allowed(encrypt), false, 'an explicit deny was added');
});

test('a cached allow follows key policy changes', async () => {
  const { authorizer } = setup();
  assert.deepEqual(await authorizer.authorizeKey(root, REQUEST, { action: 'kms:Encrypt', key: keyWith(ENABLE_IAM) }), { via: 'key-policy' });
  assert.deepEqual(await authorizer.authorizeKey(root, REQUEST, { action: 'kms:Encrypt', key: keyWith(ENABLE_IAM) }), { via: 'key-policy' });
  const lockedOut = keyWith(policy([{ Effect: 'Allow', Principal: { AWS: bob.arn }, Action: 'kms:*', Resource: '*' }]));
  assert.equal(await allowed(() => authorizer.authorizeKey(root, REQUEST, { action: 'kms:Encrypt', key: lockedOut })), false);
});

test('conditional policies are evaluated on every request', async () => {
  const { authorizer, setIam } = setup();
  setIam(alice.arn, [policy([{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', Condition: { StringEquals: { 'kms:EncryptionContext:app': 'a' } } }])]);
  const key = keyWith(ENABLE_IAM);
  const withContext = (app: string) => () => authorizer.authorizeKey(alice, REQUEST, { action: 'kms:Encrypt', key, encryptionContext: { app } });
  assert.equal(await allowed(withContext('a')), true);
  assert.equal(await allowed(withContext('b')), false);
  assert.equal(await allowed(withContext('a')), true);
});

test('an allow by a grant is not reused once the grant is gone', async () => {
  const { authorizer, setGrants } = setup();
  const key = keyWith(ENABLE_IAM);
  setGrants([{ grantId: 'g1', keyArn: KEY_ARN, creationDate: 0, granteePrincipal: bob.arn, issuingAccount: `arn:aws:iam::${ACCOUNT}:root`, operations: ['Encrypt'] }]);
  const encrypt = () => authorizer.authorizeKey(bob, REQUEST, { action: 'kms:Encrypt', key, grantOperation: 'Encrypt' });
  assert.deepEqual(await encrypt(), { via: 'grant', grantId: 'g1' });
  setGrants([]);
  assert.equal(await allowed(encrypt), false);
});

const grant = (grantId: string, granteePrincipal: string): GrantRecord => ({
  grantId, keyArn: KEY_ARN, creationDate: 0, granteePrincipal, issuingAccount: `arn:aws:iam::${ACCOUNT}:root`, operations: ['Encrypt'],
});

test('a grant to a role allows its sessions; a grant to someone else allows no one else', async () => {
  const { authorizer, setGrants } = setup();
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/App`;
  const session: Caller = {
    accountId: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/App/worker`, accessKeyId: 'ASIAWORKER', type: 'AssumedRole',
    userId: 'AROAAPP:worker', roleArn, tags: {},
  };
  const key = keyWith(policy([{ Effect: 'Allow', Principal: { AWS: root.arn }, Action: 'kms:*', Resource: '*' }]));
  setGrants([grant('g-role', roleArn), grant('g-bob', bob.arn)]);
  const encrypt = (c: Caller) => () => authorizer.authorizeKey(c, REQUEST, { action: 'kms:Encrypt', key, grantOperation: 'Encrypt' });
  assert.deepEqual(await encrypt(session)(), { via: 'grant', grantId: 'g-role' });
  assert.deepEqual(await encrypt(bob)(), { via: 'grant', grantId: 'g-bob' });
  assert.equal(await allowed(encrypt(alice)), false);
});

test('50,000 grants on a key: a decision reads only the caller\'s grants', async () => {
  const grants = Array.from({ length: 50_000 }, (_, i) => grant(i.toString(16).padStart(64, '0'), `arn:aws:iam::${ACCOUNT}:user/u${i}`));
  const set = grantSet(grants);
  let read = 0;
  const authorizer = new Authorizer(
    { aliasesOf: async () => [], grantsFor: async (_arn, principals) => { const g = grantsFor(set, principals); read += g.length; return g; } },
    { identityPoliciesOf: async () => [], generation: () => 0 },
    { now: () => Date.UTC(2026, 0, 1) },
  );
  const key = keyWith(policy([{ Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }]));
  const last: Caller = { ...bob, arn: `arn:aws:iam::${ACCOUNT}:user/u49999` };
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) {
    assert.deepEqual(await authorizer.authorizeKey(alice, REQUEST, { action: 'kms:Encrypt', key, grantOperation: 'Encrypt' }), { via: 'key-policy' });
    assert.equal((await authorizer.authorizeKey(last, REQUEST, { action: 'kms:Encrypt', key, grantOperation: 'Encrypt' })).grantId, grants[49_999]?.grantId);
    assert.equal(await allowed(() => authorizer.authorizeKey(bob, REQUEST, { action: 'kms:Encrypt', key, grantOperation: 'Encrypt' })), false);
  }
  const took = performance.now() - t0;
  assert.equal(read, 100, 'one grant read per decision by u49999, none for the others');
  // Mapping every grant per decision took 17-40 ms each (300 decisions: 5-12 s).
  assert.ok(took < 1000, `300 decisions took ${took.toFixed(0)} ms`);
});
