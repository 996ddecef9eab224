/** parsePolicy: what it accepts, and each reason it rejects a document for. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, policySize, type PolicyKind } from './parse.ts';

const doc = (statement: unknown, version: string | undefined = '2012-10-17'): string =>
  JSON.stringify(version === undefined ? { Statement: statement } : { Version: version, Statement: statement });
const keyStmt = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' };
const idStmt = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' };
const trustStmt = { Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'sts:AssumeRole' };

function outcome(text: string, kind: PolicyKind, maxBytes?: number): string {
  try {
    parsePolicy(text, kind, maxBytes === undefined ? undefined : { maxBytes });
    return 'ok';
  } catch (e) {
    const err = e as Error & { code: string };
    return `${err.code}: ${err.message}`;
  }
}

const M = 'MalformedPolicyDocumentException: ';
const rows: readonly (readonly [string, string, PolicyKind, string])[] = [
  // accepted
  ['key policy', doc(keyStmt), 'resource', 'ok'],
  ['Statement as a single object', doc(keyStmt), 'resource', 'ok'],
  ['no Version (2008-10-17)', doc([keyStmt], undefined), 'resource', 'ok'],
  ['Version 2008-10-17', doc([keyStmt], '2008-10-17'), 'resource', 'ok'],
  ['Principal *', doc({ ...keyStmt, Principal: '*' }), 'resource', 'ok'],
  ['all principal forms', doc({ ...keyStmt, Principal: { AWS: ['*', '111122223333', 'arn:aws:iam::111122223333:user/a/b', 'arn:aws:iam::111122223333:role/r', 'arn:aws:sts::111122223333:assumed-role/r/s', 'AIDAEXAMPLE000000000'], Service: 'logs.amazonaws.com' } }), 'resource', 'ok'],
  ['key policy statement without Action or Resource', doc({ Effect: 'Allow', Principal: '*' }), 'resource', 'ok'],
  ['identity policy', doc(idStmt), 'identity', 'ok'],
  ['identity policy with NotAction and NotResource', doc({ Effect: 'Deny', NotAction: 'kms:Decrypt', NotResource: 'arn:aws:kms:*:*:key/*' }), 'identity', 'ok'],
  ['trust policy', doc(trustStmt), 'trust', 'ok'],
  ['trust policy with sts:* and sts:TagSession', doc({ ...trustStmt, Action: ['sts:AssumeRole*', 'sts:TagSession'] }), 'trust', 'ok'],
  ['every operator form', doc({ ...idStmt, Condition: { 'ForAnyValue:StringLikeIfExists': { 'aws:TagKeys': ['a*'] }, NumericLessThan: { 's3:max-keys': 10 }, DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' }, IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '::1'] }, BinaryEquals: { 'x:y': 'AAAA' }, Null: { 'x:z': true }, Bool: { 'aws:SecureTransport': false } } }), 'identity', 'ok'],
  // rejected: document
  ['not JSON', 'not json', 'resource', `${M}Policy document is not valid JSON`],
  ['a JSON array', '[]', 'resource', `${M}Policy document must be a JSON object`],
  ['unknown top-level element', JSON.stringify({ Version: '2012-10-17', Statement: [keyStmt], Extra: 1 }), 'resource', `${M}Policy document has an unknown element 'Extra'`],
  ['unsupported Version', doc([keyStmt], '2020-01-01'), 'resource', `${M}Policy Version '2020-01-01' is not supported`],
  ['Id not a string', JSON.stringify({ Id: 5, Statement: [keyStmt] }), 'resource', `${M}Policy Id must be a string`],
  ['no Statement', JSON.stringify({ Version: '2012-10-17' }), 'resource', `${M}Policy document has no Statement`],
  ['empty Statement list', doc([]), 'resource', `${M}Policy document has no Statement`],
  ['Statement a string', doc('allow'), 'resource', `${M}Policy document has an invalid Statement`],
  // rejected: statement
  ['statement not an object', doc([keyStmt, 'x']), 'resource', `${M}Statement 2 is not an object`],
  ['unknown statement element', doc({ ...keyStmt, Extra: 1 }), 'resource', `${M}Statement 1 has an unknown element 'Extra'`],
  ['no Effect', doc([keyStmt, { Principal: '*', Action: 'kms:*', Resource: '*' }]), 'resource', `${M}Statement 2 has no Effect`],
  ['invalid Effect', doc({ ...keyStmt, Effect: 'allow' }), 'resource', `${M}Statement 1 has an invalid Effect 'allow'`],
  ['Sid not a string', doc({ ...keyStmt, Sid: 1 }), 'resource', `${M}Statement 1 has a Sid that is not a string`],
  ['Principal and NotPrincipal', doc({ ...keyStmt, NotPrincipal: { AWS: '*' } }), 'resource', `${M}Statement 1 has both Principal and NotPrincipal`],
  ['Action and NotAction', doc({ ...keyStmt, NotAction: 'kms:Decrypt' }), 'resource', `${M}Statement 1 has both Action and NotAction`],
  ['Resource and NotResource', doc({ ...idStmt, NotResource: '*' }), 'identity', `${M}Statement 1 has both Resource and NotResource`],
  ['resource policy without a principal', doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }), 'resource', `${M}Policy contains a statement with no principal.`],
  ['identity policy with a Principal', doc({ ...idStmt, Principal: '*' }), 'identity', `${M}Statement 1 has a Principal, which identity-based policies must not have`],
  ['unknown principal type', doc({ ...keyStmt, Principal: { Bogus: 'x' } }), 'resource', `${M}Policy contains a statement with one or more invalid principals.`],
  ['empty principal object', doc({ ...keyStmt, Principal: {} }), 'resource', `${M}Policy contains a statement with one or more invalid principals.`],
  ['partial wildcard in a principal', doc({ ...keyStmt, Principal: { AWS: 'arn:aws:iam::111122223333:user/*' } }), 'resource', `${M}Policy contains a statement with one or more invalid principals.`],
  ['malformed account id', doc({ ...keyStmt, Principal: { AWS: '1234' } }), 'resource', `${M}Policy contains a statement with one or more invalid principals.`],
  ['Action not a string', doc({ ...keyStmt, Action: 42 }), 'resource', `${M}Statement 1 has an invalid Action`],
  ['Action without a service prefix', doc({ ...idStmt, Action: 'Decrypt' }), 'identity', `${M}Statement 1 has an invalid Action 'Decrypt'`],
  ['identity statement without Action', doc({ Effect: 'Allow', Resource: '*' }), 'identity', `${M}Statement 1 has no Action or NotAction`],
  ['identity statement without Resource', doc({ Effect: 'Allow', Action: 'kms:*' }), 'identity', `${M}Statement 1 has no Resource or NotResource`],
  ['identity Resource not an ARN', doc({ ...idStmt, Resource: 'key/1' }), 'identity', `${M}Statement 1 has an invalid Resource 'key/1'`],
  ['empty Resource list', doc({ ...idStmt, Resource: [] }), 'identity', `${M}Statement 1 has an invalid Resource`],
  ['trust policy without Principal', doc({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'trust', `${M}Statement 1 has no Principal or NotPrincipal`],
  ['trust policy with a non-STS action', doc({ ...trustStmt, Action: ['sts:AssumeRole', 'kms:Decrypt'] }), 'trust', `${M}Statement 1 of a trust policy has a non-STS Action 'kms:Decrypt'`],
  ['trust policy without sts:AssumeRole*', doc({ ...trustStmt, Action: 'sts:TagSession' }), 'trust', `${M}Statement 1 of a trust policy must have an Action sts:AssumeRole*`],
  ['trust policy with a Resource', doc({ ...trustStmt, Resource: '*' }), 'trust', `${M}Statement 1 of a trust policy must not have a Resource`],
  ['duplicate Sid in an identity policy', doc([{ ...idStmt, Sid: 'A' }, { ...idStmt, Sid: 'A' }]), 'identity', `${M}Statement IDs (SID) must be unique: 'A' appears twice`],
  // rejected: conditions
  ['Condition not an object', doc({ ...keyStmt, Condition: 'yes' }), 'resource', `${M}Statement 1 has an invalid Condition`],
  ['unknown condition operator', doc({ ...keyStmt, Condition: { StringMatches: { 'aws:username': 'a' } } }), 'resource', `${M}Statement 1 has an unknown condition operator 'StringMatches'`],
  ['NullIfExists is not an operator', doc({ ...keyStmt, Condition: { NullIfExists: { 'aws:username': 'true' } } }), 'resource', `${M}Statement 1 has an unknown condition operator 'NullIfExists'`],
  ['unknown set prefix', doc({ ...keyStmt, Condition: { 'ForSomeValues:StringEquals': { 'aws:TagKeys': 'a' } } }), 'resource', `${M}Statement 1 has an unknown condition operator 'ForSomeValues:StringEquals'`],
  ['operator block not an object', doc({ ...keyStmt, Condition: { StringEquals: 'a' } }), 'resource', `${M}Statement 1 has an invalid Condition block for 'StringEquals'`],
  ['condition key without a prefix', doc({ ...keyStmt, Condition: { StringEquals: { username: 'a' } } }), 'resource', `${M}Statement 1 has an invalid condition key 'username'`],
  ['condition value an object', doc({ ...keyStmt, Condition: { StringEquals: { 'aws:username': { a: 1 } } } }), 'resource', `${M}Statement 1 has an invalid value for condition key 'aws:username'`],
  ['condition value an empty list', doc({ ...keyStmt, Condition: { StringEquals: { 'aws:username': [] } } }), 'resource', `${M}Statement 1 has an invalid value for condition key 'aws:username'`],
  ['Numeric value not a number', doc({ ...keyStmt, Condition: { NumericLessThan: { 's3:max-keys': 'ten' } } }), 'resource', `${M}Statement 1 has an invalid NumericLessThan value 'ten' for condition key 's3:max-keys'`],
  ['Date value not a date', doc({ ...keyStmt, Condition: { DateGreaterThan: { 'aws:CurrentTime': 'yesterday' } } }), 'resource', `${M}Statement 1 has an invalid DateGreaterThan value 'yesterday' for condition key 'aws:CurrentTime'`],
  ['Bool value not a boolean', doc({ ...keyStmt, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }), 'resource', `${M}Statement 1 has an invalid Bool value 'yes' for condition key 'aws:SecureTransport'`],
  ['BinaryEquals value not base64', doc({ ...keyStmt, Condition: { BinaryEquals: { 'x:y': 'not base64!' } } }), 'resource', `${M}Statement 1 has an invalid BinaryEquals value 'not base64!' for condition key 'x:y'`],
  ['IpAddress value not a CIDR', doc({ ...keyStmt, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.256/8' } } }), 'resource', `${M}Statement 1 has an invalid IpAddress value '10.0.0.256/8' for condition key 'aws:SourceIp'`],
  ['IpAddress prefix too long', doc({ ...keyStmt, Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } }), 'resource', `${M}Statement 1 has an invalid NotIpAddress value '10.0.0.0/33' for condition key 'aws:SourceIp'`],
  ['IPv6 with two ::', doc({ ...keyStmt, Condition: { IpAddress: { 'aws:SourceIp': '2001::db8::1' } } }), 'resource', `${M}Statement 1 has an invalid IpAddress value '2001::db8::1' for condition key 'aws:SourceIp'`],
  ['Null value not a boolean', doc({ ...keyStmt, Condition: { Null: { 'aws:username': 'maybe' } } }), 'resource', `${M}Statement 1 has an invalid Null value 'maybe' for condition key 'aws:username'`],
];

for (const [name, text, kind, want] of rows) {
  test(`parse: ${name}`, () => {
    assert.equal(outcome(text, kind), want);
  });
}

test('parse: a key policy over 32 KB is LimitExceededException', () => {
  const big = doc({ ...keyStmt, Sid: 'x'.repeat(32_768) });
  assert.equal(outcome(big, 'resource'), 'LimitExceededException: Policy document exceeds the maximum size of 32768 bytes');
});

test('parse: identity policies count characters without white space (6144 by default; maxBytes overrides)', () => {
  const text = doc({ ...idStmt, Sid: 'x'.repeat(6_000) });
  assert.equal(outcome(text, 'identity'), 'ok');
  const spaced = doc(idStmt).replace('{', `{${' \n'.repeat(4_000)}`);
  assert.ok(spaced.length > 6_144 && policySize(spaced, 'identity') < 6_144);
  assert.equal(outcome(spaced, 'identity'), 'ok');
  const over = doc({ ...idStmt, Sid: 'x'.repeat(6_144) });
  assert.equal(outcome(over, 'identity'), 'LimitExceededException: Policy document exceeds the maximum size of 6144 characters');
  assert.equal(outcome(over, 'identity', 10_240), 'ok');
});

test('parse: the normalized statement', () => {
  const p = parsePolicy(
    doc([{ Sid: 'S', Effect: 'Deny', Principal: { AWS: ['111122223333', 'arn:aws:iam::111122223333:user/alice'] }, Action: ['KMS:Decrypt', 'kms:Generate*'], Resource: '*', Condition: { StringEqualsIgnoreCase: { 'KMS:ViaService': 'S3.us-east-1.amazonaws.com' } } }]),
    'resource',
  );
  assert.equal(p.version, '2012-10-17');
  const s = p.statements[0];
  assert.ok(s);
  assert.equal(s.sid, 'S');
  assert.equal(s.effect, 'Deny');
  assert.deepEqual([...(s.principal?.accounts ?? [])], ['111122223333']);
  assert.deepEqual([...(s.principal?.arns ?? [])], ['arn:aws:iam::111122223333:user/alice']);
  assert.deepEqual(s.action?.[0], { kind: 'exact', value: 'kms:decrypt' });
  assert.equal(s.action?.[1]?.kind, 'glob');
  assert.deepEqual(s.resource, [{ kind: 'any' }]);
  assert.equal(s.conditions[0]?.key, 'kms:viaservice');
  assert.deepEqual(s.conditions[0]?.values, ['s3.us-east-1.amazonaws.com']);
  assert.equal(p.text.includes('KMS:Decrypt'), true);
});
