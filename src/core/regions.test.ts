import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRegions, servesRegion } from './regions.ts';

test('unrestricted: every region name of the aws partition, the home region always, other partitions and malformed names not', () => {
  const any = { home: 'us-east-1', only: undefined };
  for (const r of ['us-east-1', 'eu-central-1', 'ap-southeast-4', 'il-central-1', 'me-south-1', 'ca-west-1', 'mx-central-1']) assert.ok(servesRegion(any, r), r);
  for (const r of ['cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'eusc-de-east-1', 'Mars', 'eu-central', 'us-east-1 ', 'US-EAST-1', '', 'a-b-c-d-1']) {
    assert.ok(!servesRegion(any, r), r);
  }
  assert.ok(servesRegion({ home: 'cn-north-1', only: undefined }, 'cn-north-1'), 'the home region, whatever its partition');
  assert.match(describeRegions(any), /any other region/);
});

test('restricted: only the listed regions (the home region among them)', () => {
  const only = { home: 'us-east-1', only: ['us-east-1', 'eu-west-1'] };
  assert.ok(servesRegion(only, 'us-east-1'));
  assert.ok(servesRegion(only, 'eu-west-1'));
  assert.ok(!servesRegion(only, 'eu-central-1'));
  assert.equal(describeRegions(only), 'us-east-1, eu-west-1');
});
