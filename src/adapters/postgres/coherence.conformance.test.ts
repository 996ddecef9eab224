/**
 * The ChangeFeed and Leases conformance suite (../conformance/coherence.ts) against PostgreSQL:
 * each writer a process of its own as far as the database can tell (its own pool, its own
 * listening connection), on one fresh database.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { coherenceConformance } from '../conformance/coherence.ts';
import { createSecretBox } from '../keystore/secret-box.ts';
import { closePostgres, openPostgres } from './connection.ts';
import { createPgStorage } from './storage.ts';
import { createPgLeases, listenForNotices, type PgChangeFeed } from './coherence.ts';
import { freshDatabase, postgresSkip } from '../../../test/support/postgres.ts';

coherenceConformance('postgresql', async () => {
  const db = await freshDatabase();
  const box = createSecretBox({ activeId: 'dk-1', key: () => randomBytes(32) });
  const pools: pg.Pool[] = [];
  const feeds: PgChangeFeed[] = [];
  return {
    writer: async (origin) => {
      const pool = await openPostgres(db.url, { poolSize: 2 });
      pools.push(pool);
      const feed = await listenForNotices(db.url, origin, () => undefined);
      feeds.push(feed);
      return { storage: createPgStorage(pool, box, origin), feed, leases: createPgLeases(pool) };
    },
    close: async () => {
      for (const f of feeds) await f.close();
      for (const p of pools) await closePostgres(p);
      await db.close();
    },
  };
}, { skip: await postgresSkip() });
