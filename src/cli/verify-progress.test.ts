import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countingRows, progressLine } from './verify-progress.ts';

test('countingRows: every row passes through; a report at most every everyMs, and one at the end', () => {
  const reports: [string, number, boolean][] = [];
  let clock = 0;
  const rows = Array.from({ length: 5000 }, (_, i) => i);
  // The clock moves 100 ms per read of it: a report every 5 reads of the clock (every 5 x 1024 rows) at 500 ms.
  const seen = [...countingRows(rows, 'w1', (c, n, d) => reports.push([c, n, d]), 250, () => (clock += 100))];
  assert.deepEqual(seen, rows, 'the rows, unchanged and in order');
  assert.deepEqual(reports, [['w1', 3072, false], ['w1', 5000, true]]);
});

test('countingRows: an empty chain reports 0 at its end', () => {
  const reports: number[] = [];
  assert.deepEqual([...countingRows([], '', (_c, n) => reports.push(n), 500)], []);
  assert.deepEqual(reports, [0]);
});

test('progressLine names the chain only when there is one', () => {
  assert.equal(progressLine('', 1234567, false), 'Verifying: 1,234,567 records…');
  assert.equal(progressLine('w2', 10, true), "Read 10 records (chain 'w2')");
});
