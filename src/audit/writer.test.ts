/**
 * The writer's group commit: read-only records are written ahead in small batches without an
 * fsync, made durable by one durable commit within flushMs, and a mutation's commit makes every
 * earlier batch durable; the SQLite adapter's non-durable commit leaves the connection's own
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
import { createSqliteAuditStore } from '../adapters/audit/sqlite-audit.ts';
import type { ApiCall, AuditStore } from '../ports/audit.ts';
import { AuditWriter } from './writer.ts';
import type { AuditSigner } from './signing-key.ts';

const pair = generateKeyPairSync('ed25519');
const signer: AuditSigner = { keyId: 'k1', privateKey: pair.privateKey, publicKey: pair.publicKey };

const call = (i: number): ApiCall => ({
  service: 'kms', operation: 'Encrypt', caller: undefined, accessKeyId: 'AKIAEXAMPLE', region: 'us-east-1',
  requestId: `req-${i}`, request: { sourceIp: '127.0.0.1', userAgent: 'test', secureTransport: false },
  input: { KeyId: 'alias/x' }, output: undefined, error: undefined, resources: new Set(),
});

/** A real SQLite store that notes each commit: 'durable', 'ahead' (no fsync) or 'sync'. */
function observedStore(db: Database.Database): { store: AuditStore; commits: string[] } {
  const inner = createSqliteAuditStore(db);
  const commits: string[] = [];
  const store: AuditStore = {
    ...inner,
    transaction: (fn, options) => {
      const r = inner.transaction(fn, options);
      commits.push(options?.durable === false ? 'ahead' : 'durable');
      return r;
    },
    sync: () => { inner.sync(); commits.push('sync'); },
  };
  return { store, commits };
}

function writer(store: AuditStore, flushMs: number): AuditWriter {
  return new AuditWriter({
    store, signer, clock: { now: () => Date.now() }, defaultAccountId: '111122223333', flushMs,
    digestEveryRecords: 1_000_000, digestIntervalMs: 3_600_000, retentionDays: 0, onError: (_w, e) => { throw e; },
  });
}

test('under load, records are written ahead in batches and made durable by the group commit', async () => {
  const db = new Database(':memory:');
  const { store, commits } = observedStore(db);
  const w = writer(store, 100);
  for (let i = 0; i < 300; i++) w.record(call(i));
  assert.equal(store.count(), 0, 'nothing is written on the request path');
  await tick();
  assert.equal(store.count(), 300, 'written ahead after the turn');
  assert.deepEqual(commits, ['ahead']);
  for (let i = 300; i < 310; i++) w.record(call(i));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(store.count(), 310);
  assert.deepEqual(commits, ['ahead', 'durable'], 'the deadline commits the rest durably, syncing the batch');
  w.close();
  db.close();
});

test('a batch with nothing after it is synced at the deadline', async () => {
  const db = new Database(':memory:');
  const { store, commits } = observedStore(db);
  const w = writer(store, 50);
  for (let i = 0; i < 200; i++) w.record(call(i));
  await tick();
  assert.deepEqual(commits, ['ahead']);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(commits, ['ahead', 'sync']);
  assert.equal(w.stats().queueDepth, 0);
  w.close();
  db.close();
});

test('a mutation commits the queue with its own record, durably', async () => {
  const db = new Database(':memory:');
  const { store, commits } = observedStore(db);
  const w = writer(store, 1000);
  for (let i = 0; i < 5; i++) w.record(call(i));
  w.transaction(() => w.record({ ...call(99), operation: 'CreateKey' }));
  assert.equal(store.count(), 6);
  assert.deepEqual(commits, ['durable']);
  w.close();
  db.close();
});

test('SQLite: a commit ahead of the group commit keeps the connection at synchronous=FULL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-'));
  try {
    const db = new Database(join(dir, 'a.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const store = createSqliteAuditStore(db);
    const seen: number[] = [];
    store.transaction(() => { seen.push(Number(db.pragma('synchronous', { simple: true }))); }, { durable: false });
    assert.deepEqual(seen, [1], 'NORMAL inside the commit ahead');
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL again after it');
    assert.throws(() => store.transaction(() => { throw new Error('boom'); }, { durable: false }), /boom/);
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL again after a rollback');
    store.sync();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
