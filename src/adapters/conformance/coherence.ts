/**
 * The conformance suite of the coherence ports (ports/storage.ts): ChangeFeed and Leases, for every
 * backend several processes can share (SQLite for the workers of one data folder; PostgreSQL for
 * nodes). `open` gives a storage and, for any number of writers, each its own feed, sharing one
 * fresh database.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeFeed, ChangeNotice, Leases, Storage } from '../../ports/storage.ts';
import { key } from './repositories-fixtures.ts';

export interface CoherenceFixture {
  /** A storage of writer `origin` with its own feed (the same database for every origin). */
  writer(origin: string): Promise<{ readonly storage: Storage; readonly feed: ChangeFeed; readonly leases: Leases }>;
  close(): Promise<void> | void;
}

/**
 * Polls until `count` notices came (a backend may deliver them a moment after the commit, as
 * PostgreSQL's NOTIFY does), at most 2 s, then once more to show nothing else is pending.
 */
async function pollNotices(feed: ChangeFeed, count: number): Promise<{ notices: ChangeNotice[]; lost: boolean }> {
  const notices: ChangeNotice[] = [];
  let lost = false;
  const until = Date.now() + 2_000;
  do {
    const r = await feed.poll();
    notices.push(...r.notices);
    lost ||= r.lost;
    if (notices.length >= count) break;
    await new Promise((res) => setTimeout(res, 20));
  } while (Date.now() < until);
  await new Promise((res) => setTimeout(res, 50));
  notices.push(...(await feed.poll()).notices);
  return { notices, lost };
}

export function coherenceConformance(adapter: string, open: () => Promise<CoherenceFixture>, options: { readonly skip?: string | undefined } = {}): void {
  const run = (name: string, body: (f: CoherenceFixture) => Promise<void>): void => {
    test(name, options.skip === undefined ? {} : { skip: options.skip }, async () => {
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
      for (const w of [a, b, c]) await w.feed.poll(); // listening from here on
      await a.storage.commit({ changes: [{ kind: 'putKey', key: key('k1') }], notice: { origin: 'a', topics: ['key:1'] } });
      await c.storage.commit({ changes: [{ kind: 'putKey', key: key('k2') }], notice: { origin: 'c', topics: ['key:2', 'alias'] } });
      // A commit without changes leaves no notice.
      await a.storage.commit({ changes: [], notice: { origin: 'a', topics: ['ignored'] } });
      const seen = await pollNotices(b.feed, 2);
      assert.equal(seen.lost, false);
      assert.deepEqual(seen.notices.map((n) => [n.origin, n.topics]), [['a', ['key:1']], ['c', ['key:2', 'alias']]]);
      assert.deepEqual((await b.feed.poll()).notices, []);
      assert.deepEqual((await pollNotices(a.feed, 1)).notices.map((n) => n.origin), ['c']);
      assert.deepEqual((await pollNotices(c.feed, 1)).notices.map((n) => n.origin), ['a']);
    });

    run('a commit that fails leaves no notice', async (f) => {
      const a = await f.writer('a');
      const b = await f.writer('b');
      await b.feed.poll();
      await a.storage.commit({ changes: [{ kind: 'putKey', key: key('k1'), expectRevision: 0 }], notice: { origin: 'a', topics: ['one'] } });
      await assert.rejects(a.storage.commit({ changes: [{ kind: 'putKey', key: key('k1'), expectRevision: 0 }], notice: { origin: 'a', topics: ['two'] } }));
      assert.deepEqual((await pollNotices(b.feed, 2)).notices.map((n) => n.topics), [['one']]);
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
