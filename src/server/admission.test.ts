import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission } from './admission.ts';

/** A fake loop: `now` moves by hand; `turn` runs a turn and then what was scheduled after it. */
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
  assert.equal(l.admission.shed, 0);
});

test('under overload every turn admits about maxQueueMs of work and sheds the rest; nothing carries over to the next turn', () => {
  const l = fakeLoop(25);
  for (let i = 0; i < 5; i++) {
    const seen = l.turn(1000, 0.15, 0.02);
    assert.equal(count(seen, true), Math.ceil(25 / 0.15), `turn ${i}: ~25 ms admitted`);
  }
  assert.equal(count(l.turn(64, 0.15), false), 0, 'a turn that fits again is not shed at all');
});

test('a new turn starts fresh: its first request is always admitted; idle time between turns does not count', () => {
  const l = fakeLoop(5);
  assert.deepEqual(l.turn(3, 50), [true, false, false]);
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
