import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onlyStateChanges } from './lookup-events.ts';

test('onlyStateChanges: ReadOnly=false, and event names no service calls read-only', () => {
  assert.equal(onlyStateChanges('ReadOnly', 'false'), true);
  assert.equal(onlyStateChanges('ReadOnly', 'true'), false);
  for (const name of ['CreateKey', 'ScheduleKeyDeletion', 'PutKeyPolicy', 'CreateUser', 'CreateCluster', 'RotateKey', 'AuditRecordsDropped', 'NoSuchOperation']) {
    assert.equal(onlyStateChanges('EventName', name), true, name);
  }
  // Read-only somewhere: the store must scan every record.
  for (const name of ['Encrypt', 'Decrypt', 'DescribeKey', 'ListKeys', 'GetCallerIdentity', 'LookupEvents', 'DescribeClusters']) {
    assert.equal(onlyStateChanges('EventName', name), false, name);
  }
  for (const key of ['Username', 'AccessKeyId', 'ResourceName', 'ResourceType', 'EventSource', 'EventId']) {
    assert.equal(onlyStateChanges(key, 'CreateKey'), false, key);
  }
});
