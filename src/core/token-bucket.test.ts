import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './token-bucket.ts';

const takeN = (b: TokenBucket, n: number, at: number): boolean[] => Array.from({ length: n }, () => b.take(at));

test('a full bucket lets N calls through at once, and refuses the (N+1)th in the same instant', () => {
  const b = new TokenBucket(5, 1000);
  assert.deepEqual(takeN(b, 6, 1000), [true, true, true, true, true, false]);
});

test('tokens come back at the rate: one every 1/N seconds, never more than N saved up', () => {
  const b = new TokenBucket(5, 0);
  takeN(b, 5, 0);
  assert.equal(b.take(199), false, '199 ms: not yet a whole token');
  assert.equal(b.take(200), true, '200 ms: one token');
  assert.equal(b.take(200), false);
  // A long pause saves up one second's worth, not more.
  assert.deepEqual(takeN(b, 6, 60_000), [true, true, true, true, true, false]);
});

test('within any one second at most 2N calls pass, and at a steady rate exactly N a second', () => {
  const b = new TokenBucket(10, 0);
  let passed = 0;
  for (let t = 0; t < 10_000; t += 10) if (b.take(t)) passed++; // 100 attempts a second for 10 s
  // 10 saved at the start, then 10 a second.
  assert.ok(passed >= 100 && passed <= 110, `passed ${passed}`);
});

test('a clock that goes backwards never adds tokens', () => {
  const b = new TokenBucket(2, 5000);
  takeN(b, 2, 5000);
  assert.equal(b.take(1000), false);
  assert.equal(b.take(5000), false);
  assert.equal(b.take(5500), true);
});

test('a fractional rate allows one call, then one per 1/rate seconds', () => {
  const b = new TokenBucket(0.5, 0);
  assert.deepEqual(takeN(b, 2, 0), [true, false]);
  assert.equal(b.take(1999), false);
  assert.equal(b.take(2000), true);
});

test('a rate that is not positive and finite is refused', () => {
  for (const r of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => new TokenBucket(r, 0), RangeError, String(r));
});
