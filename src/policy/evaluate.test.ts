/**
 * Statement matching, table-driven: Action/NotAction, Resource/NotResource, Principal/NotPrincipal
 * (resource policies report how the caller was named), policy variables, request keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, type PolicyKind } from './parse.ts';
import { evaluatePolicy, requestConditions, type PrincipalInfo } from './evaluate.ts';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ALIAS = (n: string): string => `arn:aws:kms:us-east-1:111122223333:alias/${n}`;
const NOW = new Date('2024-06-01T12:00:00Z');

const alice: PrincipalInfo = {
  arn: 'arn:aws:iam::111122223333:user/dev/alice',
  accountId: '111122223333',
  type: 'IAMUser',
  userId: 'AIDAALICE00000000000',
  username: 'alice',
  tags: { team: 'blue', 'cost-center': '42' },
};
const root: PrincipalInfo = { arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333', type: 'Root', userId: '111122223333' };
const session: PrincipalInfo = {
  arn: 'arn:aws:sts::111122223333:assumed-role/App/s1',
  accountId: '111122223333',
  type: 'AssumedRole',
  userId: 'AROAAPP0000000000000:s1',
  roleArn: 'arn:aws:iam::111122223333:role/svc/App',
  tags: { team: 'red' },
};
const bob: PrincipalInfo = { arn: 'arn:aws:iam::444455556666:user/bob', accountId: '444455556666', type: 'IAMUser', userId: 'AIDABOB000000000000', username: 'bob' };
const service: PrincipalInfo = { arn: 'dynamodb.amazonaws.com', accountId: '', type: 'Service', userId: 'dynamodb.amazonaws.com' };
const starUser: PrincipalInfo = { ...alice, arn: 'arn:aws:iam::111122223333:user/x*', username: 'x*' };

interface Row {
  readonly name: string;
  readonly kind?: PolicyKind;
  readonly version?: string;
  readonly statement: Record<string, unknown>;
  readonly action?: string;
  readonly resource?: string;
  readonly principal?: PrincipalInfo;
  readonly extra?: Readonly<Record<string, string | readonly string[]>>;
  /** 'none' = the statement does not apply; otherwise the principalMatch ('-' for identity policies). */
  readonly want: 'none' | '-' | 'principal' | 'account';
}

function outcome(r: Row): Row['want'] {
  const kind = r.kind ?? 'identity';
  const doc = { Version: r.version ?? '2012-10-17', Statement: [{ Effect: 'Allow', ...r.statement }] };
  const policy = parsePolicy(JSON.stringify(doc), kind);
  const principal = r.principal ?? alice;
  const conditions = requestConditions(principal, { now: NOW, sourceIp: '203.0.113.7', secureTransport: true }, r.extra);
  const { allows } = evaluatePolicy(policy, { action: r.action ?? 'kms:Decrypt', resource: r.resource ?? KEY, principal, conditions }, kind);
  if (allows.length === 0) return 'none';
  return allows[0]?.principalMatch ?? '-';
}

const AWS = (v: string | string[]): Record<string, unknown> => ({ AWS: v });
const keyStmt = (principal: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ Principal: principal, Action: 'kms:*', Resource: '*', ...extra });

const rows: readonly Row[] = [
  // Action
  { name: 'Action kms:* matches kms:Decrypt', statement: { Action: 'kms:*', Resource: '*' }, want: '-' },
  { name: 'Action * matches everything', statement: { Action: '*', Resource: '*' }, want: '-' },
  { name: 'Action names are case-insensitive', statement: { Action: 'KMS:decrypt', Resource: '*' }, want: '-' },
  { name: 'Action prefix wildcard', statement: { Action: 'kms:Generate*', Resource: '*' }, action: 'kms:GenerateDataKeyWithoutPlaintext', want: '-' },
  { name: 'Action prefix wildcard does not match others', statement: { Action: 'kms:Generate*', Resource: '*' }, want: 'none' },
  { name: 'Action ? wildcard', statement: { Action: 'kms:?ecrypt', Resource: '*' }, want: '-' },
  { name: 'Action list is ORed', statement: { Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' }, want: '-' },
  { name: 'Action of another service', statement: { Action: 's3:*', Resource: '*' }, want: 'none' },
  { name: 'Action must match the whole name', statement: { Action: 'kms:Decrypt', Resource: '*' }, action: 'kms:DecryptX', want: 'none' },
  { name: 'NotAction: action not listed applies', statement: { NotAction: 'kms:Decrypt', Resource: '*' }, action: 'kms:Encrypt', want: '-' },
  { name: 'NotAction: listed action does not apply', statement: { NotAction: 'kms:Decrypt', Resource: '*' }, want: 'none' },
  { name: 'NotAction with wildcard', statement: { NotAction: ['kms:Create*', 'kms:Delete*'], Resource: '*' }, action: 'kms:CreateKey', want: 'none' },
  // Resource
  { name: 'Resource exact key ARN', statement: { Action: 'kms:*', Resource: KEY }, want: '-' },
  { name: 'Resource wildcard for region and key', statement: { Action: 'kms:*', Resource: 'arn:aws:kms:*:111122223333:key/*' }, want: '-' },
  { name: 'Resource of another account', statement: { Action: 'kms:*', Resource: 'arn:aws:kms:*:444455556666:key/*' }, want: 'none' },
  { name: 'Resource matching is case-sensitive', statement: { Action: 'kms:*', Resource: KEY.toUpperCase().replace('ARN:AWS:KMS', 'arn:aws:kms') }, want: 'none' },
  { name: 'Resource * for account-level actions', statement: { Action: 'kms:CreateKey', Resource: '*' }, action: 'kms:CreateKey', resource: '*', want: '-' },
  { name: 'a key ARN does not cover an account-level resource *', statement: { Action: 'kms:CreateKey', Resource: 'arn:aws:kms:*:111122223333:key/*' }, action: 'kms:CreateKey', resource: '*', want: 'none' },
  { name: 'Resource ? wildcard', statement: { Action: 'kms:*', Resource: 'arn:aws:kms:us-east-?:111122223333:key/*' }, want: '-' },
  { name: 'NotResource: other resource applies', statement: { Action: 'kms:*', NotResource: 'arn:aws:kms:*:*:alias/*' }, want: '-' },
  { name: 'NotResource: listed resource does not apply', statement: { Action: 'kms:*', NotResource: 'arn:aws:kms:*:*:key/*' }, want: 'none' },
  { name: 'resource policy: Resource * is the key', kind: 'resource', statement: keyStmt('*'), want: 'principal' },
  { name: 'resource policy: Resource naming the key', kind: 'resource', statement: { Principal: '*', Action: 'kms:*', Resource: KEY }, want: 'principal' },
  { name: 'resource policy: no Resource matches nothing', kind: 'resource', statement: { Principal: '*', Action: 'kms:*' }, want: 'none' },
  { name: 'resource policy: no Action matches nothing', kind: 'resource', statement: { Principal: '*', Resource: '*' }, want: 'none' },
  // Principal
  { name: 'Principal "*" names the caller', kind: 'resource', statement: keyStmt('*'), want: 'principal' },
  { name: 'Principal "*" names a service', kind: 'resource', statement: keyStmt('*'), principal: service, want: 'principal' },
  { name: 'Principal {"AWS":"*"} names the caller', kind: 'resource', statement: keyStmt(AWS('*')), want: 'principal' },
  { name: 'Principal {"AWS":"*"} does not name a service', kind: 'resource', statement: keyStmt(AWS('*')), principal: service, want: 'none' },
  { name: 'account id names the account of a user', kind: 'resource', statement: keyStmt(AWS('111122223333')), want: 'account' },
  { name: 'account root ARN names the account of a user', kind: 'resource', statement: keyStmt(AWS('arn:aws:iam::111122223333:root')), want: 'account' },
  { name: 'account root ARN names the root user itself', kind: 'resource', statement: keyStmt(AWS('arn:aws:iam::111122223333:root')), principal: root, want: 'principal' },
  { name: 'account id names the root user itself', kind: 'resource', statement: keyStmt(AWS('111122223333')), principal: root, want: 'principal' },
  { name: 'account root ARN names the account of a role session', kind: 'resource', statement: keyStmt(AWS('arn:aws:iam::111122223333:root')), principal: session, want: 'account' },
  { name: 'another account does not name the caller', kind: 'resource', statement: keyStmt(AWS('444455556666')), want: 'none' },
  { name: 'user ARN names the user', kind: 'resource', statement: keyStmt(AWS('arn:aws:iam::111122223333:user/dev/alice')), want: 'principal' },
  { name: 'user ARN without the path is another user', kind: 'resource', statement: keyStmt(AWS('arn:aws:iam::111122223333:user/alice')), want: 'none' },
  { name: 'role ARN names its sessions', kind: 'resource', statement: keyStmt(AWS('arn:aws:iam::111122223333:role/svc/App')), principal: session, want: 'principal' },
  { name: 'session ARN names the session', kind: 'resource', statement: keyStmt(AWS('arn:aws:sts::111122223333:assumed-role/App/s1')), principal: session, want: 'principal' },
  { name: 'another session name does not', kind: 'resource', statement: keyStmt(AWS('arn:aws:sts::111122223333:assumed-role/App/s2')), principal: session, want: 'none' },
  { name: 'a list names any of its principals', kind: 'resource', statement: keyStmt(AWS(['arn:aws:iam::111122223333:user/bob', 'arn:aws:iam::111122223333:user/dev/alice'])), want: 'principal' },
  { name: 'principal beats account in one list', kind: 'resource', statement: keyStmt(AWS(['111122223333', 'arn:aws:iam::111122223333:user/dev/alice'])), want: 'principal' },
  { name: 'unique id names the user', kind: 'resource', statement: keyStmt(AWS('AIDAALICE00000000000')), want: 'principal' },
  { name: 'unique role id names its sessions', kind: 'resource', statement: keyStmt(AWS('AROAAPP0000000000000')), principal: session, want: 'principal' },
  { name: 'Service principal names the service', kind: 'resource', statement: keyStmt({ Service: 'dynamodb.amazonaws.com' }), principal: service, want: 'principal' },
  { name: 'Service principal does not name a user', kind: 'resource', statement: keyStmt({ Service: 'dynamodb.amazonaws.com' }), want: 'none' },
  { name: 'an account principal does not name a service', kind: 'resource', statement: keyStmt(AWS('111122223333')), principal: service, want: 'none' },
  { name: 'cross-account user named by its account', kind: 'resource', statement: keyStmt(AWS('444455556666')), principal: bob, want: 'account' },
  { name: 'NotPrincipal: caller not listed is covered', kind: 'resource', statement: { NotPrincipal: AWS('arn:aws:iam::111122223333:user/bob'), Action: 'kms:*', Resource: '*' }, want: 'principal' },
  { name: 'NotPrincipal: listed caller is not covered', kind: 'resource', statement: { NotPrincipal: AWS(['arn:aws:iam::111122223333:user/dev/alice', '111122223333']), Action: 'kms:*', Resource: '*' }, want: 'none' },
  { name: 'NotPrincipal: role ARN excludes its sessions', kind: 'resource', statement: { NotPrincipal: AWS('arn:aws:iam::111122223333:role/svc/App'), Action: 'kms:*', Resource: '*' }, principal: session, want: 'none' },
  { name: 'NotPrincipal: naming only the account does not spare its users', kind: 'resource', statement: { NotPrincipal: AWS('111122223333'), Action: 'kms:*', Resource: '*' }, want: 'principal' },
  { name: 'NotPrincipal: naming the account spares its root user', kind: 'resource', statement: { NotPrincipal: AWS('arn:aws:iam::111122223333:root'), Action: 'kms:*', Resource: '*' }, principal: root, want: 'none' },
  { name: 'NotPrincipal: another session of the role is covered', kind: 'resource', statement: { NotPrincipal: AWS('arn:aws:sts::111122223333:assumed-role/App/s2'), Action: 'kms:*', Resource: '*' }, principal: session, want: 'principal' },
  { name: 'trust policy: Principal and sts:AssumeRole', kind: 'trust', statement: { Principal: AWS('111122223333'), Action: 'sts:AssumeRole' }, action: 'sts:AssumeRole', resource: 'arn:aws:iam::111122223333:role/App', want: 'account' },
  { name: 'trust policy: another action does not apply', kind: 'trust', statement: { Principal: AWS('111122223333'), Action: 'sts:AssumeRole' }, action: 'sts:TagSession', want: 'none' },
  // Policy variables
  { name: '${aws:username} in Resource', statement: { Action: 'kms:*', Resource: ALIAS('${aws:username}') }, resource: ALIAS('alice'), want: '-' },
  { name: '${aws:username} in Resource: other name', statement: { Action: 'kms:*', Resource: ALIAS('${aws:username}') }, resource: ALIAS('bob'), want: 'none' },
  { name: '${aws:username} absent (role session): no match', statement: { Action: 'kms:*', Resource: ALIAS('${aws:username}') }, resource: ALIAS('${aws:username}'), principal: session, want: 'none' },
  { name: "${aws:username, 'shared'} default when absent", statement: { Action: 'kms:*', Resource: ALIAS("${aws:username, 'shared'}") }, resource: ALIAS('shared'), principal: session, want: '-' },
  { name: 'default ignored when the key is present', statement: { Action: 'kms:*', Resource: ALIAS("${aws:username, 'shared'}") }, resource: ALIAS('shared'), want: 'none' },
  { name: "default with a doubled quote", statement: { Action: 'kms:*', Resource: ALIAS("${aws:username, 'it''s'}") }, resource: ALIAS("it's"), principal: session, want: '-' },
  { name: 'variable names are case-insensitive', statement: { Action: 'kms:*', Resource: ALIAS('${AWS:UserName}') }, resource: ALIAS('alice'), want: '-' },
  { name: 'substituted text is literal (a * in the name)', statement: { Action: 'kms:*', Resource: ALIAS('${aws:username}') }, resource: ALIAS('xyz'), principal: starUser, want: 'none' },
  { name: 'substituted text matches itself', statement: { Action: 'kms:*', Resource: ALIAS('${aws:username}') }, resource: ALIAS('x*'), principal: starUser, want: '-' },
  { name: 'variable next to a wildcard', statement: { Action: 'kms:*', Resource: ALIAS('${aws:username}-*') }, resource: ALIAS('alice-prod'), want: '-' },
  { name: '${aws:userid} in a condition', statement: { Action: 'kms:*', Resource: '*', Condition: { StringEquals: { 'coffer:Owner': '${aws:userid}' } } }, extra: { 'coffer:Owner': 'AIDAALICE00000000000' }, want: '-' },
  { name: '${aws:PrincipalTag/team} in StringLike', statement: { Action: 'kms:*', Resource: '*', Condition: { StringLike: { 'kms:RequestAlias': 'alias/${aws:PrincipalTag/team}-*' } } }, extra: { 'kms:RequestAlias': 'alias/blue-app' }, want: '-' },
  { name: '${aws:PrincipalTag/team} of another team', statement: { Action: 'kms:*', Resource: '*', Condition: { StringLike: { 'kms:RequestAlias': 'alias/${aws:PrincipalTag/team}-*' } } }, extra: { 'kms:RequestAlias': 'alias/red-app' }, want: 'none' },
  { name: 'aws:ResourceTag equals aws:PrincipalTag', statement: { Action: 'kms:*', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } } }, extra: { 'aws:ResourceTag/team': 'red' }, principal: session, want: '-' },
  { name: '${aws:SourceIp} in a condition', statement: { Action: 'kms:*', Resource: '*', Condition: { StringEquals: { 'coffer:Ip': '${aws:SourceIp}' } } }, extra: { 'coffer:Ip': '203.0.113.7' }, want: '-' },
  { name: '${aws:PrincipalAccount} in ArnLike', statement: { Action: 'kms:*', Resource: '*', Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::${aws:PrincipalAccount}-*' } } }, extra: { 'aws:SourceArn': 'arn:aws:s3:::111122223333-logs' }, want: '-' },
  { name: '${aws:username} in ArnEquals on aws:PrincipalArn', statement: { Action: 'kms:*', Resource: '*', Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:user/dev/${aws:username}' } } }, want: '-' },
  { name: 'variable in IgnoreCase', statement: { Action: 'kms:*', Resource: '*', Condition: { StringEqualsIgnoreCase: { 'coffer:Name': '${aws:username}' } } }, extra: { 'coffer:Name': 'ALICE' }, want: '-' },
  { name: 'variable in Bool', statement: { Action: 'kms:*', Resource: '*', Condition: { Bool: { 'coffer:Flag': '${coffer:Expected}' } } }, extra: { 'coffer:Flag': 'true', 'coffer:Expected': 'TRUE' }, want: '-' },
  { name: '${*} is a literal asterisk in StringLike', statement: { Action: 'kms:*', Resource: '*', Condition: { StringLike: { 'coffer:V': 'a${*}' } } }, extra: { 'coffer:V': 'ab' }, want: 'none' },
  { name: '${*} matches an asterisk', statement: { Action: 'kms:*', Resource: '*', Condition: { StringLike: { 'coffer:V': 'a${*}' } } }, extra: { 'coffer:V': 'a*' }, want: '-' },
  { name: '${?} is a literal question mark', statement: { Action: 'kms:*', Resource: '*', Condition: { StringLike: { 'coffer:V': 'why${?}' } } }, extra: { 'coffer:V': 'why?' }, want: '-' },
  { name: '${$} is a literal dollar', statement: { Action: 'kms:*', Resource: '*', Condition: { StringEquals: { 'coffer:V': '${$}{aws:username}' } } }, extra: { 'coffer:V': '${aws:username}' }, want: '-' },
  { name: 'an unresolvable variable in a condition: no match', statement: { Action: 'kms:*', Resource: '*', Condition: { StringNotEquals: { 'coffer:V': '${aws:username}' } } }, principal: session, want: 'none' },
  { name: 'an unresolvable variable in NotResource: no match', statement: { Action: 'kms:*', NotResource: ALIAS('${aws:username}') }, principal: session, want: 'none' },
  { name: '2008-10-17: ${...} is literal text', version: '2008-10-17', statement: { Action: 'kms:*', Resource: ALIAS('${aws:username}') }, resource: ALIAS('alice'), want: 'none' },
  { name: '2008-10-17: ${...} matches itself', version: '2008-10-17', statement: { Action: 'kms:*', Resource: ALIAS('${aws:username}') }, resource: ALIAS('${aws:username}'), want: '-' },
  { name: 'a malformed ${ is literal', statement: { Action: 'kms:*', Resource: ALIAS('${aws:username') }, resource: ALIAS('${aws:username'), want: '-' },
];

for (const r of rows) {
  test(`statement: ${r.name}`, () => {
    assert.equal(outcome(r), r.want);
  });
}

test('evaluatePolicy sorts matches into allows and denies with their Sids', () => {
  const policy = parsePolicy(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'A', Effect: 'Allow', Principal: AWS('111122223333'), Action: 'kms:*', Resource: '*' },
        { Sid: 'D', Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*' },
        { Sid: 'Other', Effect: 'Deny', Principal: '*', Action: 'kms:Encrypt', Resource: '*' },
      ],
    }),
    'resource',
  );
  const conditions = requestConditions(alice, { now: NOW, sourceIp: '203.0.113.7', secureTransport: true });
  const r = evaluatePolicy(policy, { action: 'kms:Decrypt', resource: KEY, principal: alice, conditions }, 'resource');
  assert.deepEqual(r.allows, [{ effect: 'Allow', sid: 'A', principalMatch: 'account' }]);
  assert.deepEqual(r.denies, [{ effect: 'Deny', sid: 'D', principalMatch: 'principal' }]);
});

test('condition maps with mixed-case names are accepted', () => {
  const policy = parsePolicy(JSON.stringify({ Statement: { Effect: 'Allow', Action: 'kms:*', Resource: '*', Condition: { StringEquals: { 'kms:CallerAccount': '1' } } } }), 'identity');
  const conditions = new Map([['kms:CallerAccount', ['1']]]);
  assert.equal(evaluatePolicy(policy, { action: 'kms:Decrypt', resource: KEY, principal: alice, conditions }, 'identity').allows.length, 1);
});

const keysOf = (p: PrincipalInfo): Map<string, readonly string[]> => requestConditions(p, { now: NOW, sourceIp: '198.51.100.9', secureTransport: false });

test('requestConditions: IAM user', () => {
  const m = keysOf(alice);
  assert.deepEqual(Object.fromEntries(m), {
    'aws:principalarn': ['arn:aws:iam::111122223333:user/dev/alice'],
    'aws:principalaccount': ['111122223333'],
    'aws:principaltype': ['User'],
    'aws:principalisawsservice': ['false'],
    'aws:userid': ['AIDAALICE00000000000'],
    'aws:username': ['alice'],
    'aws:principaltag/team': ['blue'],
    'aws:principaltag/cost-center': ['42'],
    'aws:currenttime': ['2024-06-01T12:00:00Z'],
    'aws:epochtime': ['1717243200'],
    'aws:sourceip': ['198.51.100.9'],
    'aws:securetransport': ['false'],
  });
});

test('requestConditions: role session has the role as aws:PrincipalArn and no aws:username', () => {
  const m = keysOf(session);
  assert.deepEqual(m.get('aws:principalarn'), ['arn:aws:iam::111122223333:role/svc/App']);
  assert.deepEqual(m.get('aws:principaltype'), ['AssumedRole']);
  assert.deepEqual(m.get('aws:userid'), ['AROAAPP0000000000000:s1']);
  assert.equal(m.has('aws:username'), false);
});

test('requestConditions: root user is an Account principal', () => {
  const m = keysOf(root);
  assert.deepEqual(m.get('aws:principaltype'), ['Account']);
  assert.deepEqual(m.get('aws:principalarn'), ['arn:aws:iam::111122223333:root']);
  assert.equal(m.has('aws:username'), false);
});

test('requestConditions: extra keys (strings, lists, booleans, numbers; undefined and [] are absent; extra wins)', () => {
  const m = requestConditions(alice, { now: NOW, sourceIp: '198.51.100.9', secureTransport: true }, {
    'kms:EncryptionContextKeys': ['a', 'b'],
    'kms:MultiRegion': false,
    'kms:ScheduleKeyDeletionPendingWindowInDays': 7,
    'kms:EncryptionContext:dept': 'IT',
    'kms:GrantOperations': [],
    'kms:ViaService': undefined,
    'aws:SourceIp': '10.0.0.1',
  });
  assert.deepEqual(m.get('kms:encryptioncontextkeys'), ['a', 'b']);
  assert.deepEqual(m.get('kms:multiregion'), ['false']);
  assert.deepEqual(m.get('kms:schedulekeydeletionpendingwindowindays'), ['7']);
  assert.deepEqual(m.get('kms:encryptioncontext:dept'), ['IT']);
  assert.equal(m.has('kms:grantoperations'), false);
  assert.equal(m.has('kms:viaservice'), false);
  assert.deepEqual(m.get('aws:sourceip'), ['10.0.0.1']);
});

test('requestConditions: service principal', () => {
  const m = keysOf(service);
  assert.deepEqual(m.get('aws:principalservicename'), ['dynamodb.amazonaws.com']);
  assert.deepEqual(m.get('aws:principalisawsservice'), ['true']);
  assert.equal(m.has('aws:principalarn'), false);
});

test('evaluation is fast: a parsed 20-statement policy evaluates in well under 100 µs', () => {
  const statements = [];
  for (let i = 0; i < 20; i++) {
    statements.push({
      Sid: `S${i}`,
      Effect: i % 5 === 0 ? 'Deny' : 'Allow',
      Principal: AWS([`arn:aws:iam::111122223333:user/u${i}`, '444455556666']),
      Action: ['kms:Encrypt', 'kms:Generate*', `kms:Describe${i}`],
      Resource: ['arn:aws:kms:*:111122223333:key/*', ALIAS('${aws:username}-*')],
      Condition: { StringEquals: { 'kms:CallerAccount': '111122223333' }, StringLike: { 'kms:EncryptionContext:app': 'app-*' }, IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
    });
  }
  statements.push({ Effect: 'Allow', Principal: AWS('111122223333'), Action: 'kms:*', Resource: '*' });
  const policy = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), 'resource');
  const conditions = requestConditions(alice, { now: NOW, sourceIp: '203.0.113.7', secureTransport: true }, { 'kms:CallerAccount': '111122223333', 'kms:EncryptionContext:app': 'app-1' });
  const req = { action: 'kms:GenerateDataKey', resource: KEY, principal: alice, conditions };
  for (let i = 0; i < 1000; i++) evaluatePolicy(policy, req, 'resource');
  const n = 20_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) evaluatePolicy(policy, req, 'resource');
  const perCallUs = Number(process.hrtime.bigint() - t0) / n / 1000;
  assert.equal(evaluatePolicy(policy, req, 'resource').allows.length, 1);
  assert.ok(perCallUs < 100, `evaluatePolicy took ${perCallUs.toFixed(2)} µs per call`);
});
