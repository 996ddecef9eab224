/**
 * The conformance suite of the coherence ports (ports/storage.ts): ChangeFeed and Leases, for every
 * backend several processes can share (SQLite for the workers of one data folder; PostgreSQL for
 * nodes). `open` gives a storage and, for any number of writers, each its own feed, sharing one
 * fresh database.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeFeed, Leases, Storage } from '../../ports/storage.ts';
import { key } from './repositories-fixtures.ts';

export interface CoherenceFixture {
  /** A storage of writer `origin` with its own feed (the same database for every origin). */
  writer(origin: string): Promise<{ readonly storage: Storage; readonly feed: ChangeFeed; readonly leases: Leases }>;
  close(): Promise<void> | void;
}

export function coherenceConformance(adapter: string, open: () => Promise<CoherenceFixture>): void {
  const run = (name: string, body: (f: CoherenceFixture) => Promise<void>): void => {
    test(name, async () => {
      const f = await open();
      try {
        await body(f);
      } finally {
        await f.close();
      }
    });
  };
  describe(`ChangeFeed and Leases conformance: ${adapter}`, () => {
    run('a notice committed by one writer reaches every other writer once, in commit order, never its own', async (f) => {
      const a = await f.writer('a');
      const b = await f.writer('b');
      const c = await f.writer('c');
      assert.deepEqual((await b.feed.poll()).notices, []);
      await a.storage.commit({ changes: [{ kind: 'putKey', key: key('k1') }], notice: { origin: 'a', topics: ['key:1'] } });
      await c.storage.commit({ changes: [{ kind: 'putKey', key: key('k2') }], notice: { origin: 'c', topics: ['key:2', 'alias'] } });
      // A commit without changes leaves no notice.
      await a.storage.commit({ changes: [], notice: { origin: 'a', topics: ['ignored'] } });
      const seen = await b.feed.poll();
      assert.equal(seen.lost, false);
      assert.deepEqual(seen.notices.map((n) => [n.origin, n.topics]), [['a', ['key:1']], ['c', ['key:2', 'alias']]]);
      assert.deepEqual((await b.feed.poll()).notices, []);
      assert.deepEqual((await a.feed.poll()).notices.map((n) => n.origin), ['c']);
      assert.deepEqual((await c.feed.poll()).notices.map((n) => n.origin), ['a']);
    });

    run('a commit that fails leaves no notice', async (f) => {
      const a = await f.writer('a');
      const b = await f.writer('b');
      await a.storage.commit({ changes: [{ kind: 'putKey', key: key('k1'), expectRevision: 0 }], notice: { origin: 'a', topics: ['one'] } });
      await assert.rejects(a.storage.commit({ changes: [{ kind: 'putKey', key: key('k1'), expectRevision: 0 }], notice: { origin: 'a', topics: ['two'] } }));
      assert.deepEqual((await b.feed.poll()).notices.map((n) => n.topics), [['one']]);
    });

    run('a lease has one holder until it expires or is released; the holder renews it', async (f) => {
      const a = await f.writer('a');
      const b = await f.writer('b');
      assert.equal(await a.leases.acquire('scheduler', 'A', 400), true);
      assert.equal(await b.leases.acquire('scheduler', 'B', 400), false);
      assert.equal(await a.leases.acquire('scheduler', 'A', 400), true);
      assert.equal(await b.leases.acquire('other', 'B', 400), true);
      await new Promise((r) => setTimeout(r, 600));
      // A stopped renewing: B takes it over, and A no longer holds it.
      assert.equal(await b.leases.acquire('scheduler', 'B', 10_000), true);
      assert.equal(await a.leases.acquire('scheduler', 'A', 10_000), false);
      await b.leases.release('scheduler', 'B');
      assert.equal(await a.leases.acquire('scheduler', 'A', 10_000), true);
      // Releasing a lease one does not hold changes nothing.
      await b.leases.release('scheduler', 'B');
      assert.equal(await b.leases.acquire('scheduler', 'B', 10_000), false);
    });
  });
}
