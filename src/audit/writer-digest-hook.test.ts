/**
 * The writer's onDigest hook, which feeds the digest logs outside the database: it sees each
 * signed digest exactly as stored, only after its transaction committed (never one that rolled
 * back), and a hook that throws is reported without disturbing the writer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import Database from 'better-sqlite3';
import { createSqliteAuditStore, sqliteDigestsFrom } from '../adapters/audit/sqlite-audit.ts';
import { KEYS_SCHEMA } from '../adapters/storage/sqlite-keys.ts';
import { createSqliteStorage } from '../adapters/storage/sqlite-storage.ts';
import type { ApiCall, AuditDigest, AuditStore } from '../ports/audit.ts';
import type { SecretBox } from '../ports/secret-box.ts';
import { AuditWriter, type AuditWriterOptions } from './writer.ts';
import type { AuditSigner } from './signing-key.ts';

const pair = generateKeyPairSync('ed25519');
const signer: AuditSigner = { keyId: 'k1', privateKey: pair.privateKey, publicKey: pair.publicKey };
const ARN = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000001';

/** A read-only call: its record is queued for the group commit (flush), which signs a digest when one is due. */
const call = (i: number): ApiCall => ({
  service: 'kms', operation: 'DescribeKey', caller: undefined, accessKeyId: 'AKIAEXAMPLE', region: 'us-east-1',
  requestId: `req-${i}`, request: { sourceIp: '127.0.0.1', userAgent: 'test', secureTransport: false },
  input: { KeyId: ARN }, output: undefined, error: undefined, resources: new Set([ARN]),
});

/** Only audit records are committed here: no IAM secret is ever sealed. */
const noSecrets = (): never => assert.fail('no IAM secret is sealed by these tests');
const BOX: SecretBox = { seal: noSecrets, open: noSecrets };

function writer(db: Database.Database, store: AuditStore, over: Partial<AuditWriterOptions>): Promise<AuditWriter> {
  db.exec(KEYS_SCHEMA);
  return AuditWriter.open({
    store, storage: createSqliteStorage(db, BOX), signer, clock: { now: () => Date.now() }, defaultAccountId: '111122223333', flushMs: 1000,
    digestEveryRecords: 3, digestIntervalMs: 3_600_000, retentionDays: 0, onError: (_w, e) => { throw e; }, ...over,
  });
}

test('each digest reaches the hook as stored, after its commit', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  // Read synchronously, as the hook runs: what the database holds at that moment.
  const storedDigests = sqliteDigestsFrom(db);
  const seen: { digest: AuditDigest; storedThen: AuditDigest | undefined; inTransaction: boolean }[] = [];
  const w = await writer(db, store, { onDigest: (d) => seen.push({ digest: d, storedThen: storedDigests(0).at(-1), inTransaction: db.inTransaction }) });
  for (let i = 0; i < 4; i++) w.record(call(i));
  await w.flush(); // 4 records ≥ digestEveryRecords: a digest after the flush's commit
  for (let i = 4; i < 6; i++) w.record(call(i));
  await w.close(); // the closing digest of the last two
  assert.deepEqual(seen.map((s) => s.digest), await store.digests());
  assert.equal(seen.length, 2);
  for (const s of seen) {
    assert.equal(s.inTransaction, false, 'called after the commit');
    assert.deepEqual(s.storedThen, s.digest, 'the digest was stored when the hook saw it');
  }
});

test('a digest whose transaction rolled back never reaches the hook', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  // The digest's insert fails inside the store's transaction (as a full disk would), which rolls back.
  db.exec("CREATE TRIGGER fail_digest BEFORE INSERT ON audit_digests BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  const seen: AuditDigest[] = [];
  const errors: string[] = [];
  const w = await writer(db, store, { onDigest: (d) => seen.push(d), onError: (what) => errors.push(what) });
  for (let i = 0; i < 2; i++) w.record(call(i));
  await w.flush();
  await w.maintain(); // signs a digest, whose transaction then fails
  assert.deepEqual(errors, ['audit maintenance failed']);
  assert.deepEqual(await store.digests(), [], 'rolled back');
  assert.deepEqual(seen, [], 'not announced');
  db.exec('DROP TRIGGER fail_digest');
  w.record(call(2));
  await w.maintain();
  assert.equal(seen.length, 1);
  assert.deepEqual(seen, await store.digests(), 'only the committed digest');
});

test('a hook that throws is reported; the records and the digest stay written once', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const errors: string[] = [];
  const w = await writer(db, store, { onDigest: () => { throw new Error('second disk gone'); }, onError: (what) => errors.push(what) });
  for (let i = 0; i < 4; i++) w.record(call(i));
  await w.flush();
  assert.deepEqual(errors, ['audit digest hook failed']);
  assert.equal(await store.count(), 4);
  assert.equal((await store.digests()).length, 1);
  w.record(call(4));
  await w.flush(); // the flushed rows left the queue: no second insert of them
  assert.equal(await store.count(), 5);
  assert.equal(w.stats().queueDepth, 0);
});
