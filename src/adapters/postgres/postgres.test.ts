/**
 * What only the PostgreSQL backend has: several audit chains in one database (one per Coffer
 * process), writers racing from separate pools as separate processes would, the mapping of its
 * errors (StorageConflict, StorageFault), TLS from the URL, per-pool int8 parsing and the schema
 * version check. The ports' shared behaviour is in the conformance suites.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import type { AuditRow, ChainHead } from '../../ports/audit.ts';
import type { Storage } from '../../ports/storage.ts';
import { StorageConflict } from '../../errors/storage-conflict.ts';
import { StorageFault, isStorageFault } from '../../errors/storage-fault.ts';
import { createSecretBox } from '../keystore/secret-box.ts';
import { user, key } from '../conformance/repositories-fixtures.ts';
import { freshDatabase, postgresSkip, type TestDatabase } from '../../../test/support/postgres.ts';
import { closePostgres, openPostgres } from './connection.ts';
import { createPgAuditStore, pgAuditChains } from './audit.ts';
import { createPgStorage, inTransaction } from './storage.ts';
import { rows, run } from './query.ts';
import { createPgIdentityRepository } from './identity.ts';
import { SCHEMA_VERSION } from './schema.ts';

const skip = await postgresSkip();
const ACCOUNT = '111122223333';
const GENESIS = '0'.repeat(64);
const domainKey = randomBytes(32);
const box = createSecretBox({ activeId: 'dk-1', key: () => domainKey });

/** A fresh database and the pools opened on it (each pool stands for one Coffer process), all closed after the case. */
function pgTest(name: string, body: (db: TestDatabase, open: (options?: Parameters<typeof openPostgres>[1]) => Promise<pg.Pool>) => Promise<void>): void {
  test(name, skip === undefined ? {} : { skip }, async () => {
    const db = await freshDatabase();
    const pools: pg.Pool[] = [];
    try {
      await body(db, async (options) => { const p = await openPostgres(db.url, { poolSize: 4, ...options }); pools.push(p); return p; });
    } finally {
      for (const p of pools) await closePostgres(p);
      await db.close();
    }
  });
}

/** `n` rows chained after `head`, as the audit writer chains them; `tag` tells writers apart. */
function chained(head: ChainHead | undefined, n: number, tag: string, eventTime?: (seq: number) => number): AuditRow[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS;
  return Array.from({ length: n }, () => {
    seq++;
    const record = JSON.stringify({ eventID: `${tag}-${seq}` });
    const hash = createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(record).digest('hex');
    const row: AuditRow = {
      seq, eventTime: eventTime?.(seq) ?? 1_000 + seq, eventId: `${tag}-${seq}`, eventName: 'Encrypt', eventSource: 'kms.amazonaws.com',
      readOnly: true, username: undefined, accessKeyId: undefined, accountId: ACCOUNT, ownerAccountId: undefined, resources: [],
      record, prevHash, hash,
    };
    prevHash = hash;
    return row;
  });
}

const append = (storage: Storage, n: number, tag: string, eventTime?: (seq: number) => number) =>
  storage.commit({ changes: [], records: (h) => chained(h, n, tag, eventTime) });

/** The chain read back is whole: positions 1..n, each linked to the one before. */
async function assertWholeChain(pool: pg.Pool, chain: string, expected: number): Promise<void> {
  const rows = await createPgAuditStore(pool, chain).scan(0, 10_000);
  assert.equal(rows.length, expected);
  rows.forEach((r, i) => {
    assert.equal(r.seq, i + 1);
    assert.equal(r.prevHash, i === 0 ? GENESIS : rows[i - 1]?.hash);
    assert.equal(r.hash, createHash('sha256').update(Buffer.from(r.prevHash, 'hex')).update(r.record).digest('hex'));
  });
}

pgTest('two chains in one database do not interfere: heads, scans, counts, digests, anchors and pruning are per chain', async (_db, open) => {
  const pool = await open();
  const [a, b] = [createPgAuditStore(pool, 'node-a'), createPgAuditStore(pool, 'node-b')];
  const [sa, sb] = [createPgStorage(pool, box, 'node-a'), createPgStorage(pool, box, 'node-b')];
  await append(sa, 3, 'a');
  await append(sb, 2, 'b');
  await append(sa, 1, 'a');
  assert.equal((await a.head())?.seq, 4);
  assert.equal((await b.head())?.seq, 2);
  assert.equal(await a.count(), 4);
  assert.equal(await b.count(), 2);
  assert.deepEqual((await b.scan(0, 10)).map((r) => r.eventId), ['b-1', 'b-2']);
  const digest = { seqFrom: 1, seqTo: 2, lastHash: 'h', firstTime: 1, lastTime: 2, createdAt: 3, prevDigestHash: GENESIS, keyId: 'k', signature: 's' };
  await a.putDigest(digest);
  await b.putDigest(digest); // the same last record in another chain is another digest
  await assert.rejects(a.putDigest(digest));
  assert.deepEqual(await b.digests(), [digest]);
  assert.equal(await b.prune({ seq: 2, hash: (await b.head())?.hash ?? '' }), 2);
  assert.equal(await a.count(), 4, 'pruning one chain leaves the other');
  assert.equal(await a.anchor(), undefined);
  assert.equal((await b.anchor())?.seq, 2);
  await append(sb, 1, 'b');
  assert.equal((await b.head())?.seq, 3, 'the emptied chain continues from its own anchor');
  assert.deepEqual(await pgAuditChains(pool), ['node-a', 'node-b']);
  assert.deepEqual(await createPgAuditStore(pool, 'node-c').chains(), ['node-a', 'node-b']);
  await assertWholeChain(pool, 'node-a', 4);
});

pgTest('lookup merges the chains newest first by event time, then chain, then position', async (_db, open) => {
  const pool = await open();
  await append(createPgStorage(pool, box, 'node-a'), 3, 'a', (seq) => [10, 30, 50][seq - 1] ?? 0);
  await append(createPgStorage(pool, box, 'node-b'), 3, 'b', (seq) => [20, 30, 40][seq - 1] ?? 0);
  const ids = async (q: { before?: { eventTime: number; chain: string; seq: number }; startTime?: number; limit: number }) =>
    (await createPgAuditStore(pool, 'node-a').lookup({ accountId: ACCOUNT, ...q })).map((r) => r.eventId);
  assert.deepEqual(await ids({ limit: 10 }), ['a-3', 'b-3', 'b-2', 'a-2', 'b-1', 'a-1']);
  assert.deepEqual(await ids({ startTime: 25, limit: 3 }), ['a-3', 'b-3', 'b-2']);
  // Pages continue after the cursor of the last record seen, across chains, neither skipping nor repeating.
  assert.deepEqual(await ids({ before: { eventTime: 30, chain: 'node-b', seq: 2 }, limit: 2 }), ['a-2', 'b-1']);
  assert.deepEqual(await ids({ before: { eventTime: 30, chain: 'node-a', seq: 2 }, limit: 10 }), ['b-1', 'a-1']);
});

pgTest('two processes appending to their own chains at once both succeed, each chain whole', async (_db, open) => {
  const [p1, p2] = [await open(), await open()];
  const [s1, s2] = [createPgStorage(p1, box, 'node-1'), createPgStorage(p2, box, 'node-2')];
  const writer = async (s: Storage, tag: string) => { for (let i = 0; i < 15; i++) await append(s, 1 + (i % 3), tag); };
  await Promise.all([writer(s1, 'one'), writer(s2, 'two'), writer(s1, 'one'), writer(s2, 'two')]);
  await assertWholeChain(p1, 'node-1', 60);
  await assertWholeChain(p1, 'node-2', 60);
});

pgTest('inside one process, concurrent commits with records are serialized per chain (none fails), those without run beside them', async (_db, open) => {
  const pool = await open();
  const s = createPgStorage(pool, box, 'node-1');
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 3 === 2
    ? s.commit({ changes: [{ kind: 'setMeta', name: `m${i}`, value: 'x' }] })
    : append(s, 2, 'n'))));
  assert.equal(results.filter((r) => r === undefined).length, 10);
  await assertWholeChain(pool, 'node-1', 40);
});

pgTest('two processes appending to the SAME chain: each commit succeeds or fails with StorageConflict; the chain never forks', async (_db, open) => {
  const [p1, p2] = [await open(), await open()];
  const [s1, s2] = [createPgStorage(p1, box, 'shared'), createPgStorage(p2, box, 'shared')];
  let ok = 0;
  const conflicts: unknown[] = [];
  const writer = async (s: Storage) => {
    for (let i = 0; i < 25; i++) {
      const rows = 1 + (i % 2);
      try {
        await append(s, rows, 'w');
        ok += rows;
      } catch (e) {
        conflicts.push(e);
      }
    }
  };
  await Promise.all([writer(s1), writer(s2)]);
  for (const e of conflicts) assert.ok(e instanceof StorageConflict, `a conflict, not ${String(e)}`);
  await assertWholeChain(p1, 'shared', ok);
});

pgTest('a unique violation in a change set is a StorageConflict whose message names the constraint, never the values', async (_db, open) => {
  const pool = await open();
  const s = createPgStorage(pool, box, 'node-1');
  const secretName = `Name-${randomBytes(6).toString('hex')}`;
  const err = await s.commit({ changes: [{ kind: 'putUser', user: user('AIDA1', secretName) }, { kind: 'putUser', user: user('AIDA2', secretName.toUpperCase()) }] })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof StorageConflict);
  assert.equal(err.name, 'StorageConflict');
  assert.match(err.message, /23505.*iam_users/);
  assert.ok(!err.message.toLowerCase().includes(secretName.toLowerCase()), 'no value in the message');
  assert.equal(err.cause, undefined, 'the driver error (its detail quotes the row) is not kept');
  assert.equal(await createPgIdentityRepository(pool, box).getUserById('AIDA1'), undefined, 'nothing of the commit applied');
  // A foreign key is not a conflict: a plain error, still no values.
  const fk = await s.commit({ changes: [{ kind: 'putMaterial', material: { keyArn: key('missing').arn, materialId: 'm', domainKeyId: 'dk', wrapped: Buffer.from('secret material'), createdAt: 1 } }] })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(fk instanceof Error && !(fk instanceof StorageConflict) && !isStorageFault(fk));
  assert.ok(!fk.message.includes('missing') && !fk.message.includes('secret material'));
});

pgTest('a statement that waits past the statement timeout fails as a StorageFault, and the store goes on', async (db, open) => {
  const pool = await open({ statementTimeoutMs: 300 });
  const s = createPgStorage(pool, box, 'node-1');
  await s.commit({ changes: [{ kind: 'putKey', key: key('k1') }] });
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM keys FOR UPDATE');
    const started = Date.now();
    const err = await s.commit({ changes: [{ kind: 'putKey', key: key('k1', { description: 'blocked' }) }] }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof StorageFault, `a StorageFault, not ${String(err)}`);
    assert.match(err.message, /57014/);
    assert.ok(Date.now() - started < 5_000);
    await holder.query('ROLLBACK');
  } finally {
    await holder.end();
  }
  await s.commit({ changes: [{ kind: 'putKey', key: key('k1', { description: 'after' }) }] }, { durable: false });
  await s.sync();
});

pgTest('an unreachable server is a StorageFault within the connect timeout, never a hang; the URL\'s password is not in the message', async (db) => {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const a = srv.address(); srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
  });
  const url = new URL(db.url);
  url.port = String(port);
  url.password = 'pw-not-to-be-logged';
  const started = Date.now();
  const err = await openPostgres(url.toString(), { connectTimeoutMs: 1_000 }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof StorageFault, `a StorageFault, not ${String(err)}`);
  assert.ok(!err.message.includes('pw-not-to-be-logged'));
  assert.ok(Date.now() - started < 5_000);
});

pgTest('TLS as the URL asks: sslmode=require is not dropped (the connection is encrypted or refused)', async (db) => {
  const url = new URL(db.url);
  url.searchParams.set('sslmode', 'require');
  const pool = await openPostgres(url.toString(), { connectTimeoutMs: 2_000 }).then((p) => p, (e: unknown) => e);
  if (pool instanceof pg.Pool) {
    try {
      const r = await pool.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.equal(r.rows[0]?.ssl, true);
    } finally {
      await closePostgres(pool);
    }
  } else {
    assert.ok(pool instanceof StorageFault, `a StorageFault, not ${String(pool)}`);
    assert.match(pool.message, /SSL|TLS|certificate/i);
  }
});

pgTest('int8 columns read as numbers through the adapter\'s pool, and pg\'s global parsers are left alone', async (_db, open) => {
  const pool = await open();
  const r = await pool.query<{ n: number }>('SELECT 9007199254740991::bigint AS n');
  assert.equal(r.rows[0]?.n, Number.MAX_SAFE_INTEGER);
  assert.equal(pg.types.getTypeParser(20, 'text')('5'), '5');
});

pgTest('schema versions: two processes opening a new database at once both succeed; a newer version is refused', async (db, open) => {
  const [p1] = await Promise.all([open(), open(), open()]);
  assert.deepEqual((await p1.query('SELECT version FROM schema_version')).rows, [{ version: SCHEMA_VERSION }]);
  await p1.query('UPDATE schema_version SET version = $1', [SCHEMA_VERSION + 1]);
  await assert.rejects(openPostgres(db.url), {
    name: 'SchemaTooNew',
    message: `the PostgreSQL database's schema version ${SCHEMA_VERSION + 1} is newer than this Coffer (${SCHEMA_VERSION}): upgrade Coffer`,
  });
});

pgTest('a connection lost between two statements of a transaction (the server shut it down) fails that transaction as a StorageFault; the process and the pool go on', async (_db, open) => {
  const pool = await open();
  const other = await open();
  let pid = 0;
  await assert.rejects(inTransaction(pool, true, async (client) => {
    pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
    await other.query('SELECT pg_terminate_backend($1)', [pid]);
    // The server's FATAL arrives while no statement runs: pg emits it as the connection's `error` event.
    await new Promise((r) => setTimeout(r, 300));
    await run(client, 'SELECT 1');
  }), (e: unknown) => isStorageFault(e));
  assert.ok(pid > 0);
  const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  assert.notEqual(rows[0]?.pid, pid, 'the lost connection was not handed out again');
});

pgTest('a read whose parameter holds U+0000 (which PostgreSQL text cannot) finds nothing instead of failing', async (_db, open) => {
  const pool = await open();
  assert.deepEqual(await rows(pool, 'SELECT $1::text AS v', ['a\u0000b']), []);
  assert.deepEqual(await rows(pool, 'SELECT $1::text[] AS v', [['x', '\u0000']]), []);
  assert.deepEqual(await rows<{ v: string }>(pool, 'SELECT $1::text AS v', ['ab']), [{ v: 'ab' }]);
  // Sent as it is, the server refuses it: the reason for the rule.
  await assert.rejects(pool.query('SELECT $1::text AS v', ['a\u0000b']));
});
