/**
 * CloudTrail records and their redaction: the fields of reference §4, lowerCamelCase parameters,
 * responseElements only for state changes, and — for every operation of the KMS, IAM and STS
 * models, input and output — no sensitive member and no blob ever in a record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getShape, kmsModel, sensitiveMembers, type Shape } from '../wire/model.ts';
import { iamModel, queryShape, stsModel, type QueryModel } from '../wire/query-model.ts';
import type { ApiCall, AuditService } from '../ports/audit.ts';
import type { Caller } from '../domain/principal.ts';
import { apiCallRecord, isReadOnly, serviceEventRecord } from './record.ts';
import { operationFacts } from '../wire/operation-table.ts';
import { cloudTrailDate, redact } from './redact.ts';

const bob: Caller = {
  accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/bob', accessKeyId: 'AKIABOB0000000000001', type: 'IAMUser',
  userId: 'AIDABOB00000000000001', username: 'bob', tags: {},
};
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const meta = { eventId: 'e1', eventTime: Date.parse('2026-09-01T10:15:02.345Z'), defaultAccountId: '111122223333' };

const call = (over: Partial<ApiCall>): ApiCall => ({
  service: 'kms', operation: 'Encrypt', caller: bob, accessKeyId: bob.accessKeyId, region: 'us-east-1', requestId: 'r1',
  request: { sourceIp: '127.0.0.1', userAgent: 'aws-cli/1.45', secureTransport: false }, input: {}, output: undefined,
  error: undefined, resources: new Set([KEY]), ...over,
});

test('an Encrypt record has the fields of reference §4 and no plaintext', () => {
  const { record, index } = apiCallRecord(call({
    input: { KeyId: 'alias/app', Plaintext: Buffer.from('top secret'), EncryptionContext: { tenant: 'acme' }, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    output: { CiphertextBlob: Buffer.from('cipher'), KeyId: KEY, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
  }), meta);
  assert.deepEqual(Object.keys(record), [
    'eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
    'requestParameters', 'responseElements', 'requestID', 'eventID', 'readOnly', 'resources', 'eventType', 'managementEvent',
    'recipientAccountId', 'eventCategory',
  ]);
  assert.equal(record.eventTime, '2026-09-01T10:15:02Z');
  assert.equal(record.eventSource, 'kms.amazonaws.com');
  assert.deepEqual(record.userIdentity, { type: 'IAMUser', principalId: bob.userId, arn: bob.arn, accountId: bob.accountId, accessKeyId: bob.accessKeyId, userName: 'bob' });
  assert.deepEqual(record.requestParameters, { keyId: 'alias/app', encryptionContext: { tenant: 'acme' }, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
  assert.equal(record.responseElements, null);
  assert.equal(record.readOnly, true);
  assert.equal(record.eventType, 'AwsApiCall');
  assert.deepEqual(record.resources, [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: KEY }]);
  assert.equal(index.username, 'bob');
  assert.ok(!JSON.stringify(record).includes(Buffer.from('top secret').toString('base64')));
});

test('a state change keeps its responseElements (CloudTrail dates), a failure its error and no response', () => {
  const created = new Date('2022-08-10T22:38:27Z');
  const { record } = apiCallRecord(call({
    operation: 'CreateKey', resources: new Set(), input: { Description: 'd', KeySpec: 'SYMMETRIC_DEFAULT' },
    output: { KeyMetadata: { KeyId: 'k', Arn: KEY, CreationDate: created, AWSAccountId: '111122223333', KeyState: 'Enabled' } },
  }), meta);
  assert.equal(record.readOnly, false);
  assert.deepEqual(record.responseElements, { keyMetadata: { aWSAccountId: '111122223333', keyId: 'k', arn: KEY, creationDate: 'Aug 10, 2022, 10:38:27 PM', keyState: 'Enabled' } });
  assert.deepEqual(record.resources, [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: KEY }], 'the new key is the resource');
  const failed = apiCallRecord(call({ operation: 'DisableKey', input: { KeyId: KEY }, error: { code: 'AccessDeniedException', message: 'no' } }), meta).record;
  assert.equal(failed.errorCode, 'AccessDeniedException');
  assert.equal(failed.errorMessage, 'no');
  assert.equal(failed.responseElements, null);
  assert.equal(cloudTrailDate(Date.parse('2026-01-01T00:05:09Z')), 'Jan 1, 2026, 12:05:09 AM');
});

test('credentials, session tokens and grant tokens never reach a record', () => {
  const key = apiCallRecord(call({
    service: 'iam', operation: 'CreateAccessKey', input: { UserName: 'bob' },
    output: { AccessKey: { UserName: 'bob', AccessKeyId: 'AKIANEW', Status: 'Active', SecretAccessKey: 'sekrit/abc', CreateDate: 0 } },
  }), meta).record;
  assert.equal(key.eventSource, 'iam.amazonaws.com');
  assert.deepEqual(key.responseElements, { accessKey: { userName: 'bob', accessKeyId: 'AKIANEW', status: 'Active', createDate: 'Jan 1, 1970, 12:00:00 AM' } });
  const role = apiCallRecord(call({
    service: 'sts', operation: 'AssumeRole', input: { RoleArn: 'arn:aws:iam::111122223333:role/r', RoleSessionName: 's' },
    output: { Credentials: { AccessKeyId: 'ASIAX', SecretAccessKey: 'sekrit2', SessionToken: 'tok3n', Expiration: 0 } },
  }), meta).record;
  assert.equal(role.eventSource, 'sts.amazonaws.com');
  assert.ok(!/sekrit2|tok3n/.test(JSON.stringify(role)));
  const grant = apiCallRecord(call({ operation: 'CreateGrant', input: { KeyId: KEY, GranteePrincipal: bob.arn, Operations: ['Decrypt'] }, output: { GrantToken: 'gt0ken', GrantId: 'g1' } }), meta).record;
  assert.deepEqual(grant.responseElements, { grantId: 'g1' });
});

test('read-only and mutating operations are told apart (the operation table)', () => {
  const mutating = (service: 'kms' | 'iam' | 'sts', op: string): boolean | undefined => operationFacts(service, op)?.mutating;
  for (const op of ['Encrypt', 'Decrypt', 'GenerateDataKey', 'Sign', 'DescribeKey', 'ListKeys', 'GetKeyPolicy']) assert.equal(isReadOnly('kms', op), true, op);
  for (const op of ['CreateKey', 'PutKeyPolicy', 'ScheduleKeyDeletion', 'CreateAlias', 'TagResource', 'RetireGrant']) assert.equal(mutating('kms', op), true, op);
  assert.equal(isReadOnly('sts', 'AssumeRole'), true);
  assert.equal(mutating('sts', 'AssumeRole'), true, 'stores a session');
  assert.equal(mutating('iam', 'CreateAccessKey'), true);
  assert.equal(isReadOnly('kms', 'NoSuchOperation'), false, 'no guess from a name');
});

test('service events are AwsServiceEvent records invoked by AWS Internal', () => {
  const { record } = serviceEventRecord('RotateKey', KEY, meta);
  assert.equal(record.eventType, 'AwsServiceEvent');
  assert.deepEqual(record.userIdentity, { accountId: '111122223333', invokedBy: 'AWS Internal' });
  assert.deepEqual(record.serviceEventDetails, { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' });
  assert.equal(record.recipientAccountId, '111122223333');
});

// --- Every operation of every model, every sensitive or blob member filled with a marker. ---

const MARK = 'TOPSECRETMARK';
function sample(lookup: (n: string) => Shape, name: string, depth: number, secret: boolean): unknown {
  const s = lookup(name);
  const isSecret = secret || s.sensitive === true || s.type === 'blob';
  if (depth > 6) return undefined;
  switch (s.type) {
    case 'structure': return Object.fromEntries(Object.entries(s.members).map(([m, ref]) => [m, sample(lookup, ref.shape, depth + 1, isSecret)]));
    case 'list': return [sample(lookup, s.member.shape, depth + 1, isSecret)];
    case 'map': return { [isSecret ? MARK : 'k']: sample(lookup, s.value.shape, depth + 1, isSecret) };
    case 'blob': return Buffer.from(MARK);
    case 'string': return isSecret ? MARK : (s.enum?.[0] ?? 'v');
    case 'timestamp': return new Date(0);
    case 'boolean': return true;
    default: return 1;
  }
}

const services: [AuditService, (n: string) => Shape, Readonly<Record<string, { input?: string; output?: string }>>][] = [
  ['kms', getShape, kmsModel.operations],
  ['iam', (n) => queryShape(iamModel as QueryModel, n), iamModel.operations],
  ['sts', (n) => queryShape(stsModel as QueryModel, n), stsModel.operations],
];

test('no operation of the KMS, IAM or STS model puts a sensitive member or a blob in a record', () => {
  let checked = 0;
  for (const [service, lookup, ops] of services) {
    for (const [operation, op] of Object.entries(ops)) {
      const input = op.input ? sample(lookup, op.input, 0, false) as Record<string, unknown> : {};
      const output = op.output ? sample(lookup, op.output, 0, false) as object : undefined;
      // Force the output into the record as a state change would.
      const text = JSON.stringify(apiCallRecord(call({ service, operation, input, output, resources: new Set() }), meta).record)
        + JSON.stringify(redact(lookup, op.output, output, true));
      assert.ok(!text.includes(MARK) && !text.includes(Buffer.from(MARK).toString('base64')), `${service} ${operation}: ${text.slice(0, 400)}`);
      if (service === 'kms' && op.input) {
        const params = apiCallRecord(call({ service, operation, input, resources: new Set() }), meta).record.requestParameters as Record<string, unknown> | null;
        for (const m of sensitiveMembers(op.input)) assert.ok(!params || !(m.charAt(0).toLowerCase() + m.slice(1) in params), `${operation}.${m}`);
      }
      checked++;
    }
  }
  assert.ok(checked > 100, `checked ${checked} operations`);
});
