/**
 * What nodes sharing one PostgreSQL database need besides the data: change notices and leases.
 *
 * Notices travel by LISTEN/NOTIFY: a commit sends its notice with pg_notify inside its own
 * transaction, so PostgreSQL delivers it exactly when, and only if, the transaction commits, in
 * commit order, to every listening session. Each process listens on one dedicated connection
 * (outside the pool); notices that arrive are queued until the feed is polled. A listener that
 * loses its connection may miss notices, so the next poll says `lost` (the reader drops every
 * cache) and the listener connects again by itself, backing off to once every 2 s.
 *
 * Leases are rows decided on the database's clock (clock_timestamp), in one statement, so nodes
 * whose clocks disagree still agree on who holds one.
 */
import pg from 'pg';
import type { ChangeFeed, ChangeNotice, Leases } from '../../ports/storage.ts';
import { mapPgError } from './errors.ts';
import { rows, run, type Queryable } from './query.ts';

/** The channel of Coffer's notices. */
export const NOTICE_CHANNEL = 'coffer_changes';
/** pg_notify's payload limit is 8000 bytes; a larger notice becomes "drop everything". */
const MAX_PAYLOAD = 7_900;
/** Notices waiting to be polled at most; beyond, the reader is told it lost some. */
const MAX_QUEUE = 10_000;

/** Sends a commit's notice; called by storage.ts inside the commit's transaction. */
export async function sendNotice(db: Queryable, origin: string, topics: readonly string[]): Promise<void> {
  let payload = JSON.stringify({ o: origin, t: topics });
  if (Buffer.byteLength(payload) > MAX_PAYLOAD) payload = JSON.stringify({ o: origin, t: ['*'] });
  await run(db, 'SELECT pg_notify($1, $2)', [NOTICE_CHANNEL, payload]);
}

function parseNotice(payload: string | undefined): ChangeNotice | undefined {
  try {
    const v = JSON.parse(payload ?? '') as { o?: unknown; t?: unknown };
    if (typeof v.o !== 'string' || !Array.isArray(v.t)) return undefined;
    return { origin: v.o, topics: v.t.filter((t): t is string => typeof t === 'string') };
  } catch {
    return undefined;
  }
}

export interface PgChangeFeed extends ChangeFeed {
  close(): Promise<void>;
}

/**
 * The feed of `origin`: every other writer's notices, from the moment `listen` resolved. Resolves
 * once the listening connection is established (a start-up that cannot listen fails).
 */
export async function listenForNotices(url: string, origin: string, onError: (e: Error) => void): Promise<PgChangeFeed> {
  let queue: ChangeNotice[] = [];
  let lost = false;
  let closed = false;
  let client: pg.Client | undefined;
  let retryMs = 100;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, keepAlive: true, application_name: 'coffer-listener' });
    c.on('notification', (n) => {
      if (n.channel !== NOTICE_CHANNEL) return;
      const notice = parseNotice(n.payload);
      if (notice === undefined) { lost = true; return; }
      if (notice.origin === origin) return;
      if (queue.length >= MAX_QUEUE) { lost = true; queue = []; return; }
      queue.push(notice);
    });
    c.on('error', (e) => {
      // The connection is gone: notices may be missed until a new one listens.
      lost = true;
      onError(mapPgError(e));
      if (client === c) client = undefined;
      c.end().catch(() => undefined);
      schedule();
    });
    await c.connect();
    await c.query(`LISTEN ${NOTICE_CHANNEL}`);
    client = c;
    retryMs = 100;
  };
  const schedule = (): void => {
    if (closed) return;
    const t = setTimeout(() => {
      if (closed || client !== undefined) return;
      connect().catch((e: unknown) => {
        lost = true;
        onError(mapPgError(e));
        retryMs = Math.min(retryMs * 2, 2_000);
        schedule();
      });
    }, retryMs);
    t.unref();
  };

  try {
    await connect();
  } catch (e) {
    throw mapPgError(e);
  }
  return {
    poll: async () => {
      const notices = queue;
      queue = [];
      const wasLost = lost || client === undefined;
      lost = false;
      return { notices, lost: wasLost };
    },
    close: async () => {
      closed = true;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

/** Leases on the database's clock (milliseconds since the epoch, as PostgreSQL tells it). */
export function createPgLeases(pool: pg.Pool): Leases {
  const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
  return {
    acquire: async (name, holder, ttlMs) => {
      const held = await rows<{ holder: string }>(pool, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, ${NOW} + $3)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leases.holder = excluded.holder OR leases.expires_at < ${NOW}
        RETURNING holder`, [name, holder, ttlMs]);
      return held.length === 1 && held[0]?.holder === holder;
    },
    release: async (name, holder) => { await run(pool, 'DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder]); },
  };
}
