/**
 * The writer's onDigest hook, which feeds the digest logs outside the database: it sees each
 * signed digest exactly as stored, only after its transaction committed (never one that rolled
 * back), and a hook that throws is reported without disturbing the writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { createSqliteAuditStore } from '../adapters/audit/sqlite-audit.ts';
import type { AuditDigest, AuditStore } from '../ports/audit.ts';
import { AuditWriter, type AuditWriterOptions } from './writer.ts';
import type { AuditSigner } from './signing-key.ts';

const pair = generateKeyPairSync('ed25519');
const signer: AuditSigner = { keyId: 'k1', privateKey: pair.privateKey, publicKey: pair.publicKey };
const ARN = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000001';

function writer(store: AuditStore, over: Partial<AuditWriterOptions>): AuditWriter {
  return new AuditWriter({
    store, signer, clock: { now: () => Date.now() }, defaultAccountId: '111122223333', flushMs: 1000,
    digestEveryRecords: 3, digestIntervalMs: 3_600_000, retentionDays: 0, onError: (_w, e) => { throw e; }, ...over,
  });
}

test('each digest reaches the hook as stored, after its commit', () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const seen: { digest: AuditDigest; storedThen: AuditDigest | undefined; inTransaction: boolean }[] = [];
  const w = writer(store, { onDigest: (d) => seen.push({ digest: d, storedThen: store.lastDigest(), inTransaction: db.inTransaction }) });
  for (let i = 0; i < 4; i++) w.recordServiceEvent('RotateKey', ARN);
  w.flush(); // 4 records ≥ digestEveryRecords: a digest in the flush's transaction
  for (let i = 0; i < 2; i++) w.recordServiceEvent('RotateKey', ARN);
  w.close(); // the closing digest of the last two
  assert.deepEqual(seen.map((s) => s.digest), store.digests());
  assert.equal(seen.length, 2);
  for (const s of seen) {
    assert.equal(s.inTransaction, false, 'called after the commit');
    assert.deepEqual(s.storedThen, s.digest, 'the digest was stored when the hook saw it');
  }
});

test('a digest whose transaction rolled back never reaches the hook', () => {
  const db = new Database(':memory:');
  const inner = createSqliteAuditStore(db);
  let failDigest = true;
  const store: AuditStore = { ...inner, putDigest: (d) => { inner.putDigest(d); if (failDigest) throw new Error('disk full'); } };
  const seen: AuditDigest[] = [];
  const errors: string[] = [];
  const w = writer(store, { onDigest: (d) => seen.push(d), onError: (what) => errors.push(what) });
  for (let i = 0; i < 2; i++) w.recordServiceEvent('RotateKey', ARN);
  w.flush();
  w.maintain(); // signs a digest, whose transaction then fails
  assert.deepEqual(errors, ['audit maintenance failed']);
  assert.deepEqual(inner.digests(), [], 'rolled back');
  assert.deepEqual(seen, [], 'not announced');
  failDigest = false;
  w.recordServiceEvent('RotateKey', ARN);
  w.maintain();
  assert.equal(seen.length, 1);
  assert.deepEqual(seen, inner.digests(), 'only the committed digest');
});

test('a hook that throws is reported; the records and the digest stay written once', () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const errors: string[] = [];
  const w = writer(store, { onDigest: () => { throw new Error('second disk gone'); }, onError: (what) => errors.push(what) });
  for (let i = 0; i < 4; i++) w.recordServiceEvent('RotateKey', ARN);
  w.flush();
  assert.deepEqual(errors, ['audit digest hook failed']);
  assert.equal(store.count(), 4);
  assert.equal(store.digests().length, 1);
  w.recordServiceEvent('RotateKey', ARN);
  w.flush(); // the flushed rows left the queue: no second insert of them
  assert.equal(store.count(), 5);
  assert.equal(w.stats().queueDepth, 0);
});
