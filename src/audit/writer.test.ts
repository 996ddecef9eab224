/**
 * The writer's group commit: read-only records are written ahead in small batches without an
 * fsync, made durable by one durable commit within flushMs, and a mutation's commit makes every
 * earlier batch durable; the SQLite storage's non-durable commit leaves the connection's own
 * synchronous setting in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditRowsOf, createSqliteAuditStore } from '../adapters/audit/sqlite-audit.ts';
import { KEYS_SCHEMA } from '../adapters/storage/sqlite-keys.ts';
import { createSqliteStorage } from '../adapters/storage/sqlite-storage.ts';
import type { ApiCall, AuditStore } from '../ports/audit.ts';
import type { SecretBox } from '../ports/secret-box.ts';
import type { Storage } from '../ports/storage.ts';
import { AuditWriter } from './writer.ts';
import type { AuditSigner } from './signing-key.ts';

const pair = generateKeyPairSync('ed25519');
const signer: AuditSigner = { keyId: 'k1', privateKey: pair.privateKey, publicKey: pair.publicKey };

const call = (i: number): ApiCall => ({
  service: 'kms', operation: 'Encrypt', caller: undefined, accessKeyId: 'AKIAEXAMPLE', region: 'us-east-1',
  requestId: `req-${i}`, request: { sourceIp: '127.0.0.1', userAgent: 'test', secureTransport: false },
  input: { KeyId: 'alias/x' }, output: undefined, error: undefined, resources: new Set(),
});

/** Only key and audit changes are committed here: no IAM secret is ever sealed. */
const noSecrets = (): never => assert.fail('no IAM secret is sealed by these tests');
const BOX: SecretBox = { seal: noSecrets, open: noSecrets };

/** The SQLite storage the writer commits through (the key tables too, as in a data folder). */
function sqliteStorage(db: Database.Database): Storage {
  db.exec(KEYS_SCHEMA);
  return createSqliteStorage(db, BOX);
}

/** Real SQLite storage that notes each commit: 'durable', 'ahead' (no fsync) or 'sync'. */
function observedStorage(db: Database.Database): { storage: Storage; commits: string[] } {
  const inner = sqliteStorage(db);
  const commits: string[] = [];
  const storage: Storage = {
    commit: async (work, options) => {
      const r = await inner.commit(work, options);
      commits.push(options?.durable === false ? 'ahead' : 'durable');
      return r;
    },
    sync: async () => { await inner.sync(); commits.push('sync'); },
  };
  return { storage, commits };
}

function writer(store: AuditStore, storage: Storage, flushMs: number): Promise<AuditWriter> {
  return AuditWriter.open({
    store, storage, signer, clock: { now: () => Date.now() }, defaultAccountId: '111122223333', flushMs,
    digestEveryRecords: 1_000_000, digestIntervalMs: 3_600_000, retentionDays: 0, onError: (_w, e) => { throw e; },
  });
}

test('under load, records are written ahead in batches and made durable by the group commit', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const { storage, commits } = observedStorage(db);
  const w = await writer(store, storage, 100);
  for (let i = 0; i < 300; i++) w.record(call(i));
  assert.equal(await store.count(), 0, 'nothing is written on the request path');
  await tick();
  assert.equal(await store.count(), 300, 'written ahead after the turn');
  assert.deepEqual(commits, ['ahead']);
  for (let i = 300; i < 310; i++) w.record(call(i));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(await store.count(), 310);
  assert.deepEqual(commits, ['ahead', 'durable'], 'the deadline commits the rest durably, syncing the batch');
  await w.close();
  db.close();
});

test('a batch with nothing after it is synced at the deadline', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const { storage, commits } = observedStorage(db);
  const w = await writer(store, storage, 50);
  for (let i = 0; i < 200; i++) w.record(call(i));
  await tick();
  assert.deepEqual(commits, ['ahead']);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(commits, ['ahead', 'sync']);
  assert.equal(w.stats().queueDepth, 0);
  await w.close();
  db.close();
});

test('a mutation commits the queue with its own record, durably', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const { storage, commits } = observedStorage(db);
  const w = await writer(store, storage, 1000);
  for (let i = 0; i < 5; i++) w.record(call(i));
  await w.commit([{ kind: 'setMeta', name: 'created', value: '1' }], { ...call(99), operation: 'CreateKey' });
  assert.equal(await store.count(), 6);
  assert.deepEqual(commits, ['durable']);
  assert.equal(db.prepare<[], string>("SELECT value FROM meta WHERE name = 'created'").pluck().get(), '1', 'the change committed with the records');
  await w.close();
  db.close();
});

test('SQLite: a commit ahead of the group commit keeps the connection at synchronous=FULL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-'));
  try {
    const db = new Database(join(dir, 'a.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const storage = sqliteStorage(db);
    const seen: number[] = [];
    // The records callback runs inside the commit's transaction.
    await storage.commit({ changes: [], records: () => { seen.push(Number(db.pragma('synchronous', { simple: true }))); return []; } }, { durable: false });
    assert.deepEqual(seen, [1], 'NORMAL inside the commit ahead');
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL again after it');
    await assert.rejects(storage.commit({ changes: [], records: () => { throw new Error('boom'); } }, { durable: false }), /boom/);
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL again after a rollback');
    await storage.sync();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Storage whose writes fail like a full disk while `full` is set. */
function failingStorage(db: Database.Database): { storage: Storage; setFull: (f: boolean) => void } {
  const inner = sqliteStorage(db);
  let full = false;
  const diskFull = (): Error => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  const storage: Storage = {
    commit: async (work, options) => { if (full) throw diskFull(); return inner.commit(work, options); },
    sync: async () => { if (full) throw diskFull(); await inner.sync(); },
  };
  return { storage, setFull: (f) => { full = f; } };
}

function boundedWriter(store: AuditStore, storage: Storage, onFailure: 'refuse' | 'continue', errors: string[]): Promise<AuditWriter> {
  return AuditWriter.open({
    store, storage, signer, clock: { now: () => Date.now() }, defaultAccountId: '111122223333', flushMs: 20,
    digestEveryRecords: 1_000_000, digestIntervalMs: 3_600_000, retentionDays: 0, onFailure, maxQueueRecords: 50, maxQueueAgeMs: 60_000,
    onError: (what) => { errors.push(what); },
  });
}

test("refuse (the default): while records cannot be written the queue fills to its bound, then new calls are refused; it recovers by itself and loses nothing", async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const { storage, setFull } = failingStorage(db);
  const errors: string[] = [];
  const w = await boundedWriter(store, storage, 'refuse', errors);
  setFull(true);
  for (let i = 0; i < 49; i++) w.record(call(i));
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(errors.length > 0, 'the failed flush was reported');
  assert.equal(w.accepting(), true, 'below the bound calls are still served');
  assert.match(w.problem() ?? '', /cannot be written since .*SQLITE_FULL.*49 record/);
  w.record(call(49));
  assert.equal(w.accepting(), false, 'at the bound new calls are refused');
  assert.match(w.problem() ?? '', /new calls are refused/);
  assert.equal(w.stats().refusing, true);
  setFull(false);
  await new Promise((r) => setTimeout(r, 1200)); // the retry backs off to at most a second
  assert.equal(w.accepting(), true);
  assert.equal(w.problem(), undefined);
  assert.equal(await store.count(), 50, 'every queued record was written once the disk had room');
  assert.equal(w.stats().dropped, 0);
  await w.close();
});

test('continue: calls go on past the bound, the records that do not fit are dropped before they are chained, and one AuditRecordsDropped record marks the gap', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const { storage, setFull } = failingStorage(db);
  const w = await boundedWriter(store, storage, 'continue', []);
  setFull(true);
  for (let i = 0; i < 80; i++) w.record(call(i));
  assert.equal(w.accepting(), true, 'availability over audit');
  assert.equal(w.stats().dropped, 30);
  setFull(false);
  await new Promise((r) => setTimeout(r, 1200));
  await w.close();
  const rows = [...auditRowsOf(db)];
  assert.equal(rows.length, 51, '50 queued records and the gap record');
  const gap = rows.find((r) => r.eventName === 'AuditRecordsDropped');
  assert.ok(gap, 'the gap is in the trail');
  assert.equal((JSON.parse(gap.record) as { serviceEventDetails: { droppedRecords: number } }).serviceEventDetails.droppedRecords, 30);
  // The chain is whole: each record links to the one before it.
  for (let i = 1; i < rows.length; i++) assert.equal(rows[i]?.prevHash, rows[i - 1]?.hash);
});
