import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupSync } from './group-sync.ts';

/** A sync whose completion the test controls, counting calls. */
function controlledSync() {
  const calls: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const sync = () => new Promise<void>((resolve, reject) => { calls.push({ resolve, reject }); });
  return { calls, sync };
}
const turn = () => new Promise<void>((r) => setImmediate(r));

test('nothing visible and not durable: settled() is undefined and no sync runs', () => {
  const s = controlledSync();
  const g = new GroupSync(s.sync);
  assert.equal(g.settled(), undefined);
  assert.equal(s.calls.length, 0);
});

test('commits of one turn share one sync; answers wait until it is done', async () => {
  const s = controlledSync();
  const g = new GroupSync(s.sync);
  g.committed();
  g.committed();
  g.committed();
  let done = 0;
  const waits = [g.settled(), g.settled(), g.settled()].map((p) => p?.then(() => { done++; }));
  await turn();
  await turn();
  assert.equal(s.calls.length, 1, 'one sync for three commits');
  assert.equal(done, 0, 'no answer before the sync is done');
  s.calls[0]?.resolve();
  await Promise.all(waits);
  assert.equal(done, 3);
  assert.equal(g.settled(), undefined, 'everything durable');
  assert.equal(g.syncCount, 1);
});

test('a commit made during a sync waits for the next one, which starts after it', async () => {
  const s = controlledSync();
  const g = new GroupSync(s.sync);
  g.committed();
  const first = g.settled();
  await turn();
  await turn();
  assert.equal(s.calls.length, 1);
  g.committed(); // during the first sync: not covered by it
  let secondDone = false;
  const second = g.settled()?.then(() => { secondDone = true; });
  assert.ok(second, 'the new commit is not durable yet');
  s.calls[0]?.resolve();
  await first;
  await turn();
  await turn();
  assert.equal(secondDone, false, 'the first sync did not cover the second commit');
  assert.equal(s.calls.length, 2, 'a second sync started after the first');
  s.calls[1]?.resolve();
  await second;
  assert.equal(secondDone, true);
  assert.equal(g.settled(), undefined);
});

test('a failed sync rejects its waiters and the next wait syncs again', async () => {
  const s = controlledSync();
  const g = new GroupSync(s.sync);
  g.committed();
  const p = g.settled();
  await turn();
  await turn();
  s.calls[0]?.reject(new Error('EIO'));
  await assert.rejects(async () => p, /EIO/);
  const again = g.settled();
  assert.ok(again, 'still not durable');
  await turn();
  await turn();
  assert.equal(s.calls.length, 2);
  s.calls[1]?.resolve();
  await again;
  assert.equal(g.settled(), undefined);
});

test('a durable commit covers what was visible before it', () => {
  const g = new GroupSync(async () => undefined);
  g.committed();
  g.committed();
  const mark = g.mark();
  g.reached(mark);
  assert.equal(g.settled(), undefined);
  g.committed();
  assert.notEqual(g.settled(), undefined, 'a later commit is not covered by an earlier mark');
});
