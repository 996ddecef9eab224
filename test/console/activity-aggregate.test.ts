import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, BUCKETS, TOP } from '../../console/src/activity-aggregate.ts';
import type { CloudTrailEvent } from '../../console/src/kms-types.ts';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const END = START + BUCKETS * 60_000; // one minute a bucket
let n = 0;
const event = (name: string, atMs: number, errorCode?: string): CloudTrailEvent => ({
  EventId: `e${n++}`, EventName: name, EventTime: atMs / 1000,
  CloudTrailEvent: JSON.stringify({ eventName: name, ...(errorCode !== undefined ? { errorCode } : {}) }),
});

test('counts each operation in its time bucket and the errors apart', () => {
  const a = aggregate([
    event('Encrypt', START), event('Encrypt', START + 30_000), event('Decrypt', START + 61_000, 'InvalidCiphertextException'),
    event('Encrypt', END), // the window's last instant falls in the last bucket
  ], START, END, false);
  assert.equal(a.bucketMs, 60_000);
  assert.deepEqual(a.series, ['Encrypt', 'Decrypt']);
  assert.deepEqual(a.counts[0], [2, 0]);
  assert.deepEqual(a.counts[1], [0, 1]);
  assert.deepEqual(a.counts[BUCKETS - 1], [1, 0]);
  assert.deepEqual(a.errors.slice(0, 2), [0, 1]);
  assert.equal(a.total, 4);
  assert.equal(a.errorTotal, 1);
  assert.equal(a.counts.length, BUCKETS);
});

test(`the ${TOP} most frequent operations are named, the rest summed as "other"`, () => {
  const events: CloudTrailEvent[] = [];
  for (let op = 0; op < TOP + 3; op++) for (let i = 0; i <= op; i++) events.push(event(`Op${op}`, START + 1000));
  const a = aggregate(events, START, END, false);
  assert.equal(a.series.length, TOP + 1);
  assert.equal(a.series.at(-1), 'other');
  assert.equal(a.series[0], `Op${TOP + 2}`, 'most frequent first');
  assert.equal(a.counts[0]?.at(-1), 1 + 2 + 3, 'Op0, Op1 and Op2 are "other"');
  assert.equal(a.counts[0]?.reduce((x, y) => x + y, 0), events.length);
});

test('a truncated read says from when it covers; no events is an empty chart, not an error', () => {
  const a = aggregate([event('Encrypt', START + 600_000), event('Encrypt', START + 700_000)], START, END, true);
  assert.equal(a.truncated, true);
  assert.equal(a.coveredFrom, START + 600_000);
  const empty = aggregate([], START, END, false);
  assert.deepEqual(empty.series, []);
  assert.equal(empty.total, 0);
  assert.ok(empty.counts.every((row) => row.length === 0));
  // A record that is not JSON counts as a request without an error.
  const odd = aggregate([{ EventId: 'x', EventName: 'Sign', EventTime: START / 1000, CloudTrailEvent: '{' }], START, END, false);
  assert.equal(odd.errorTotal, 0);
  assert.deepEqual(odd.counts[0], [1]);
});
