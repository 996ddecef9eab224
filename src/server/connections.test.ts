import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connections, LINGER_MS } from './connections.ts';

class FakeSocket {
  destroyed = false;
  ended = false;
  constructor(readonly name: string) {}
  destroy(): void { this.destroyed = true; }
  end(): void { this.ended = true; }
}

/** Timers by hand: `fire(ms)` runs every timer due by then. */
function fakeTimers() {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    schedule: (fn: () => void, ms: number) => { timers.push({ at: now + ms, fn }); return { unref: () => undefined }; },
    fire: (ms: number) => {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) { timers.splice(timers.indexOf(t), 1); t.fn(); }
    },
  };
}

const sockets = (n: number): FakeSocket[] => Array.from({ length: n }, (_, i) => new FakeSocket(`s${i}`));

test('below the cap every connection is admitted', () => {
  const c = new Connections<FakeSocket>(3);
  for (const s of sockets(3)) assert.equal(c.open(s), true);
  assert.deepEqual(c.stats(), { open: 3, busy: 0, evicted: 0, refused: 0 });
});

test('at the cap a new connection half-closes the least recently used idle one, never a busy one', () => {
  const t = fakeTimers();
  const c = new Connections<FakeSocket>(3, t.schedule);
  const [a, b, d] = sockets(3) as [FakeSocket, FakeSocket, FakeSocket];
  for (const s of [a, b, d]) c.open(s);
  c.requestStarted(a); // a busy
  c.requestStarted(b);
  c.requestEnded(b); // b used just now: most recently used
  const e = new FakeSocket('e');
  assert.equal(c.open(e), true);
  assert.deepEqual([d.ended, d.destroyed], [true, false], 'd, idle the longest, gets a FIN');
  assert.equal(c.isClosing(d), true);
  assert.equal(a.ended || b.ended, false, 'a busy connection is never closed, nor a recently used one');
  const f = new FakeSocket('f');
  assert.equal(c.open(f), true);
  assert.equal(b.ended, true, 'then b, used before e connected');
  assert.equal(d.destroyed, true, 'one half-closed connection at most for a cap of 3: d makes room for b');
  assert.deepEqual(c.stats(), { open: 4, busy: 1, evicted: 2, refused: 0 });
  t.fire(LINGER_MS);
  assert.equal(b.destroyed, true, 'destroyed after the linger if its client never closed');
});

test('descriptors stay bounded under a flood of connections that never close: the cap plus a sixteenth', () => {
  const c = new Connections<FakeSocket>(64, fakeTimers().schedule);
  const all = sockets(10_000);
  for (const s of all) assert.equal(c.open(s), true);
  const held = all.filter((s) => !s.destroyed).length;
  assert.equal(held, 64 + 4);
  assert.equal(c.stats().open, 68);
  assert.ok(all.slice(-64).every((s) => !s.ended), 'the newest 64 are open');
});

test('when every connection is busy a new one is refused at once', () => {
  const c = new Connections<FakeSocket>(2);
  const all = sockets(2);
  for (const s of all) { c.open(s); c.requestStarted(s); }
  const late = new FakeSocket('late');
  assert.equal(c.open(late), false);
  assert.equal(late.destroyed, true);
  assert.ok(all.every((s) => !s.destroyed));
  assert.deepEqual(c.stats(), { open: 2, busy: 2, evicted: 0, refused: 1 });
  c.requestEnded(all[0] as FakeSocket);
  assert.equal(c.open(new FakeSocket('later')), true, 'an idle connection again makes room');
});

test('pipelined requests keep a connection busy until the last is answered; a closed connection leaves', () => {
  const c = new Connections<FakeSocket>(1);
  const [a] = sockets(1) as [FakeSocket];
  c.open(a);
  c.requestStarted(a);
  c.requestStarted(a);
  c.requestEnded(a);
  assert.equal(c.open(new FakeSocket('x')), false, 'still busy');
  c.requestEnded(a);
  c.closed(a);
  assert.deepEqual(c.stats().open, 0);
  assert.equal(c.open(new FakeSocket('y')), true);
});

test('a graceful close half-closes (FIN) and destroys only after LINGER_MS; it frees its place under the cap', () => {
  const t = fakeTimers();
  const c = new Connections<FakeSocket>(1, t.schedule);
  const [a] = sockets(1) as [FakeSocket];
  c.open(a);
  c.requestStarted(a);
  c.closeGracefully(a); // e.g. a request timeout
  assert.deepEqual([a.ended, a.destroyed, c.isClosing(a)], [true, false, true]);
  t.fire(LINGER_MS - 1);
  assert.equal(a.destroyed, false);
  const b = new FakeSocket('b');
  assert.equal(c.open(b), true, 'a half-closed connection no longer counts against the cap');
  t.fire(1);
  assert.equal(a.destroyed, true);
});

test('drain: idle connections get a grace period, then a FIN; busy ones are closed after their answer by the server', () => {
  const t = fakeTimers();
  const c = new Connections<FakeSocket>(10, t.schedule);
  const [idle, busy, late] = sockets(3) as [FakeSocket, FakeSocket, FakeSocket];
  for (const s of [idle, busy, late]) c.open(s);
  c.requestStarted(busy);
  c.drain(1000);
  assert.equal(c.draining, true);
  t.fire(500);
  assert.equal(idle.ended, false, 'still in its grace period: a request it sends now is answered');
  c.requestStarted(late); // a request arrives in the grace period
  t.fire(500);
  assert.deepEqual([idle.ended, busy.ended, late.ended], [true, false, false]);
  c.requestEnded(late); // answered (with Connection: close, which closes it); if still open, FIN now
  assert.equal(late.ended, true);
  t.fire(LINGER_MS);
  assert.equal(idle.destroyed, true, 'destroyed after the linger if the client never closed');
  c.destroyAll();
  assert.equal(busy.destroyed, true);
});
