import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission } from './admission.ts';

/** A fake loop: `now` moves by hand, `endTurn()` runs what was scheduled after the turn. */
function fakeLoop(maxQueueMs: number) {
  let now = 0;
  let after: (() => void)[] = [];
  const admission = new Admission({ maxQueueMs, now: () => now, afterTurn: (fn) => { after.push(fn); } });
  return {
    admission,
    work: (ms: number) => { now += ms; },
    endTurn: () => { const fns = after; after = []; for (const f of fns) f(); },
    scheduled: () => after.length,
  };
}

test('within one turn, requests are admitted until the turn has run maxQueueMs, then shed', () => {
  const l = fakeLoop(10);
  const seen: boolean[] = [];
  for (let i = 0; i < 8; i++) {
    seen.push(l.admission.admit());
    l.work(2); // each admitted request's work
  }
  assert.deepEqual(seen, [true, true, true, true, true, false, false, false]);
  assert.equal(l.admission.shed, 3);
  assert.equal(l.scheduled(), 1, 'one end-of-turn callback per turn, not one per request');
});

test('a new turn starts fresh: its first request is always admitted', () => {
  const l = fakeLoop(5);
  l.admission.admit();
  l.work(50);
  assert.equal(l.admission.admit(), false);
  l.endTurn();
  l.work(1000); // idle between turns does not count
  assert.equal(l.admission.admit(), true);
  l.work(4);
  assert.equal(l.admission.admit(), true);
  l.work(1);
  assert.equal(l.admission.admit(), false);
});

test('a threshold of 0 admits everything and schedules nothing', () => {
  const l = fakeLoop(0);
  for (let i = 0; i < 5; i++) {
    assert.equal(l.admission.admit(), true);
    l.work(100);
  }
  assert.equal(l.scheduled(), 0);
  assert.equal(l.admission.shed, 0);
});
