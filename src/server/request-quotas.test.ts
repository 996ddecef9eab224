import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThrottlingException } from '../errors/common-errors.ts';
import { createRequestQuotas, type QuotaRule } from './request-quotas.ts';

const rules = new Map<string, QuotaRule>([
  ['Encrypt', { bucket: 'crypto', perSecond: 3 }],
  ['Decrypt', { bucket: 'crypto', perSecond: 3 }],
  ['CreateKey', { bucket: 'CreateKey', perSecond: 1 }],
]);

function harness() {
  let now = 0;
  const check = createRequestQuotas(rules, () => now);
  const call = (op: string, account = '111122223333', region = 'us-east-1'): 'ok' | 'throttled' => {
    try {
      check(account, region, op);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof ThrottlingException);
      assert.equal(e.code, 'ThrottlingException');
      assert.equal(e.status, 400);
      return 'throttled';
    }
  };
  return { call, advance: (ms: number) => { now += ms; } };
}

test('the (N+1)th call within a second is ThrottlingException; tokens come back with time', () => {
  const { call, advance } = harness();
  assert.deepEqual([call('Encrypt'), call('Encrypt'), call('Encrypt'), call('Encrypt')], ['ok', 'ok', 'ok', 'throttled']);
  advance(334);
  assert.deepEqual([call('Encrypt'), call('Encrypt')], ['ok', 'throttled']);
});

test('operations of one quota share its bucket; other quotas are independent', () => {
  const { call } = harness();
  assert.deepEqual([call('Encrypt'), call('Decrypt'), call('Encrypt'), call('Decrypt')], ['ok', 'ok', 'ok', 'throttled']);
  assert.equal(call('CreateKey'), 'ok', 'CreateKey has its own quota');
  assert.equal(call('CreateKey'), 'throttled');
});

test('quotas are per account and per region', () => {
  const { call } = harness();
  assert.deepEqual([call('CreateKey'), call('CreateKey')], ['ok', 'throttled']);
  assert.equal(call('CreateKey', '444455556666'), 'ok', 'another account is unaffected');
  assert.equal(call('CreateKey', '111122223333', 'eu-west-1'), 'ok', 'another region is unaffected');
  assert.equal(call('CreateKey', '111122223333', 'eu-west-1'), 'throttled');
});

test('an operation without a quota is never throttled', () => {
  const { call } = harness();
  for (let i = 0; i < 100; i++) assert.equal(call('ListKeys'), 'ok');
});
