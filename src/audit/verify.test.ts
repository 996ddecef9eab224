/**
 * The hash chain and the signed digests: an intact trail verifies, and each kind of tampering is
 * named with the first bad record (changed, removed, inserted, reordered, a rewritten chain, a
 * forged digest, a lookup column that disagrees with its record, a digest not signed by the
 * pinned key); pruning keeps verification working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import Database from 'better-sqlite3';
import { createSqliteAuditStore } from '../adapters/audit/sqlite-audit.ts';
import type { ApiCall, AuditRow, AuditStore } from '../ports/audit.ts';
import { chainHash, GENESIS } from './chain.ts';
import { verifyTrail, type VerifyReport } from './verify.ts';
import { AuditWriter, pruneBefore } from './writer.ts';
import type { AuditSigner } from './signing-key.ts';

const pair = generateKeyPairSync('ed25519');
const signer: AuditSigner = { keyId: 'k1', privateKey: pair.privateKey, publicKey: pair.publicKey };

function trail(n: number, digestEvery = 4): { db: Database.Database; store: AuditStore } {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  let t = Date.parse('2026-01-01T00:00:00Z');
  const w = new AuditWriter({
    store, signer, clock: { now: () => (t += 60_000) }, defaultAccountId: '111122223333', flushMs: 1000,
    digestEveryRecords: digestEvery, digestIntervalMs: 60_000, retentionDays: 0, onError: (_w, e) => { throw e; },
  });
  for (let i = 1; i <= n; i++) {
    w.recordServiceEvent(i % 2 === 0 ? 'RotateKey' : 'DeleteKey', `arn:aws:kms:us-east-1:111122223333:key/${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`);
    if (i % 3 === 0) w.flush();
  }
  w.close();
  return { db, store };
}

const rows = (store: AuditStore): AuditRow[] => store.scan(0, 1_000_000);
const verify = (store: AuditStore): VerifyReport =>
  verifyTrail({ rows: rows(store), digests: store.digests(), anchor: store.anchor(), publicKeys: new Map([['k1', signer.publicKey]]) });

test('an intact trail verifies; each record links to the one before', () => {
  const { store } = trail(10);
  const r = verify(store);
  assert.equal(r.ok, true, JSON.stringify(r.problem));
  assert.equal(r.records, 10);
  assert.equal(r.uncovered, 0, 'close() signs a digest of the tail');
  const all = rows(store);
  assert.equal(all[0]?.prevHash, GENESIS);
  for (let i = 1; i < all.length; i++) assert.equal(all[i]?.prevHash, all[i - 1]?.hash);
  for (const x of all) assert.equal(chainHash(x.prevHash, x.record), x.hash);
  assert.ok(store.digests().length >= 2);
});

test('a changed record is named', () => {
  const { db, store } = trail(10);
  db.prepare("UPDATE audit_records SET record = replace(record, 'AWS Internal', 'Mallory') WHERE seq = 6").run();
  const r = verify(store);
  assert.equal(r.problem?.kind, 'changed');
  assert.equal(r.problem?.seq, 6);
});

test('a removed record is named', () => {
  const { db, store } = trail(10);
  db.prepare('DELETE FROM audit_records WHERE seq = 5').run();
  const r = verify(store);
  assert.equal(r.problem?.kind, 'removed');
  assert.equal(r.problem?.seq, 5);
});

test('an inserted record is named', () => {
  const { db, store } = trail(10);
  const prev = rows(store)[3] as AuditRow; // seq 4
  db.prepare('UPDATE audit_records SET seq = seq + 1000 WHERE seq >= 5').run();
  db.prepare('UPDATE audit_records SET seq = seq - 999 WHERE seq >= 1000').run();
  const forged = JSON.stringify({ eventVersion: '1.11', eventName: 'Decrypt', eventID: 'forged' });
  db.prepare(`INSERT INTO audit_records (seq, event_time, event_id, event_name, event_source, read_only, account_id, resources, record, prev_hash, hash)
    VALUES (5, 0, 'forged', 'Decrypt', 'kms.amazonaws.com', 1, '111122223333', '[]', ?, ?, ?)`).run(forged, prev.hash, chainHash(prev.hash, forged));
  const r = verify(store);
  assert.equal(r.problem?.kind, 'inserted', r.problem?.message);
  assert.equal(r.problem?.seq, 5);
});

test('reordered records are named', () => {
  const { db, store } = trail(10);
  db.prepare('UPDATE audit_records SET seq = 1000 WHERE seq = 5').run();
  db.prepare('UPDATE audit_records SET seq = 5 WHERE seq = 6').run();
  db.prepare('UPDATE audit_records SET seq = 6 WHERE seq = 1000').run();
  const r = verify(store);
  assert.equal(r.problem?.kind, 'reordered', r.problem?.message);
  assert.equal(r.problem?.seq, 5);
});

test('a chain rewritten after a change (hashes recomputed) fails against the signed digest', () => {
  const { db, store } = trail(10);
  const all = rows(store);
  let prev = GENESIS;
  const upd = db.prepare('UPDATE audit_records SET record = ?, prev_hash = ?, hash = ? WHERE seq = ?');
  for (const x of all) {
    const record = x.seq === 3 ? x.record.replace('AWS Internal', 'Mallory') : x.record;
    const hash = chainHash(prev, record);
    upd.run(record, prev, hash, x.seq);
    prev = hash;
  }
  const r = verify(store);
  assert.equal(r.ok, false);
  assert.equal(r.problem?.kind, 'changed');
  assert.ok((r.problem?.seq ?? 0) >= 3, 'named at the first digest that no longer matches');
});

test('records removed from the end of a digested trail are found', () => {
  const { db, store } = trail(10);
  db.prepare('DELETE FROM audit_records WHERE seq >= 9').run();
  const r = verify(store);
  assert.equal(r.problem?.kind, 'removed');
  assert.equal(r.problem?.seq, 9);
});

test('a forged or removed digest is found', () => {
  const { db, store } = trail(10);
  db.prepare("UPDATE audit_digests SET last_time = last_time + 1 WHERE seq_to = (SELECT min(seq_to) FROM audit_digests)").run();
  assert.equal(verify(store).problem?.kind, 'digest');
  const t2 = trail(10);
  t2.db.prepare('DELETE FROM audit_digests WHERE seq_to = (SELECT min(seq_to) FROM audit_digests)').run();
  assert.equal(verify(t2.store).problem?.kind, 'digest');
});

test('pruning up to a signed digest keeps the rest verifiable; a moved anchor is found', () => {
  const { db, store } = trail(12);
  const digests = store.digests();
  const second = digests[1];
  assert.ok(second);
  const removed = pruneBefore(store, second.lastTime + 1);
  assert.equal(removed, second.seqTo);
  assert.equal(store.anchor()?.seq, second.seqTo);
  const r = verify(store);
  assert.equal(r.ok, true, r.problem?.message);
  assert.equal(r.records, 12 - second.seqTo);
  assert.equal(pruneBefore(store, second.lastTime + 1), 0, 'idempotent');
  db.prepare("UPDATE audit_state SET value = json_set(value, '$.seq', 2) WHERE name = 'anchor'").run();
  assert.equal(verify(store).problem?.kind, 'digest');
});

test('a transaction that rolls back takes its records with it; the chain stays whole', () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  let rolledBack = 0;
  const w = new AuditWriter({
    store, signer, clock: { now: () => Date.now() }, defaultAccountId: '111122223333', flushMs: 1000,
    digestEveryRecords: 100, digestIntervalMs: 60_000, retentionDays: 0, onError: (_w, e) => { throw e; }, onRollback: () => { rolledBack++; },
  });
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000001';
  w.recordServiceEvent('RotateKey', arn); // queued
  db.exec('CREATE TABLE state (x INTEGER)');
  assert.throws(() => w.transaction(() => { db.exec('INSERT INTO state VALUES (1)'); w.recordServiceEvent('DeleteKey', arn); throw new Error('boom'); }), /boom/);
  assert.equal(rolledBack, 1, 'a rolled-back write drops the caches');
  assert.equal(db.prepare('SELECT count(*) FROM state').pluck().get(), 0);
  // A transaction that wrote nothing (a refused call) rolls back without dropping any cache.
  assert.throws(() => w.transaction(() => { throw new Error('denied'); }), /denied/);
  assert.equal(rolledBack, 1);
  w.transaction(() => w.recordServiceEvent('DeleteKey', arn)); // durable: writes the queued record with it
  assert.equal(store.count(), 2, 'the queued record and the committed one, not the rolled-back one');
  w.close();
  const r = verify(store);
  assert.equal(r.ok, true, r.problem?.message);
  assert.deepEqual(rows(store).map((x) => x.eventName), ['RotateKey', 'DeleteKey']);
});

test('COFFER_AUDIT_RETENTION_DAYS: maintenance prunes what a digest covers past the retention, and the rest verifies', () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  let now = Date.parse('2026-01-01T00:00:00Z');
  const w = new AuditWriter({
    store, signer, clock: { now: () => now }, defaultAccountId: '111122223333', flushMs: 1000,
    digestEveryRecords: 1000, digestIntervalMs: 60_000, retentionDays: 30, onError: (_w, e) => { throw e; },
  });
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000001';
  for (let i = 0; i < 5; i++) w.recordServiceEvent('RotateKey', arn);
  w.maintain(); // flush + digest of records 1..5
  now += 40 * 86_400_000;
  for (let i = 0; i < 3; i++) w.recordServiceEvent('RotateKey', arn);
  w.maintain(); // digest 6..8, then prune what ended more than 30 days ago
  assert.equal(store.anchor()?.seq, 5);
  assert.equal(store.count(), 3);
  w.close();
  assert.equal(verify(store).ok, true);
});

test('a lookup column that disagrees with its record is named with the record and the column', () => {
  const tampers: readonly (readonly [string, string])[] = [
    ["event_name = 'ListUsers'", 'event_name'],
    ["event_source = 'iam.amazonaws.com'", 'event_source'],
    ['read_only = 1', 'read_only'],
    ['read_only = 2', 'read_only'],
    ["username = 'mallory'", 'username'],
    ["access_key_id = 'AKIAMALLORY000000001'", 'access_key_id'],
    ["account_id = '444455556666'", 'account_id'],
    ["owner_account_id = '444455556666'", 'owner_account_id'],
    ["resources = '[]'", 'resources'],
    // SQLite's json_extract reads a repeated key's first value, JSON.parse its last: not a form the store writes.
    [`resources = '[{"type":"AWS::KMS::Key","name":"arn:aws:kms:us-east-1:111122223333:key/other","name":"' || json_extract(resources, '$[0].name') || '"}]'`, 'resources'],
    ['event_time = event_time + 5000', 'event_time'],
    ["event_id = 'forged'", 'event_id'],
  ];
  for (const [set, column] of tampers) {
    const { db, store } = trail(10);
    const eventId = rows(store)[5]?.eventId;
    db.prepare(`UPDATE audit_records SET ${set} WHERE seq = 6`).run();
    const r = verify(store);
    assert.equal(r.problem?.kind, 'index', `${set}: ${r.problem?.message}`);
    assert.equal(r.problem?.seq, 6);
    assert.equal(r.problem?.eventId, eventId, 'the eventID of the record body');
    assert.match(r.problem?.message ?? '', new RegExp(`^record 6's indexed column ${column} `), set);
  }
});

test('the columns of calls by each kind of caller agree with their records; event_time may move only within its second', () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const w = new AuditWriter({
    store, signer, clock: { now: () => Date.parse('2026-01-01T00:00:00.250Z') }, defaultAccountId: '111122223333', flushMs: 1000,
    digestEveryRecords: 100, digestIntervalMs: 60_000, retentionDays: 0, onError: (_w, e) => { throw e; },
  });
  const bob = { accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/bob', accessKeyId: 'AKIABOB0000000000001', type: 'IAMUser' as const, userId: 'AIDABOB', username: 'bob', tags: {} };
  const call = (over: Partial<ApiCall>): ApiCall => ({
    service: 'kms', operation: 'Encrypt', caller: bob, accessKeyId: bob.accessKeyId, region: 'us-east-1', requestId: 'r', input: {}, output: undefined,
    request: { sourceIp: '127.0.0.1', userAgent: 'test', secureTransport: false }, error: undefined,
    resources: new Set(['arn:aws:kms:us-east-1:444455556666:key/00000000-0000-4000-8000-000000000001']), ...over,
  });
  w.record(call({}));
  w.record(call({ caller: undefined, error: { code: 'UnrecognizedClientException', message: 'no' } }));
  w.record(call({ service: 'iam', operation: 'CreateUser', resources: new Set() }));
  w.close();
  assert.equal(verify(store).ok, true, verify(store).problem?.message);
  db.prepare('UPDATE audit_records SET event_time = event_time + 700 WHERE seq = 1').run();
  assert.equal(verify(store).ok, true, 'the record keeps whole seconds');
  db.prepare('UPDATE audit_records SET event_time = event_time + 100 WHERE seq = 1').run();
  assert.match(verify(store).problem?.message ?? '', /record 1's indexed column event_time says "2026-01-01T00:00:01.050Z" but the record says "2026-01-01T00:00:00Z"/);
});

test('with a pinned public key every digest must carry its signature, whatever keys the database holds', () => {
  const { store } = trail(10);
  const other = generateKeyPairSync('ed25519').publicKey;
  const pinned = (pinnedKey: KeyObject): VerifyReport =>
    verifyTrail({ rows: rows(store), digests: store.digests(), anchor: store.anchor(), publicKeys: new Map([['k1', signer.publicKey]]), pinnedKey });
  const r = pinned(other);
  assert.equal(r.problem?.kind, 'digest');
  assert.match(r.problem?.message ?? '', /^the digest of records 1\.\.\d+ is not signed by the pinned public key$/);
  assert.equal(pinned(signer.publicKey).ok, true);
});
