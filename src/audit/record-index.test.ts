/**
 * The lookup index read from a record: for each kind of caller (IAM user, root, role session,
 * unauthenticated), a cross-account call and a service event it is what LookupEvents must find
 * the record by, and reading it from the stored JSON gives what the writer stored beside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiCall, RecordIndex } from '../ports/audit.ts';
import type { Caller } from '../domain/principal.ts';
import { apiCallRecord, serviceEventRecord } from './record.ts';
import { recordIndexOf } from './record-index.ts';

const ACCOUNT = '111122223333';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY = 'arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const meta = { eventId: 'e1', eventTime: Date.parse('2026-09-01T10:15:02.345Z'), defaultAccountId: ACCOUNT };
const base = { accountId: ACCOUNT, tags: {} };
const bob: Caller = { ...base, arn: `arn:aws:iam::${ACCOUNT}:user/bob`, accessKeyId: 'AKIABOB0000000000001', type: 'IAMUser', userId: 'AIDABOB', username: 'bob' };
const root: Caller = { ...base, arn: `arn:aws:iam::${ACCOUNT}:root`, accessKeyId: 'AKIAROOT000000000001', type: 'Root', userId: ACCOUNT };
const session: Caller = {
  ...base, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/auditor/s1`, accessKeyId: 'ASIASESSION000000001', type: 'AssumedRole',
  userId: 'AROAAUDITOR:s1', roleArn: `arn:aws:iam::${ACCOUNT}:role/auditor`,
};

const call = (over: Partial<ApiCall>): ApiCall => ({
  service: 'kms', operation: 'Encrypt', caller: bob, accessKeyId: bob.accessKeyId, region: 'us-east-1', requestId: 'r1',
  request: { sourceIp: '127.0.0.1', userAgent: 'test', secureTransport: false }, input: {}, output: undefined,
  error: undefined, resources: new Set([KEY]), ...over,
});

const keyResource = [{ type: 'AWS::KMS::Key', name: KEY }];
const cases: { name: string; built: { record: Record<string, unknown>; index: RecordIndex }; expected: RecordIndex }[] = [
  {
    name: 'an IAM user', built: apiCallRecord(call({}), meta),
    expected: { eventName: 'Encrypt', eventSource: 'kms.amazonaws.com', readOnly: true, username: 'bob', accessKeyId: bob.accessKeyId, accountId: ACCOUNT, ownerAccountId: undefined, resources: keyResource },
  },
  {
    name: 'the account root', built: apiCallRecord(call({ caller: root, accessKeyId: root.accessKeyId, operation: 'DisableKey' }), meta),
    expected: { eventName: 'DisableKey', eventSource: 'kms.amazonaws.com', readOnly: false, username: 'root', accessKeyId: root.accessKeyId, accountId: ACCOUNT, ownerAccountId: undefined, resources: keyResource },
  },
  {
    name: 'a role session', built: apiCallRecord(call({ caller: session, accessKeyId: session.accessKeyId, service: 'iam', operation: 'CreateUser', resources: new Set() }), meta),
    expected: { eventName: 'CreateUser', eventSource: 'iam.amazonaws.com', readOnly: false, username: 's1', accessKeyId: session.accessKeyId, accountId: ACCOUNT, ownerAccountId: undefined, resources: [] },
  },
  {
    name: 'an unauthenticated call', built: apiCallRecord(call({ caller: undefined, accessKeyId: 'AKIAUNKNOWN000000001', input: undefined }), meta),
    expected: { eventName: 'Encrypt', eventSource: 'kms.amazonaws.com', readOnly: true, username: undefined, accessKeyId: 'AKIAUNKNOWN000000001', accountId: ACCOUNT, ownerAccountId: undefined, resources: keyResource },
  },
  {
    name: 'a key of another account', built: apiCallRecord(call({ resources: new Set([OTHER_KEY]) }), meta),
    expected: { eventName: 'Encrypt', eventSource: 'kms.amazonaws.com', readOnly: true, username: 'bob', accessKeyId: bob.accessKeyId, accountId: ACCOUNT, ownerAccountId: '444455556666', resources: [{ type: 'AWS::KMS::Key', name: OTHER_KEY }] },
  },
  {
    name: 'a service event', built: serviceEventRecord('DeleteKey', KEY, meta),
    expected: { eventName: 'DeleteKey', eventSource: 'kms.amazonaws.com', readOnly: false, username: undefined, accessKeyId: undefined, accountId: ACCOUNT, ownerAccountId: undefined, resources: keyResource },
  },
];

for (const c of cases) {
  test(`the index of ${c.name}'s record is what LookupEvents finds it by, and the stored JSON gives it back`, () => {
    assert.deepEqual(c.built.index, c.expected);
    assert.deepEqual(recordIndexOf(JSON.parse(JSON.stringify(c.built.record)) as Record<string, unknown>), c.expected);
  });
}

test('a record of an unexpected shape reads as absent fields, without throwing', () => {
  assert.deepEqual(recordIndexOf({}), { eventName: '', eventSource: '', readOnly: false, username: undefined, accessKeyId: undefined, accountId: '', ownerAccountId: undefined, resources: [] });
  const odd = recordIndexOf({ eventName: 7, readOnly: 'true', userIdentity: ['x'], resources: [null, { ARN: 5 }] });
  assert.equal(odd.eventName, '');
  assert.equal(odd.readOnly, false);
  assert.deepEqual(odd.resources, [{ type: '', name: '' }, { type: '', name: '' }]);
});
