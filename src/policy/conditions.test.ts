/**
 * Condition operators, table-driven: each row is one identity-policy statement with one Condition
 * block, evaluated against a request with the given extra keys (absent key = not given).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from './parse.ts';
import { evaluatePolicy, requestConditions, type PrincipalInfo } from './evaluate.ts';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const NOW = new Date('2024-06-01T12:00:00Z');
const alice: PrincipalInfo = {
  arn: 'arn:aws:iam::111122223333:user/dev/alice',
  accountId: '111122223333',
  type: 'IAMUser',
  userId: 'AIDAALICE00000000000',
  username: 'alice',
  tags: { team: 'blue' },
};
const session: PrincipalInfo = {
  arn: 'arn:aws:sts::111122223333:assumed-role/App/s1',
  accountId: '111122223333',
  type: 'AssumedRole',
  userId: 'AROAAPP0000000000000:s1',
  roleArn: 'arn:aws:iam::111122223333:role/svc/App',
};

type Extra = Readonly<Record<string, string | readonly string[] | boolean | number>>;
interface Row {
  readonly name: string;
  readonly cond: Record<string, Record<string, unknown>>;
  readonly extra?: Extra;
  readonly principal?: PrincipalInfo;
  readonly secure?: boolean;
  readonly want: boolean;
}

function applies(r: Row): boolean {
  const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Condition: r.cond }] };
  const policy = parsePolicy(JSON.stringify(doc), 'identity');
  const principal = r.principal ?? alice;
  const conditions = requestConditions(principal, { now: NOW, sourceIp: '203.0.113.7', secureTransport: r.secure ?? true }, r.extra);
  return evaluatePolicy(policy, { action: 'kms:Decrypt', resource: KEY, principal, conditions }, 'identity').allows.length === 1;
}

const CA = 'kms:CallerAccount';
const X = 'coffer:Test';
const TAGS = 'aws:TagKeys';

const rows: readonly Row[] = [
  // String
  { name: 'StringEquals matches', cond: { StringEquals: { [CA]: '111122223333' } }, extra: { [CA]: '111122223333' }, want: true },
  { name: 'StringEquals is case-sensitive on values', cond: { StringEquals: { [X]: 'ABC' } }, extra: { [X]: 'abc' }, want: false },
  { name: 'StringEquals: values of one key are ORed', cond: { StringEquals: { [X]: ['x', 'y'] } }, extra: { [X]: 'y' }, want: true },
  { name: 'StringEquals: absent key is false', cond: { StringEquals: { [X]: 'x' } }, want: false },
  { name: 'StringEquals: key names are case-insensitive', cond: { StringEquals: { 'KMS:callerACCOUNT': '111122223333' } }, extra: { [CA]: '111122223333' }, want: true },
  { name: 'StringEquals: * is not a wildcard', cond: { StringEquals: { [X]: 'a*' } }, extra: { [X]: 'abc' }, want: false },
  { name: 'StringEquals: * matches itself', cond: { StringEquals: { [X]: 'a*' } }, extra: { [X]: 'a*' }, want: true },
  { name: 'StringEquals on a global key (aws:username)', cond: { StringEquals: { 'aws:username': 'alice' } }, want: true },
  { name: 'StringNotEquals: different value', cond: { StringNotEquals: { [X]: 'a' } }, extra: { [X]: 'b' }, want: true },
  { name: 'StringNotEquals: same value', cond: { StringNotEquals: { [X]: 'a' } }, extra: { [X]: 'a' }, want: false },
  { name: 'StringNotEquals: values are NORed (one equal)', cond: { StringNotEquals: { [X]: ['a', 'b'] } }, extra: { [X]: 'b' }, want: false },
  { name: 'StringNotEquals: values are NORed (none equal)', cond: { StringNotEquals: { [X]: ['a', 'b'] } }, extra: { [X]: 'c' }, want: true },
  { name: 'StringNotEquals: absent key is true', cond: { StringNotEquals: { [X]: 'a' } }, want: true },
  { name: 'StringEqualsIgnoreCase ignores case', cond: { StringEqualsIgnoreCase: { [X]: 'ABC' } }, extra: { [X]: 'abc' }, want: true },
  { name: 'StringEqualsIgnoreCase mismatch', cond: { StringEqualsIgnoreCase: { [X]: 'ABC' } }, extra: { [X]: 'abd' }, want: false },
  { name: 'StringEqualsIgnoreCase absent', cond: { StringEqualsIgnoreCase: { [X]: 'ABC' } }, want: false },
  { name: 'StringNotEqualsIgnoreCase: equal ignoring case', cond: { StringNotEqualsIgnoreCase: { [X]: 'ABC' } }, extra: { [X]: 'abc' }, want: false },
  { name: 'StringNotEqualsIgnoreCase: different', cond: { StringNotEqualsIgnoreCase: { [X]: 'ABC' } }, extra: { [X]: 'xyz' }, want: true },
  { name: 'StringNotEqualsIgnoreCase: absent key is true', cond: { StringNotEqualsIgnoreCase: { [X]: 'ABC' } }, want: true },
  { name: 'StringLike with *', cond: { StringLike: { 'kms:RequestAlias': 'alias/app-*' } }, extra: { 'kms:RequestAlias': 'alias/app-prod' }, want: true },
  { name: 'StringLike * matches empty', cond: { StringLike: { [X]: 'ab*' } }, extra: { [X]: 'ab' }, want: true },
  { name: 'StringLike ? matches one character', cond: { StringLike: { [X]: 'v?' } }, extra: { [X]: 'v1' }, want: true },
  { name: 'StringLike ? does not match two', cond: { StringLike: { [X]: 'v?' } }, extra: { [X]: 'v10' }, want: false },
  { name: 'StringLike is case-sensitive', cond: { StringLike: { [X]: 'Alias/*' } }, extra: { [X]: 'alias/x' }, want: false },
  { name: 'StringLike: wildcard in the middle', cond: { StringLike: { [X]: 'a*c*e' } }, extra: { [X]: 'abcXcde' }, want: true },
  { name: 'StringLike: regex characters are literal', cond: { StringLike: { [X]: 'a.c(*' } }, extra: { [X]: 'abc(' }, want: false },
  { name: 'StringLike: absent key is false', cond: { StringLike: { [X]: '*' } }, want: false },
  { name: 'StringNotLike: matching value', cond: { StringNotLike: { [X]: 'prod-*' } }, extra: { [X]: 'prod-1' }, want: false },
  { name: 'StringNotLike: non-matching value', cond: { StringNotLike: { [X]: 'prod-*' } }, extra: { [X]: 'dev-1' }, want: true },
  { name: 'StringNotLike: absent key is true', cond: { StringNotLike: { [X]: 'prod-*' } }, want: true },
  // Numeric
  { name: 'NumericEquals', cond: { NumericEquals: { [X]: '10' } }, extra: { [X]: '10' }, want: true },
  { name: 'NumericEquals compares numbers, not text', cond: { NumericEquals: { [X]: '10' } }, extra: { [X]: '10.0' }, want: true },
  { name: 'NumericEquals: non-numeric request value', cond: { NumericEquals: { [X]: '10' } }, extra: { [X]: 'ten' }, want: false },
  { name: 'NumericEquals: policy value as a JSON number', cond: { NumericEquals: { [X]: 30 } }, extra: { [X]: 30 }, want: true },
  { name: 'NumericEquals: absent key is false', cond: { NumericEquals: { [X]: '10' } }, want: false },
  { name: 'NumericNotEquals: different', cond: { NumericNotEquals: { [X]: '10' } }, extra: { [X]: '11' }, want: true },
  { name: 'NumericNotEquals: equal', cond: { NumericNotEquals: { [X]: '10' } }, extra: { [X]: '10' }, want: false },
  { name: 'NumericNotEquals: absent key is true', cond: { NumericNotEquals: { [X]: '10' } }, want: true },
  { name: 'NumericLessThan: less', cond: { NumericLessThan: { [X]: '10' } }, extra: { [X]: '9' }, want: true },
  { name: 'NumericLessThan: equal', cond: { NumericLessThan: { [X]: '10' } }, extra: { [X]: '10' }, want: false },
  { name: 'NumericLessThanEquals: equal', cond: { NumericLessThanEquals: { [X]: '10' } }, extra: { [X]: '10' }, want: true },
  { name: 'NumericLessThanEquals: greater', cond: { NumericLessThanEquals: { [X]: '10' } }, extra: { [X]: '10.5' }, want: false },
  { name: 'NumericGreaterThan: greater', cond: { NumericGreaterThan: { 'kms:ScheduleKeyDeletionPendingWindowInDays': '7' } }, extra: { 'kms:ScheduleKeyDeletionPendingWindowInDays': 30 }, want: true },
  { name: 'NumericGreaterThan: equal', cond: { NumericGreaterThan: { [X]: '7' } }, extra: { [X]: '7' }, want: false },
  { name: 'NumericGreaterThanEquals: equal', cond: { NumericGreaterThanEquals: { [X]: '7' } }, extra: { [X]: '7' }, want: true },
  { name: 'NumericGreaterThanEquals: negative numbers', cond: { NumericGreaterThanEquals: { [X]: '-1' } }, extra: { [X]: '-2' }, want: false },
  // Date (now = 2024-06-01T12:00:00Z)
  { name: 'DateGreaterThan aws:CurrentTime', cond: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }, want: true },
  { name: 'DateLessThan aws:CurrentTime', cond: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }, want: false },
  { name: 'DateLessThan with an epoch-seconds policy value', cond: { DateLessThan: { 'aws:CurrentTime': '1893456000' } }, want: true },
  { name: 'DateEquals aws:EpochTime against ISO 8601', cond: { DateEquals: { 'aws:EpochTime': '2024-06-01T12:00:00Z' } }, want: true },
  { name: 'DateEquals with a time zone offset', cond: { DateEquals: { 'aws:CurrentTime': '2024-06-01T14:00:00+02:00' } }, want: true },
  { name: 'DateNotEquals: different instant', cond: { DateNotEquals: { 'aws:CurrentTime': '2024-06-01T12:00:01Z' } }, want: true },
  { name: 'DateNotEquals: same instant', cond: { DateNotEquals: { 'aws:CurrentTime': '2024-06-01T12:00:00Z' } }, want: false },
  { name: 'DateLessThanEquals: same instant', cond: { DateLessThanEquals: { 'aws:CurrentTime': '2024-06-01T12:00:00Z' } }, want: true },
  { name: 'DateGreaterThanEquals: same instant', cond: { DateGreaterThanEquals: { 'aws:EpochTime': '1717243200' } }, want: true },
  { name: 'DateGreaterThanEquals: date-only value', cond: { DateGreaterThanEquals: { 'aws:CurrentTime': '2024-06-02' } }, want: false },
  { name: 'DateGreaterThan: absent key is false', cond: { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' } }, want: false },
  { name: 'DateNotEquals: absent key is true', cond: { DateNotEquals: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' } }, want: true },
  // Bool
  { name: 'Bool aws:SecureTransport true', cond: { Bool: { 'aws:SecureTransport': 'true' } }, want: true },
  { name: 'Bool aws:SecureTransport false over TLS', cond: { Bool: { 'aws:SecureTransport': 'false' } }, want: false },
  { name: 'Bool false over plain HTTP', cond: { Bool: { 'aws:SecureTransport': 'false' } }, secure: false, want: true },
  { name: 'Bool with a JSON boolean', cond: { Bool: { 'aws:SecureTransport': true } }, want: true },
  { name: 'Bool is case-insensitive', cond: { Bool: { 'kms:MultiRegion': 'TRUE' } }, extra: { 'kms:MultiRegion': 'true' }, want: true },
  { name: 'Bool: absent key is false', cond: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }, want: false },
  // Binary
  { name: 'BinaryEquals', cond: { BinaryEquals: { [X]: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } }, extra: { [X]: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' }, want: true },
  { name: 'BinaryEquals: other bytes', cond: { BinaryEquals: { [X]: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } }, extra: { [X]: 'AAAA' }, want: false },
  { name: 'BinaryEquals: absent key', cond: { BinaryEquals: { [X]: 'AAAA' } }, want: false },
  // IP
  { name: 'IpAddress in IPv4 CIDR', cond: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, want: true },
  { name: 'IpAddress outside IPv4 CIDR', cond: { IpAddress: { 'aws:SourceIp': '198.51.100.0/24' } }, want: false },
  { name: 'IpAddress without prefix is /32 (hit)', cond: { IpAddress: { 'aws:SourceIp': '203.0.113.7' } }, want: true },
  { name: 'IpAddress without prefix is /32 (miss)', cond: { IpAddress: { 'aws:SourceIp': '203.0.113.8' } }, want: false },
  { name: 'IpAddress /0 matches any IPv4', cond: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }, want: true },
  { name: 'IpAddress in IPv6 CIDR', cond: { IpAddress: { [X]: '2001:DB8:1234:5678::/64' } }, extra: { [X]: '2001:db8:1234:5678::1' }, want: true },
  { name: 'IpAddress outside IPv6 CIDR', cond: { IpAddress: { [X]: '2001:DB8:1234:5678::/64' } }, extra: { [X]: '2001:db8:1234:5679::1' }, want: false },
  { name: 'IpAddress: IPv6 range never matches an IPv4 address', cond: { IpAddress: { 'aws:SourceIp': '::/0' } }, want: false },
  { name: 'IpAddress: mixed IPv4 and IPv6 list', cond: { IpAddress: { 'aws:SourceIp': ['2001:DB8::/32', '203.0.113.0/24'] } }, want: true },
  { name: 'NotIpAddress outside the range', cond: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, want: true },
  { name: 'NotIpAddress inside the range', cond: { NotIpAddress: { 'aws:SourceIp': '203.0.0.0/8' } }, want: false },
  { name: 'NotIpAddress: absent key is true', cond: { NotIpAddress: { [X]: '10.0.0.0/8' } }, want: true },
  // ARN
  { name: 'ArnEquals', cond: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:user/dev/alice' } }, want: true },
  { name: 'ArnLike role with wildcard for a role session (aws:PrincipalArn is the role)', cond: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/*' } }, principal: session, want: true },
  { name: 'ArnLike region wildcard', cond: { ArnLike: { [X]: 'arn:aws:kms:*:111122223333:key/*' } }, extra: { [X]: KEY }, want: true },
  { name: 'ArnLike matches components separately (AWS doc example)', cond: { ArnLike: { [X]: 'arn:aws:someservice:*:111122223333:finance/*' } }, extra: { [X]: 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt' }, want: false },
  { name: 'StringLike matches the same example across colons', cond: { StringLike: { [X]: 'arn:aws:someservice:*:111122223333:finance/*' } }, extra: { [X]: 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt' }, want: true },
  { name: 'ArnLike: the resource component may contain colons', cond: { ArnLike: { [X]: 'arn:aws:lambda:us-east-1:111122223333:function:*' } }, extra: { [X]: 'arn:aws:lambda:us-east-1:111122223333:function:f:1' }, want: true },
  { name: 'ArnLike: other account', cond: { ArnLike: { [X]: 'arn:aws:kms:*:111122223333:key/*' } }, extra: { [X]: 'arn:aws:kms:us-east-1:444455556666:key/k' }, want: false },
  { name: 'ArnLike: request value is not an ARN', cond: { ArnLike: { [X]: 'arn:aws:kms:*:*:key/*' } }, extra: { [X]: 'key/k' }, want: false },
  { name: 'ArnLike: absent key is false', cond: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } }, want: false },
  { name: 'ArnNotEquals: different ARN', cond: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:user/bob' } }, want: true },
  { name: 'ArnNotEquals: same ARN', cond: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:user/dev/alice' } }, want: false },
  { name: 'ArnNotLike: matching pattern', cond: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/dev/*' } }, want: false },
  { name: 'ArnNotLike: absent key is true', cond: { ArnNotLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } }, want: true },
  // Null
  { name: 'Null true: key absent', cond: { Null: { 'aws:TokenIssueTime': 'true' } }, want: true },
  { name: 'Null true: key present', cond: { Null: { 'aws:username': 'true' } }, want: false },
  { name: 'Null false: key present', cond: { Null: { 'aws:username': 'false' } }, want: true },
  { name: 'Null false: key absent', cond: { Null: { 'aws:username': false } }, principal: session, want: false },
  { name: 'Null: an empty list is absent', cond: { Null: { [TAGS]: 'true' } }, extra: { [TAGS]: [] }, want: true },
  // ...IfExists
  { name: 'StringEqualsIfExists: absent key is true', cond: { StringEqualsIfExists: { [X]: 'a' } }, want: true },
  { name: 'StringEqualsIfExists: present and equal', cond: { StringEqualsIfExists: { [X]: 'a' } }, extra: { [X]: 'a' }, want: true },
  { name: 'StringEqualsIfExists: present and different', cond: { StringEqualsIfExists: { [X]: 'a' } }, extra: { [X]: 'b' }, want: false },
  { name: 'StringNotEqualsIfExists: absent key is true', cond: { StringNotEqualsIfExists: { [X]: 'a' } }, want: true },
  { name: 'StringNotEqualsIfExists: present and equal', cond: { StringNotEqualsIfExists: { [X]: 'a' } }, extra: { [X]: 'a' }, want: false },
  { name: 'StringLikeIfExists: absent key is true', cond: { StringLikeIfExists: { [X]: 'a*' } }, want: true },
  { name: 'NumericLessThanIfExists: absent key is true', cond: { NumericLessThanIfExists: { [X]: '5' } }, want: true },
  { name: 'NumericLessThanIfExists: present and too big', cond: { NumericLessThanIfExists: { [X]: '5' } }, extra: { [X]: '6' }, want: false },
  { name: 'DateGreaterThanIfExists: absent key is true', cond: { DateGreaterThanIfExists: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' } }, want: true },
  { name: 'BoolIfExists: absent key is true', cond: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } }, want: true },
  { name: 'IpAddressIfExists: present and outside', cond: { IpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } }, want: false },
  { name: 'IpAddressIfExists: absent key is true', cond: { IpAddressIfExists: { 'aws:VpcSourceIp': '10.0.0.0/8' } }, want: true },
  { name: 'ArnLikeIfExists: absent key is true', cond: { ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:s3:::bucket' } }, want: true },
  { name: 'BinaryEqualsIfExists: absent key is true', cond: { BinaryEqualsIfExists: { [X]: 'AAAA' } }, want: true },
  // Set operators
  { name: 'ForAllValues:StringEquals: every request value listed', cond: { 'ForAllValues:StringEquals': { [TAGS]: ['a', 'b'] } }, extra: { [TAGS]: ['a'] }, want: true },
  { name: 'ForAllValues:StringEquals: one value not listed', cond: { 'ForAllValues:StringEquals': { [TAGS]: ['a', 'b'] } }, extra: { [TAGS]: ['a', 'c'] }, want: false },
  { name: 'ForAllValues:StringEquals: absent key is true', cond: { 'ForAllValues:StringEquals': { [TAGS]: ['a'] } }, want: true },
  { name: 'ForAllValues:StringEquals: empty list is absent (true)', cond: { 'ForAllValues:StringEquals': { [TAGS]: ['a'] } }, extra: { [TAGS]: [] }, want: true },
  { name: 'ForAllValues:StringLike with wildcards', cond: { 'ForAllValues:StringLike': { [TAGS]: 'Created*' } }, extra: { [TAGS]: ['CreatedBy', 'CreatedAt'] }, want: true },
  { name: 'ForAnyValue:StringEquals: one value listed', cond: { 'ForAnyValue:StringEquals': { [TAGS]: ['a'] } }, extra: { [TAGS]: ['c', 'a'] }, want: true },
  { name: 'ForAnyValue:StringEquals: none listed', cond: { 'ForAnyValue:StringEquals': { [TAGS]: ['a'] } }, extra: { [TAGS]: ['c'] }, want: false },
  { name: 'ForAnyValue:StringEquals: absent key is false', cond: { 'ForAnyValue:StringEquals': { [TAGS]: ['a'] } }, want: false },
  { name: 'ForAnyValue:StringEqualsIfExists: absent key is still false', cond: { 'ForAnyValue:StringEqualsIfExists': { [TAGS]: ['a'] } }, want: false },
  { name: 'ForAllValues:StringNotEquals: no value listed', cond: { 'ForAllValues:StringNotEquals': { [TAGS]: ['Project'] } }, extra: { [TAGS]: ['Owner', 'Dept'] }, want: true },
  { name: 'ForAllValues:StringNotEquals: a listed value', cond: { 'ForAllValues:StringNotEquals': { [TAGS]: ['Project'] } }, extra: { [TAGS]: ['Owner', 'Project'] }, want: false },
  { name: 'ForAllValues:StringNotEquals: absent key is true', cond: { 'ForAllValues:StringNotEquals': { [TAGS]: ['Project'] } }, want: true },
  { name: 'ForAnyValue:StringNotEquals: some value not listed', cond: { 'ForAnyValue:StringNotEquals': { [TAGS]: ['Project'] } }, extra: { [TAGS]: ['Project', 'Owner'] }, want: true },
  { name: 'ForAnyValue:StringNotEquals: only listed values', cond: { 'ForAnyValue:StringNotEquals': { [TAGS]: ['Project'] } }, extra: { [TAGS]: ['Project'] }, want: false },
  { name: 'ForAnyValue:StringNotEquals: absent key is false', cond: { 'ForAnyValue:StringNotEquals': { [TAGS]: ['Project'] } }, want: false },
  { name: 'ForAnyValue:StringLike on kms:EncryptionContextKeys', cond: { 'ForAnyValue:StringLike': { 'kms:EncryptionContextKeys': 'app-*' } }, extra: { 'kms:EncryptionContextKeys': ['dept', 'app-id'] }, want: true },
  { name: 'ForAllValues:StringEquals on kms:GrantOperations', cond: { 'ForAllValues:StringEquals': { 'kms:GrantOperations': ['Decrypt', 'Encrypt'] } }, extra: { 'kms:GrantOperations': ['Decrypt', 'ReEncryptFrom'] }, want: false },
  { name: 'plain StringEquals on a multi-valued key: any value', cond: { StringEquals: { [TAGS]: 'b' } }, extra: { [TAGS]: ['a', 'b'] }, want: true },
  { name: 'plain StringNotEquals on a multi-valued key: no value', cond: { StringNotEquals: { [TAGS]: 'b' } }, extra: { [TAGS]: ['a', 'b'] }, want: false },
  // Combination
  { name: 'two keys in one operator are ANDed (both hold)', cond: { StringEquals: { [X]: 'a', [CA]: '111122223333' } }, extra: { [X]: 'a', [CA]: '111122223333' }, want: true },
  { name: 'two keys in one operator are ANDed (one fails)', cond: { StringEquals: { [X]: 'a', [CA]: '111122223333' } }, extra: { [X]: 'a', [CA]: '444455556666' }, want: false },
  { name: 'two operators are ANDed (one fails)', cond: { StringEquals: { [X]: 'a' }, Bool: { 'aws:SecureTransport': 'true' } }, extra: { [X]: 'a' }, secure: false, want: false },
  { name: 'two operators are ANDed (both hold)', cond: { StringEquals: { [X]: 'a' }, IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, extra: { [X]: 'a' }, want: true },
  { name: 'encryption context key condition', cond: { StringEquals: { 'kms:EncryptionContext:Department': 'IT' } }, extra: { 'kms:EncryptionContext:Department': 'IT' }, want: true },
  { name: 'operator names are case-insensitive', cond: { stringequals: { [X]: 'a' } }, extra: { [X]: 'a' }, want: true },
];

for (const r of rows) {
  test(`condition: ${r.name}`, () => {
    assert.equal(applies(r), r.want);
  });
}
