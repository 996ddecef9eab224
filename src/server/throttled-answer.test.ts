import { test } from 'node:test';
import assert from 'node:assert/strict';
import { throttledAnswer } from './throttled-answer.ts';

const auth = (service: string): string =>
  `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`;

test('KMS and CloudTrail (JSON 1.1): {"__type":"ThrottlingException","message":"Rate exceeded"}, 400', () => {
  for (const headers of [{ authorization: auth('kms') }, { authorization: auth('cloudtrail') }, { 'content-type': 'application/x-amz-json-1.1' }, {}]) {
    const a = throttledAnswer(headers, 'rid');
    assert.equal(a.status, 400);
    assert.equal(a.contentType, 'application/x-amz-json-1.1');
    assert.deepEqual(JSON.parse(a.body), { __type: 'ThrottlingException', message: 'Rate exceeded' });
  }
});

test('IAM and STS (Query): an ErrorResponse with code Throttling, 400, in the service namespace', () => {
  const iam = throttledAnswer({ authorization: auth('iam'), 'content-type': 'application/x-www-form-urlencoded' }, 'rid-1');
  assert.equal(iam.status, 400);
  assert.equal(iam.contentType, 'text/xml');
  assert.match(iam.body, /^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>Throttling<\/Code><Message>Rate exceeded<\/Message><\/Error><RequestId>rid-1<\/RequestId><\/ErrorResponse>$/);
  const sts = throttledAnswer({ authorization: auth('sts') }, 'rid-2');
  assert.match(sts.body, /xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/".*<Code>Throttling<\/Code>/);
  const unsigned = throttledAnswer({ 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, 'rid-3');
  assert.match(unsigned.body, /<Code>Throttling<\/Code>/);
});
