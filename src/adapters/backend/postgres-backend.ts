/**
 * The PostgreSQL backend: every storage port on one database shared by any number of Coffer
 * processes (nodes and their workers), through a pool per process, with change notices by
 * LISTEN/NOTIFY and leases on the database's clock (../postgres/coherence.ts). The database's
 * reachability is checked every few seconds, so /health says whether this node can reach it even
 * while no request needs it.
 */
import type pg from 'pg';
import { closePostgres, openPostgres } from '../postgres/connection.ts';
import { createPgKeyRepository, pgDomainKeys } from '../postgres/keys.ts';
import { createPgIdentityRepository } from '../postgres/identity.ts';
import { createPgClusterRepository } from '../postgres/clusters.ts';
import { createPgCustomKeyStoreRepository } from '../postgres/custom-key-stores.ts';
import { createPgAuditStore } from '../postgres/audit.ts';
import { createPgStorage, inTransaction } from '../postgres/storage.ts';
import { createPgLeases, listenForNotices, type PgChangeFeed } from '../postgres/coherence.ts';
import { rollback, withConnection } from '../postgres/checkout.ts';
import { rows, run, statementCounts } from '../postgres/query.ts';
import { StorageFault, describeFault } from '../../errors/storage-fault.ts';
import type { DomainKeyRecord } from '../../ports/key-repository.ts';
import type { Backend } from './backend.ts';
import { counting, type ReadCounter } from './counting.ts';

/** The advisory lock under which processes read and add the key store's domain keys ("coffer-dk"). */
const DOMAIN_KEYS_LOCK = 0x636f666b64;
/** How often the database's reachability is checked. */
const REACH_EVERY_MS = 2_000;

export interface PostgresBackendOptions {
  readonly poolSize: number;
  readonly onWarning: (message: string) => void;
}

/** The URL as it may be shown: without its password. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/** A fault of the database (as errors.ts maps one: a lost connection, a timeout, a server shutting down): it carries an SQLSTATE or connection code. */
const isDatabaseFault = (e: unknown): boolean =>
  e instanceof StorageFault && typeof (e as { code?: unknown }).code === 'string';

export async function openPostgresBackend(url: string, o: PostgresBackendOptions): Promise<Backend> {
  const pool: pg.Pool = await openPostgres(url, { poolSize: o.poolSize, onIdleError: (e) => o.onWarning(`idle database connection lost: ${e.message}`) });
  const feeds: PgChangeFeed[] = [];
  let unreachable: { since: number; cause: string } | undefined;
  const reach = setInterval(() => {
    rows(pool, 'SELECT 1').then(() => { unreachable = undefined; }, (e: unknown) => { unreachable ??= { since: Date.now(), cause: describeFault(e) }; });
  }, REACH_EVERY_MS);
  reach.unref();
  const leases = createPgLeases(pool);
  const counter: ReadCounter = { reads: 0 };
  return {
    kind: 'postgres',
    where: redactedUrl(url),
    keys: counting(createPgKeyRepository(pool), counter),
    clusters: createPgClusterRepository(pool),
    customKeyStores: createPgCustomKeyStoreRepository(pool),
    identities: (box) => counting(createPgIdentityRepository(pool, box), counter),
    repositoryReads: () => counter.reads,
    audit: (chain) => createPgAuditStore(pool, chain),
    storage: (box, chain) => createPgStorage(pool, box, chain),
    withDomainKeys: async (open) => {
      // One transaction holds the lock while the keys are read and opened, and stores what was
      // added or rewrapped, all or nothing; processes starting together take turns.
      return withConnection(pool, async (client) => {
        await run(client, 'BEGIN');
        await run(client, 'SELECT pg_advisory_xact_lock($1)', [DOMAIN_KEYS_LOCK]);
        const stored = await pgDomainKeys(client).all();
        const added: DomainKeyRecord[] = [];
        const replaced = new Map<string, DomainKeyRecord>();
        const current = () => [...stored, ...added].map((k) => replaced.get(k.id) ?? k);
        const result = open({
          all: current,
          add: (k) => { added.push(k); },
          replace: (k) => {
            if (!current().some((c) => c.id === k.id)) throw new Error(`no domain key ${k.id} to rewrap`);
            replaced.set(k.id, k);
          },
        });
        for (const k of added) await run(client, 'INSERT INTO domain_keys (id, wrapped, created_at) VALUES ($1, $2, $3)', [k.id, (replaced.get(k.id) ?? k).wrapped, k.createdAt]);
        for (const k of replaced.values()) if (!added.some((a) => a.id === k.id)) await pgDomainKeys(client).replace(k);
        await run(client, 'COMMIT');
        return result;
      }, rollback);
    },
    feed: (origin) => {
      // Listening starts at once; the first poll waits for it.
      const listening = listenForNotices(url, origin, (e) => o.onWarning(`change notices: ${e.message}`));
      listening.then((f) => feeds.push(f), () => undefined);
      return {
        poll: async () => (await listening).poll(),
      };
    },
    leases,
    isFault: isDatabaseFault,
    probe: async () => {
      await inTransaction(pool, true, (client) => run(client,
        "INSERT INTO storage_state (name, value) VALUES ('probe', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value", [String(Date.now())]));
    },
    statements: () => ({ ...statementCounts }),
    problem: () => (unreachable ? `the database cannot be reached since ${new Date(unreachable.since).toISOString()} (${unreachable.cause})` : undefined),
    keysByState: async () => (await rows<{ account_id: string; region: string; state: string; n: string | number }>(pool,
      "SELECT account_id, region, doc::json->>'state' AS state, count(*)::bigint AS n FROM keys GROUP BY 1, 2, 3"))
      .map((r) => ({ accountId: r.account_id, region: r.region, state: r.state, n: Number(r.n) })),
    close: async () => {
      clearInterval(reach);
      for (const f of feeds) await f.close();
      await closePostgres(pool);
    },
  };
}
