/**
 * AWS KMS authorization, table-driven: key policy + identity policies + grants, explicit denies,
 * cross-account access, lockout, account-level actions; grant constraints; AccessDenied texts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, type Policy } from './parse.ts';
import { requestConditions, type PrincipalInfo } from './evaluate.ts';
import { accessDeniedMessage, decideKms, grantAllows, type Decision, type GrantInfo } from './kms-decision.ts';
import { defaultKeyPolicy } from './document.ts';

const ACCT = '111122223333';
const OTHER = '444455556666';
const KEY = `arn:aws:kms:us-east-1:${ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const NOW = new Date('2024-06-01T12:00:00Z');

const root: PrincipalInfo = { arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT, type: 'Root', userId: ACCT };
const alice: PrincipalInfo = { arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT, type: 'IAMUser', userId: 'AIDAALICE00000000000', username: 'alice' };
const session: PrincipalInfo = {
  arn: `arn:aws:sts::${ACCT}:assumed-role/App/s1`,
  accountId: ACCT,
  type: 'AssumedRole',
  userId: 'AROAAPP0000000000000:s1',
  roleArn: `arn:aws:iam::${ACCT}:role/App`,
};
const bob: PrincipalInfo = { arn: `arn:aws:iam::${OTHER}:user/bob`, accountId: OTHER, type: 'IAMUser', userId: 'AIDABOB0000000000000', username: 'bob' };
const otherRoot: PrincipalInfo = { arn: `arn:aws:iam::${OTHER}:root`, accountId: OTHER, type: 'Root', userId: OTHER };
const service: PrincipalInfo = { arn: 'logs.us-east-1.amazonaws.com', accountId: '', type: 'Service', userId: 'logs.us-east-1.amazonaws.com' };

const keyPolicy = (...statements: object[]): Policy => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), 'resource');
const iam = (...statements: object[]): Policy => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), 'identity');

const DEFAULT = parsePolicy(defaultKeyPolicy('aws', ACCT), 'resource');
const allowTo = (principal: unknown, action: string | string[] = 'kms:*', extra: object = {}): object => ({ Effect: 'Allow', Principal: principal, Action: action, Resource: '*', ...extra });
const denyTo = (principal: unknown, action: string | string[] = 'kms:*', extra: object = {}): object => ({ Effect: 'Deny', Principal: principal, Action: action, Resource: '*', ...extra });
const AWS = (v: string | string[]): object => ({ AWS: v });

const IAM_ALLOW_DECRYPT = iam({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY });
const IAM_ALLOW_ALL_KEYS = iam({ Effect: 'Allow', Action: 'kms:*', Resource: 'arn:aws:kms:*:*:key/*' });
const IAM_ALLOW_ENCRYPT = iam({ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' });
const IAM_DENY_DECRYPT = iam({ Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' });
const IAM_ADMIN = iam({ Effect: 'Allow', Action: '*', Resource: '*' });

interface Row {
  readonly name: string;
  readonly principal: PrincipalInfo;
  readonly action?: string;
  readonly resource?: string;
  readonly keyAccountId?: string;
  readonly keyPolicy?: Policy;
  readonly identity?: readonly Policy[];
  readonly grants?: readonly GrantInfo[];
  readonly grantOperation?: string;
  readonly encryptionContext?: Readonly<Record<string, string>>;
  readonly extra?: Readonly<Record<string, string | readonly string[]>>;
  readonly want: Decision;
}

function decide(r: Row): Decision {
  const conditions = requestConditions(r.principal, { now: NOW, sourceIp: '203.0.113.7', secureTransport: true }, r.extra);
  return decideKms({
    request: { action: r.action ?? 'kms:Decrypt', resource: r.resource ?? KEY, principal: r.principal, conditions },
    ...(r.keyPolicy ? { keyPolicy: r.keyPolicy, keyAccountId: r.keyAccountId ?? ACCT } : {}),
    identityPolicies: r.identity ?? [],
    ...(r.grants ? { grants: r.grants } : {}),
    ...(r.grantOperation ? { grantOperation: r.grantOperation } : {}),
    ...(r.encryptionContext ? { encryptionContext: r.encryptionContext } : {}),
  });
}

const ok = (via: 'key-policy' | 'key-policy+iam' | 'iam' | 'grant', grantId?: string): Decision =>
  grantId === undefined ? { allowed: true, via } : { allowed: true, via, grantId };
const no = (reason: 'explicit-deny-resource' | 'explicit-deny-identity' | 'no-resource-policy' | 'no-identity-policy'): Decision => ({ allowed: false, reason });

const grant = (g: Partial<GrantInfo> & { granteePrincipal: string }): GrantInfo => ({ grantId: 'g-1', operations: ['Decrypt'], ...g });

const rows: readonly Row[] = [
  // Same account, default key policy (enables IAM)
  { name: 'root user with the default key policy', principal: root, keyPolicy: DEFAULT, want: ok('key-policy') },
  { name: 'user with the default key policy and an IAM allow', principal: alice, keyPolicy: DEFAULT, identity: [IAM_ALLOW_DECRYPT], want: ok('key-policy+iam') },
  { name: 'user with the default key policy and no IAM policy', principal: alice, keyPolicy: DEFAULT, want: no('no-identity-policy') },
  { name: 'user whose IAM policy allows another action only', principal: alice, keyPolicy: DEFAULT, identity: [IAM_ALLOW_ENCRYPT], want: no('no-identity-policy') },
  { name: 'IAM allow on key/* resources', principal: alice, keyPolicy: DEFAULT, identity: [IAM_ALLOW_ALL_KEYS], want: ok('key-policy+iam') },
  { name: 'IAM allow for another key', principal: alice, keyPolicy: DEFAULT, identity: [iam({ Effect: 'Allow', Action: 'kms:*', Resource: `arn:aws:kms:us-east-1:${ACCT}:key/other` })], want: no('no-identity-policy') },
  { name: 'any of several IAM policies may allow', principal: alice, keyPolicy: DEFAULT, identity: [IAM_ALLOW_ENCRYPT, IAM_ALLOW_DECRYPT], want: ok('key-policy+iam') },
  { name: 'role session with the default key policy and a role IAM allow', principal: session, keyPolicy: DEFAULT, identity: [IAM_ALLOW_DECRYPT], want: ok('key-policy+iam') },
  // Key policy naming the caller directly
  { name: 'key policy names the user: no IAM needed', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(alice.arn), 'kms:Decrypt')), want: ok('key-policy') },
  { name: 'key policy names the user for another action', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(alice.arn), 'kms:Encrypt')), identity: [IAM_ALLOW_DECRYPT], want: no('no-resource-policy') },
  { name: 'key policy names the role: its session is allowed', principal: session, keyPolicy: keyPolicy(allowTo(AWS(session.roleArn ?? ''))), want: ok('key-policy') },
  { name: 'key policy names the session', principal: session, keyPolicy: keyPolicy(allowTo(AWS(session.arn))), want: ok('key-policy') },
  { name: 'key policy Principal "*" in the same account', principal: alice, keyPolicy: keyPolicy(allowTo('*')), want: ok('key-policy') },
  { name: 'key policy allow with a condition that holds', principal: alice, keyPolicy: keyPolicy(allowTo('*', 'kms:Decrypt', { Condition: { StringEquals: { 'kms:CallerAccount': ACCT } } })), extra: { 'kms:CallerAccount': ACCT }, want: ok('key-policy') },
  { name: 'key policy allow with a condition that fails', principal: alice, keyPolicy: keyPolicy(allowTo('*', 'kms:Decrypt', { Condition: { StringEquals: { 'kms:EncryptionContext:dept': 'IT' } } })), extra: { 'kms:EncryptionContext:dept': 'HR' }, want: no('no-resource-policy') },
  { name: 'key policy statement for the root user also covers the root user', principal: root, keyPolicy: keyPolicy(allowTo(AWS(ACCT))), want: ok('key-policy') },
  // Explicit denies
  { name: 'key policy Deny beats its own Allow', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(alice.arn)), denyTo(AWS(alice.arn), 'kms:Decrypt')), want: no('explicit-deny-resource') },
  { name: 'key policy Deny applies to the root user', principal: root, keyPolicy: keyPolicy(allowTo(AWS(ACCT)), denyTo('*', 'kms:Decrypt')), want: no('explicit-deny-resource') },
  { name: 'key policy Deny beats a grant', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(ACCT)), denyTo('*', 'kms:Decrypt')), grants: [grant({ granteePrincipal: alice.arn })], grantOperation: 'Decrypt', want: no('explicit-deny-resource') },
  { name: 'key policy Deny with a condition (not over TLS)', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(alice.arn)), denyTo('*', 'kms:*', { Condition: { Bool: { 'aws:SecureTransport': 'false' } } })), want: ok('key-policy') },
  { name: 'key policy Deny with NotPrincipal spares the listed user', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(alice.arn)), { Effect: 'Deny', NotPrincipal: AWS([alice.arn, ACCT]), Action: 'kms:*', Resource: '*' }), want: ok('key-policy') },
  { name: 'key policy Deny with NotPrincipal hits the others', principal: session, keyPolicy: keyPolicy(allowTo('*'), { Effect: 'Deny', NotPrincipal: AWS([alice.arn, ACCT]), Action: 'kms:*', Resource: '*' }), want: no('explicit-deny-resource') },
  { name: 'identity Deny beats a key policy naming the user', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(alice.arn))), identity: [IAM_DENY_DECRYPT], want: no('explicit-deny-identity') },
  { name: 'identity Deny beats an identity Allow', principal: alice, keyPolicy: DEFAULT, identity: [IAM_ADMIN, IAM_DENY_DECRYPT], want: no('explicit-deny-identity') },
  { name: 'identity Deny beats a grant', principal: alice, keyPolicy: DEFAULT, identity: [IAM_DENY_DECRYPT], grants: [grant({ granteePrincipal: alice.arn })], grantOperation: 'Decrypt', want: no('explicit-deny-identity') },
  { name: 'identity Deny with NotAction', principal: alice, keyPolicy: DEFAULT, identity: [IAM_ADMIN, iam({ Effect: 'Deny', NotAction: 'kms:Encrypt', Resource: '*' })], want: no('explicit-deny-identity') },
  { name: 'key policy Deny is reported before an identity Deny', principal: alice, keyPolicy: keyPolicy(denyTo('*')), identity: [IAM_DENY_DECRYPT], want: no('explicit-deny-resource') },
  { name: 'the root user is not subject to its identity policies', principal: root, keyPolicy: DEFAULT, identity: [IAM_DENY_DECRYPT], want: ok('key-policy') },
  // Lockout
  { name: 'lockout: key policy without the account locks out the root user', principal: root, keyPolicy: keyPolicy(allowTo(AWS(alice.arn))), want: no('no-resource-policy') },
  { name: 'lockout: IAM admin cannot use a key whose policy does not name the account', principal: session, keyPolicy: keyPolicy(allowTo(AWS(alice.arn))), identity: [IAM_ADMIN], want: no('no-resource-policy') },
  { name: 'lockout: key policy naming only another account', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), identity: [IAM_ADMIN], want: no('no-resource-policy') },
  // Cross-account
  { name: 'cross-account: key policy names the account, its IAM allows', principal: bob, keyPolicy: keyPolicy(allowTo(AWS(`arn:aws:iam::${ACCT}:root`)), allowTo(AWS(OTHER), 'kms:Decrypt')), identity: [IAM_ALLOW_DECRYPT], want: ok('key-policy+iam') },
  { name: 'cross-account: key policy names the account, no IAM allow', principal: bob, keyPolicy: keyPolicy(allowTo(AWS(OTHER), 'kms:Decrypt')), want: no('no-identity-policy') },
  { name: 'cross-account: key policy names the user, no IAM allow', principal: bob, keyPolicy: keyPolicy(allowTo(AWS(bob.arn), 'kms:Decrypt')), want: no('no-identity-policy') },
  { name: 'cross-account: key policy names the user, its IAM allows', principal: bob, keyPolicy: keyPolicy(allowTo(AWS(bob.arn), 'kms:Decrypt')), identity: [IAM_ALLOW_ALL_KEYS], want: ok('key-policy+iam') },
  { name: 'cross-account: Principal "*" still needs the IAM allow', principal: bob, keyPolicy: keyPolicy(allowTo('*')), want: no('no-identity-policy') },
  { name: 'cross-account: root of the named account needs no IAM policy', principal: otherRoot, keyPolicy: keyPolicy(allowTo(AWS(OTHER), 'kms:Decrypt')), want: ok('key-policy') },
  { name: 'cross-account: IAM allow without the key policy naming the account', principal: bob, keyPolicy: DEFAULT, identity: [IAM_ADMIN], want: no('no-resource-policy') },
  { name: 'cross-account: IAM Deny of the other account', principal: bob, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), identity: [IAM_ADMIN, IAM_DENY_DECRYPT], want: no('explicit-deny-identity') },
  { name: 'cross-account: kms:CallerAccount condition in the key policy', principal: bob, keyPolicy: keyPolicy(allowTo('*', 'kms:Decrypt', { Condition: { StringEquals: { 'kms:CallerAccount': OTHER } } })), identity: [IAM_ALLOW_DECRYPT], extra: { 'kms:CallerAccount': OTHER }, want: ok('key-policy+iam') },
  // Service principals
  { name: 'service principal named by the key policy', principal: service, keyPolicy: keyPolicy(allowTo({ Service: 'logs.us-east-1.amazonaws.com' }, 'kms:Encrypt*')), action: 'kms:Encrypt', want: ok('key-policy') },
  { name: 'service principal not named', principal: service, keyPolicy: DEFAULT, action: 'kms:Encrypt', want: no('no-resource-policy') },
  // Grants
  { name: 'grant to the user allows without any policy', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: alice.arn, grantId: 'g-7' })], grantOperation: 'Decrypt', want: ok('grant', 'g-7') },
  { name: 'grant for another operation', principal: alice, keyPolicy: DEFAULT, grants: [grant({ granteePrincipal: alice.arn, operations: ['Encrypt'] })], grantOperation: 'Decrypt', want: no('no-identity-policy') },
  { name: 'grant to another grantee', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: bob.arn })], grantOperation: 'Decrypt', want: no('no-resource-policy') },
  { name: 'grant to the role covers its sessions', principal: session, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: session.roleArn ?? '' })], grantOperation: 'Decrypt', want: ok('grant', 'g-1') },
  { name: 'grant to the account root covers the root user', principal: root, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: root.arn })], grantOperation: 'Decrypt', want: ok('grant', 'g-1') },
  { name: 'grant to the account root does not cover its users', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: root.arn })], grantOperation: 'Decrypt', want: no('no-resource-policy') },
  { name: 'grant to a cross-account user', principal: bob, keyPolicy: DEFAULT, grants: [grant({ granteePrincipal: bob.arn })], grantOperation: 'Decrypt', want: ok('grant', 'g-1') },
  { name: 'grants are ignored when the request has no grant operation', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: alice.arn })], want: no('no-resource-policy') },
  { name: 'the second grant matches', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: bob.arn }), grant({ granteePrincipal: alice.arn, grantId: 'g-2' })], grantOperation: 'Decrypt', want: ok('grant', 'g-2') },
  { name: 'grant with EncryptionContextEquals: same context', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: alice.arn, constraints: { encryptionContextEquals: { dept: 'IT', app: 'x' } } })], grantOperation: 'Decrypt', encryptionContext: { app: 'x', dept: 'IT' }, want: ok('grant', 'g-1') },
  { name: 'grant with EncryptionContextEquals: larger context', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: alice.arn, constraints: { encryptionContextEquals: { dept: 'IT' } } })], grantOperation: 'Decrypt', encryptionContext: { dept: 'IT', app: 'x' }, want: no('no-resource-policy') },
  { name: 'grant with EncryptionContextSubset: larger context', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: alice.arn, constraints: { encryptionContextSubset: { dept: 'IT' } } })], grantOperation: 'Decrypt', encryptionContext: { dept: 'IT', app: 'x' }, want: ok('grant', 'g-1') },
  { name: 'grant with EncryptionContextSubset: no context', principal: alice, keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: alice.arn, constraints: { encryptionContextSubset: { dept: 'IT' } } })], grantOperation: 'Decrypt', want: no('no-resource-policy') },
  { name: 'grant constraints are ignored for DescribeKey', principal: alice, action: 'kms:DescribeKey', keyPolicy: keyPolicy(allowTo(AWS(OTHER))), grants: [grant({ granteePrincipal: alice.arn, operations: ['DescribeKey'], constraints: { encryptionContextEquals: { dept: 'IT' } } })], grantOperation: 'DescribeKey', want: ok('grant', 'g-1') },
  // Account-level actions
  { name: 'account-level: root user', principal: root, action: 'kms:CreateKey', resource: '*', want: ok('iam') },
  { name: 'account-level: IAM allow', principal: alice, action: 'kms:CreateKey', resource: '*', identity: [iam({ Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' })], want: ok('iam') },
  { name: 'account-level: no IAM policy', principal: alice, action: 'kms:CreateKey', resource: '*', want: no('no-identity-policy') },
  { name: 'account-level: IAM allow scoped to keys does not cover *', principal: alice, action: 'kms:CreateKey', resource: '*', identity: [IAM_ALLOW_ALL_KEYS], want: no('no-identity-policy') },
  { name: 'account-level: IAM Deny', principal: alice, action: 'kms:ListKeys', resource: '*', identity: [IAM_ADMIN, iam({ Effect: 'Deny', Action: 'kms:List*', Resource: '*' })], want: no('explicit-deny-identity') },
  { name: 'account-level: IAM allow with a kms:KeySpec condition', principal: session, action: 'kms:CreateKey', resource: '*', identity: [iam({ Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*', Condition: { StringEquals: { 'kms:KeySpec': 'SYMMETRIC_DEFAULT' } } })], extra: { 'kms:KeySpec': 'RSA_2048' }, want: no('no-identity-policy') },
  { name: 'account-level: alias resource', principal: alice, action: 'kms:CreateAlias', resource: `arn:aws:kms:us-east-1:${ACCT}:alias/app`, identity: [iam({ Effect: 'Allow', Action: 'kms:CreateAlias', Resource: 'arn:aws:kms:*:*:alias/app*' })], want: ok('iam') },
  { name: 'account-level: the root user ignores identity Denies', principal: root, action: 'kms:GenerateRandom', resource: '*', identity: [iam({ Effect: 'Deny', Action: '*', Resource: '*' })], want: ok('iam') },
];

for (const r of rows) {
  test(`kms: ${r.name}`, () => {
    assert.deepEqual(decide(r), r.want);
  });
}

const g = (constraints?: GrantInfo['constraints'], operations: string[] = ['Decrypt', 'Encrypt', 'RetireGrant']): GrantInfo => ({
  grantId: 'g',
  granteePrincipal: alice.arn,
  operations,
  ...(constraints ? { constraints } : {}),
});

const grantRows: readonly (readonly [string, GrantInfo, PrincipalInfo, string, Readonly<Record<string, string>> | undefined, boolean])[] = [
  ['no constraints', g(), alice, 'Decrypt', undefined, true],
  ['operation not granted', g(), alice, 'GenerateDataKey', undefined, false],
  ['operation names are exact', g(), alice, 'decrypt', undefined, false],
  ['other grantee', g(), bob, 'Decrypt', undefined, false],
  ['Equals: exact context', g({ encryptionContextEquals: { a: '1' } }), alice, 'Encrypt', { a: '1' }, true],
  ['Equals: value differs in case', g({ encryptionContextEquals: { a: 'x' } }), alice, 'Encrypt', { a: 'X' }, false],
  ['Equals: missing pair', g({ encryptionContextEquals: { a: '1', b: '2' } }), alice, 'Encrypt', { a: '1' }, false],
  ['Equals: no context', g({ encryptionContextEquals: { a: '1' } }), alice, 'Encrypt', undefined, false],
  ['Equals: empty context is no context', g({ encryptionContextEquals: { a: '1' } }), alice, 'Encrypt', {}, false],
  ['Subset: exact context', g({ encryptionContextSubset: { a: '1' } }), alice, 'Decrypt', { a: '1' }, true],
  ['Subset: superset context', g({ encryptionContextSubset: { a: '1' } }), alice, 'Decrypt', { a: '1', b: '2' }, true],
  ['Subset: other value', g({ encryptionContextSubset: { a: '1' } }), alice, 'Decrypt', { a: '2' }, false],
  ['Subset: empty constraint, no context', g({ encryptionContextSubset: {} }), alice, 'Decrypt', undefined, true],
  ['Subset: empty constraint, any context', g({ encryptionContextSubset: {} }), alice, 'Decrypt', { z: '9' }, true],
  ['constraints ignored for RetireGrant', g({ encryptionContextEquals: { a: '1' } }), alice, 'RetireGrant', undefined, true],
  ['inherited key names are not context pairs', g({ encryptionContextSubset: { toString: 'x' } }), alice, 'Decrypt', { a: '1' }, false],
];

for (const [name, gr, p, op, ec, want] of grantRows) {
  test(`grantAllows: ${name}`, () => {
    assert.equal(grantAllows(gr, p, op, ec), want);
  });
}

const messages: readonly (readonly [Decision & { allowed: false }, string])[] = [
  [
    { allowed: false, reason: 'no-resource-policy' },
    `User: ${alice.arn} is not authorized to perform: kms:Decrypt on resource: ${KEY} because no resource-based policy allows the kms:Decrypt action`,
  ],
  [
    { allowed: false, reason: 'no-identity-policy' },
    `User: ${alice.arn} is not authorized to perform: kms:Decrypt on resource: ${KEY} because no identity-based policy allows the kms:Decrypt action`,
  ],
  [
    { allowed: false, reason: 'explicit-deny-resource' },
    `User: ${alice.arn} is not authorized to perform: kms:Decrypt on resource: ${KEY} with an explicit deny in a resource-based policy`,
  ],
  [
    { allowed: false, reason: 'explicit-deny-identity' },
    `User: ${alice.arn} is not authorized to perform: kms:Decrypt on resource: ${KEY} with an explicit deny in an identity-based policy`,
  ],
];

for (const [d, want] of messages) {
  test(`accessDeniedMessage: ${d.reason}`, () => {
    assert.equal(accessDeniedMessage(alice.arn, 'kms:Decrypt', KEY, d), want);
  });
}
