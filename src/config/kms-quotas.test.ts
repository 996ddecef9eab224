import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kmsModel } from '../wire/model.ts';
import { MANAGEMENT_QUOTAS, parseManagementQuotas, resolveKmsQuotas, type QuotaSettings } from './kms-quotas.ts';

const awsDefaults: QuotaSettings = { crypto: 10_000, asymmetric: 1000, createKey: 5, management: { base: 'aws', overrides: {} } };

test("every KMS operation of the model has a quota, and AWS's defaults are the table's", () => {
  const quotas = resolveKmsQuotas(awsDefaults);
  const missing = Object.keys(kmsModel.operations).filter((op) => !quotas.has(op));
  assert.deepEqual(missing, []);
  assert.deepEqual(quotas.get('Encrypt'), { bucket: 'crypto-symmetric', perSecond: 10_000 });
  assert.deepEqual(quotas.get('GenerateMac'), quotas.get('Decrypt'), 'the symmetric cryptographic operations share one bucket');
  assert.deepEqual(quotas.get('Sign'), { bucket: 'crypto-asymmetric', perSecond: 1000 });
  assert.deepEqual(quotas.get('CreateKey'), { bucket: 'CreateKey', perSecond: 5 });
  assert.deepEqual(quotas.get('DescribeKey'), { bucket: 'DescribeKey', perSecond: 2000 });
  assert.deepEqual(quotas.get('GetParametersForImport'), { bucket: 'GetParametersForImport', perSecond: 1 });
  assert.deepEqual(quotas.get('GenerateDataKeyPairWithoutPlaintext'), { bucket: 'GenerateDataKeyPair', perSecond: 100 });
});

test('a rate of 0 removes the quota; a management rate applies to each management operation; single operations can be changed', () => {
  const none = resolveKmsQuotas({ crypto: 0, asymmetric: 0, createKey: 0, management: { base: 0, overrides: {} } });
  assert.equal(none.size, 0);
  const flat = resolveKmsQuotas({ ...awsDefaults, management: { base: 50, overrides: { DescribeKey: 0, CreateAlias: 1.5 } } });
  assert.equal(flat.get('ListKeys')?.perSecond, 50);
  assert.equal(flat.get('DescribeKey'), undefined);
  assert.equal(flat.get('CreateAlias')?.perSecond, 1.5);
  assert.equal(flat.get('CreateKey')?.perSecond, 5, 'CreateKey has its own setting');
  assert.equal(flat.get('Encrypt')?.perSecond, 10_000);
});

test('COFFER_QUOTA_MANAGEMENT_RPS syntax: aws | rate, then Operation=rate items', () => {
  assert.deepEqual(parseManagementQuotas('aws'), { base: 'aws', overrides: {} });
  assert.deepEqual(parseManagementQuotas('0'), { base: 0, overrides: {} });
  assert.deepEqual(parseManagementQuotas(' aws , DescribeKey=500, ListKeys = 0 '), { base: 'aws', overrides: { DescribeKey: 500, ListKeys: 0 } });
  assert.deepEqual(parseManagementQuotas('GetParametersForImport=0.5'), { base: 'aws', overrides: { GetParametersForImport: 0.5 } });
  for (const bad of ['fast', 'DescribeKey=500,20', 'Encrypt=5', 'CreateKey=5', 'Nope=1', 'DescribeKey=', 'DescribeKey=-1', '1e3', 'constructor=1']) {
    assert.equal(typeof parseManagementQuotas(bad), 'string', bad);
  }
});

test('the management table holds no operation of another group', () => {
  for (const op of ['Encrypt', 'Decrypt', 'Sign', 'Verify', 'CreateKey', 'GenerateRandom']) assert.equal(Object.hasOwn(MANAGEMENT_QUOTAS, op), false, op);
});
