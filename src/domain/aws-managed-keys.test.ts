import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy } from '../policy/parse.ts';
import {
  AWS_MANAGED_KEY_SERVICES, PREDEFINED_AWS_ALIASES, awsManagedKeyDescription, awsManagedKeyPolicy, awsManagedService, viaServiceOf,
} from './aws-managed-keys.ts';

test('alias/aws/<service> names an AWS managed key only for a service of the table', () => {
  assert.equal(awsManagedService('alias/aws/s3')?.name, 's3');
  assert.equal(awsManagedService('alias/aws/ebs')?.via, 'ec2');
  for (const name of ['alias/aws/', 'alias/aws/nope', 'alias/s3', 'alias/aws/s3/x', 'alias/AWS/s3', 'arn:aws:kms:us-east-1:111122223333:alias/aws/s3']) {
    assert.equal(awsManagedService(name), undefined, name);
  }
  for (const s of ['s3', 'ebs', 'rds', 'lambda', 'secretsmanager', 'ssm', 'sns', 'sqs', 'dynamodb']) assert.ok(awsManagedService(`alias/aws/${s}`), s);
  assert.equal(new Set(AWS_MANAGED_KEY_SERVICES.map((s) => s.name)).size, AWS_MANAGED_KEY_SERVICES.length, 'no service twice');
});

test('the predefined aliases are sorted and each names a service', () => {
  assert.deepEqual([...PREDEFINED_AWS_ALIASES].sort(), PREDEFINED_AWS_ALIASES);
  assert.ok(PREDEFINED_AWS_ALIASES.includes('alias/aws/s3') && PREDEFINED_AWS_ALIASES.includes('alias/aws/ebs'));
  assert.ok(PREDEFINED_AWS_ALIASES.every((a) => awsManagedService(a)?.predefined === true));
});

test('the key policy is AWS\'s shape: use through the service by the account, metadata directly to the account, nothing else', () => {
  const ebs = awsManagedService('alias/aws/ebs');
  assert.ok(ebs);
  const text = awsManagedKeyPolicy('aws', '111122223333', 'eu-central-1', ebs);
  parsePolicy(text, 'resource');
  const p = JSON.parse(text) as { Id: string; Statement: { Principal: { AWS: string }; Action: string[]; Condition?: Record<string, Record<string, string>> }[] };
  assert.equal(p.Id, 'auto-ebs-2');
  assert.equal(p.Statement.length, 2);
  assert.equal(p.Statement[0]?.Principal.AWS, '*');
  assert.deepEqual(p.Statement[0]?.Condition, { StringEquals: { 'kms:CallerAccount': '111122223333', 'kms:ViaService': 'ec2.eu-central-1.amazonaws.com' } });
  assert.ok(p.Statement[0]?.Action.includes('kms:CreateGrant'));
  assert.equal(p.Statement[1]?.Principal.AWS, 'arn:aws:iam::111122223333:root');
  const all = p.Statement.flatMap((s) => s.Action);
  for (const a of ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:EnableKeyRotation', 'kms:DisableKeyRotation', 'kms:*']) assert.ok(!all.includes(a), a);
  const s3 = JSON.parse(awsManagedKeyPolicy('aws', '111122223333', 'us-east-1', awsManagedService('alias/aws/s3') ?? ebs)) as typeof p;
  assert.ok(!s3.Statement[0]?.Action.includes('kms:CreateGrant'), 'the S3 key allows no grants');
  assert.equal(viaServiceOf(ebs, 'us-west-2'), 'ec2.us-west-2.amazonaws.com');
  assert.equal(awsManagedKeyDescription(ebs), 'Default key that protects my EBS data when no other key is defined');
});
