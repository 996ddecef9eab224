import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission, OVERLOAD_FACTOR } from './admission.ts';

/** A fake loop: `now` moves by hand, `endTurn()` runs what was scheduled after the turn. */
function fakeLoop(maxQueueMs: number) {
  let now = 0;
  let after: (() => void)[] = [];
  const admission = new Admission({ maxQueueMs, now: () => now, afterTurn: (fn) => { after.push(fn); } });
  /** One turn: `n` requests ready, each admitted one costing `costMs`, each shed one `shedMs`. */
  const turn = (n: number, costMs: number, shedMs = 0): boolean[] => {
    const seen: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const ok = admission.admit();
      seen.push(ok);
      now += ok ? costMs : shedMs;
    }
    const fns = after;
    after = [];
    for (const f of fns) f();
    return seen;
  };
  return { admission, turn, idle: (ms: number) => { now += ms; }, scheduled: () => after.length };
}

const count = (xs: boolean[], v: boolean): number => xs.filter((x) => x === v).length;

test('within one turn, requests are admitted until the turn has run maxQueueMs, then shed', () => {
  const l = fakeLoop(10);
  const seen: boolean[] = [];
  for (let i = 0; i < 8; i++) {
    const ok = l.admission.admit();
    seen.push(ok);
    if (ok) l.idle(2);
  }
  assert.deepEqual(seen, [true, true, true, true, true, false, false, false]);
  assert.equal(l.admission.shed, 3);
  assert.equal(l.scheduled(), 1, 'one end-of-turn callback per turn, not one per request');
});

test('a busy turn within the threshold sheds nothing, turn after turn', () => {
  const l = fakeLoop(25);
  for (let i = 0; i < 20; i++) assert.equal(count(l.turn(64, 0.15), false), 0); // 64 clients, 9.6 ms turns
  assert.equal(l.admission.overloaded, false);
});

test('overload (more work arrives per turn than the threshold) lowers the threshold for the next turns; a turn that fits ends it', () => {
  const l = fakeLoop(25);
  const first = l.turn(400, 0.15); // 60 ms of work arrived
  assert.equal(count(first, true), Math.ceil(25 / 0.15), 'the full threshold: ~25 ms admitted');
  assert.equal(l.admission.overloaded, true);
  const next = l.turn(400, 0.15);
  assert.equal(count(next, true), Math.ceil(25 / OVERLOAD_FACTOR / 0.15), 'a fifth: ~5 ms admitted, turns five times shorter');
  assert.equal(l.admission.overloaded, true, 'still 60 ms of work per turn');
  const calmer = l.turn(100, 0.15); // 15 ms of work: more than the low threshold, less than the full one
  assert.ok(count(calmer, false) > 0, 'shed at the low threshold while overloaded');
  assert.equal(l.admission.overloaded, false, 'the work of that turn fits the full threshold: overload over');
  assert.equal(count(l.turn(100, 0.15), false), 0, 'back to the full threshold');
});

test('while overloaded, admitted work keeps at least as long as shedding took (half the loop), up to the full threshold', () => {
  const l = fakeLoop(25);
  l.turn(1000, 0.15, 0.02); // 25 ms admitted, then 833 shed at 20 µs: ~17 ms of shedding
  assert.equal(l.admission.overloaded, true);
  const next = l.turn(1000, 0.15, 0.02);
  const admitted = count(next, true);
  assert.ok(admitted > Math.ceil(25 / OVERLOAD_FACTOR / 0.15) && admitted <= Math.ceil(25 / 0.15), `admitted ${admitted}: ~17 ms worth`);
  const few = l.turn(60, 0.15, 0.02); // 9 ms of work: fits the full threshold
  assert.equal(count(few, false), 0, 'the threshold follows the shedding time of the last turn');
  assert.equal(l.admission.overloaded, false);
});

test('one long turn (a garbage collection) costs at most one turn at the lower threshold', () => {
  const l = fakeLoop(25);
  l.turn(1, 30); // a 30 ms pause in the first request's turn
  l.turn(64, 0.15);
  assert.equal(l.admission.overloaded, false);
  const seen: boolean[] = [l.admission.admit()];
  l.idle(30);
  for (let i = 0; i < 63; i++) seen.push(l.admission.admit());
  l.turn(0, 0);
  assert.equal(count(seen, false), 63, 'the rest of that turn is shed');
  assert.equal(l.admission.overloaded, true);
  const after = l.turn(64, 0.15);
  assert.ok(count(after, false) > 0, 'one turn at the lower threshold');
  assert.equal(l.admission.overloaded, false, '64 x 0.15 ms fits the full threshold');
  assert.equal(count(l.turn(64, 0.15), false), 0);
});

test('a new turn starts fresh: its first request is always admitted; idle time between turns does not count', () => {
  const l = fakeLoop(5);
  l.turn(1, 50);
  l.idle(1000);
  assert.equal(l.admission.admit(), true);
});

test('a threshold of 0 admits everything and schedules nothing', () => {
  const l = fakeLoop(0);
  for (let i = 0; i < 5; i++) {
    assert.equal(l.admission.admit(), true);
    l.idle(100);
  }
  assert.equal(l.scheduled(), 0);
  assert.equal(l.admission.shed, 0);
});
