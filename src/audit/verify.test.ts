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
import { KEYS_SCHEMA } from '../adapters/storage/sqlite-keys.ts';
import { createSqliteStorage } from '../adapters/storage/sqlite-storage.ts';
import { notifyingStorage } from '../services/committer.ts';
import type { ApiCall, AuditRow, AuditStore } from '../ports/audit.ts';
import type { Change } from '../ports/changes.ts';
import type { SecretBox } from '../ports/secret-box.ts';
import type { Storage } from '../ports/storage.ts';
import { chainHash, GENESIS } from './chain.ts';
import { verifyTrail, type VerifyReport } from './verify.ts';
import { AuditWriter, pruneBefore } from './writer.ts';
import type { AuditSigner } from './signing-key.ts';

const pair = generateKeyPairSync('ed25519');
const signer: AuditSigner = { keyId: 'k1', privateKey: pair.privateKey, publicKey: pair.publicKey };

/** Only key and audit changes are committed here: no IAM secret is ever sealed. */
const noSecrets = (): never => assert.fail('no IAM secret is sealed by these tests');
const BOX: SecretBox = { seal: noSecrets, open: noSecrets };

/** The SQLite storage the writer commits through (the key tables too, as in a data folder). */
function sqliteStorage(db: Database.Database): Storage {
  db.exec(KEYS_SCHEMA);
  return createSqliteStorage(db, BOX);
}

/**
 * A trail of n service events (each committed like a scheduler pass's), with a digest signed by
 * maintenance (the digest timer's work) after every third record and a last one by close().
 */
async function trail(n: number): Promise<{ db: Database.Database; store: AuditStore }> {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  let t = Date.parse('2026-01-01T00:00:00Z');
  const w = await AuditWriter.open({
    store, storage: sqliteStorage(db), signer, clock: { now: () => (t += 60_000) }, defaultAccountId: '111122223333', flushMs: 1000,
    digestEveryRecords: 1_000_000, digestIntervalMs: 60_000, retentionDays: 0, onError: (_w, e) => { throw e; },
  });
  for (let i = 1; i <= n; i++) {
    await w.commit([], undefined, [{
      eventName: i % 2 === 0 ? 'RotateKey' : 'DeleteKey',
      keyArn: `arn:aws:kms:us-east-1:111122223333:key/${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
    }]);
    if (i % 3 === 0) await w.maintain();
  }
  await w.close();
  return { db, store };
}

const rows = (store: AuditStore): Promise<AuditRow[]> => store.scan(0, 1_000_000);
const verify = async (store: AuditStore): Promise<VerifyReport> =>
  verifyTrail({ rows: await rows(store), digests: await store.digests(), anchor: await store.anchor(), publicKeys: new Map([['k1', signer.publicKey]]) });

test('an intact trail verifies; each record links to the one before', async () => {
  const { store } = await trail(10);
  const r = await verify(store);
  assert.equal(r.ok, true, JSON.stringify(r.problem));
  assert.equal(r.records, 10);
  assert.equal(r.uncovered, 0, 'close() signs a digest of the tail');
  const all = await rows(store);
  assert.equal(all[0]?.prevHash, GENESIS);
  for (let i = 1; i < all.length; i++) assert.equal(all[i]?.prevHash, all[i - 1]?.hash);
  for (const x of all) assert.equal(chainHash(x.prevHash, x.record), x.hash);
  assert.ok((await store.digests()).length >= 2);
});

test('a changed record is named', async () => {
  const { db, store } = await trail(10);
  db.prepare("UPDATE audit_records SET record = replace(record, 'AWS Internal', 'Mallory') WHERE seq = 6").run();
  const r = await verify(store);
  assert.equal(r.problem?.kind, 'changed');
  assert.equal(r.problem?.seq, 6);
});

test('a removed record is named', async () => {
  const { db, store } = await trail(10);
  db.prepare('DELETE FROM audit_records WHERE seq = 5').run();
  const r = await verify(store);
  assert.equal(r.problem?.kind, 'removed');
  assert.equal(r.problem?.seq, 5);
});

test('an inserted record is named', async () => {
  const { db, store } = await trail(10);
  const prev = (await rows(store))[3] as AuditRow; // seq 4
  db.prepare('UPDATE audit_records SET seq = seq + 1000 WHERE seq >= 5').run();
  db.prepare('UPDATE audit_records SET seq = seq - 999 WHERE seq >= 1000').run();
  const forged = JSON.stringify({ eventVersion: '1.11', eventName: 'Decrypt', eventID: 'forged' });
  db.prepare(`INSERT INTO audit_records (seq, event_time, event_id, event_name, event_source, read_only, account_id, resources, record, prev_hash, hash)
    VALUES (5, 0, 'forged', 'Decrypt', 'kms.amazonaws.com', 1, '111122223333', '[]', ?, ?, ?)`).run(forged, prev.hash, chainHash(prev.hash, forged));
  const r = await verify(store);
  assert.equal(r.problem?.kind, 'inserted', r.problem?.message);
  assert.equal(r.problem?.seq, 5);
});

test('reordered records are named', async () => {
  const { db, store } = await trail(10);
  db.prepare('UPDATE audit_records SET seq = 1000 WHERE seq = 5').run();
  db.prepare('UPDATE audit_records SET seq = 5 WHERE seq = 6').run();
  db.prepare('UPDATE audit_records SET seq = 6 WHERE seq = 1000').run();
  const r = await verify(store);
  assert.equal(r.problem?.kind, 'reordered', r.problem?.message);
  assert.equal(r.problem?.seq, 5);
});

test('a chain rewritten after a change (hashes recomputed) fails against the signed digest', async () => {
  const { db, store } = await trail(10);
  const all = await rows(store);
  let prev = GENESIS;
  const upd = db.prepare('UPDATE audit_records SET record = ?, prev_hash = ?, hash = ? WHERE seq = ?');
  for (const x of all) {
    const record = x.seq === 3 ? x.record.replace('AWS Internal', 'Mallory') : x.record;
    const hash = chainHash(prev, record);
    upd.run(record, prev, hash, x.seq);
    prev = hash;
  }
  const r = await verify(store);
  assert.equal(r.ok, false);
  assert.equal(r.problem?.kind, 'changed');
  assert.ok((r.problem?.seq ?? 0) >= 3, 'named at the first digest that no longer matches');
});

test('records removed from the end of a digested trail are found', async () => {
  const { db, store } = await trail(10);
  db.prepare('DELETE FROM audit_records WHERE seq >= 9').run();
  const r = await verify(store);
  assert.equal(r.problem?.kind, 'removed');
  assert.equal(r.problem?.seq, 9);
});

test('a forged or removed digest is found', async () => {
  const { db, store } = await trail(10);
  db.prepare("UPDATE audit_digests SET last_time = last_time + 1 WHERE seq_to = (SELECT min(seq_to) FROM audit_digests)").run();
  assert.equal((await verify(store)).problem?.kind, 'digest');
  const t2 = await trail(10);
  t2.db.prepare('DELETE FROM audit_digests WHERE seq_to = (SELECT min(seq_to) FROM audit_digests)').run();
  assert.equal((await verify(t2.store)).problem?.kind, 'digest');
});

test('pruning up to a signed digest keeps the rest verifiable; a moved anchor is found', async () => {
  const { db, store } = await trail(12);
  const digests = await store.digests();
  const second = digests[1];
  assert.ok(second);
  const removed = await pruneBefore(store, second.lastTime + 1);
  assert.equal(removed, second.seqTo);
  assert.equal((await store.anchor())?.seq, second.seqTo);
  const r = await verify(store);
  assert.equal(r.ok, true, r.problem?.message);
  assert.equal(r.records, 12 - second.seqTo);
  assert.equal(await pruneBefore(store, second.lastTime + 1), 0, 'idempotent');
  db.prepare("UPDATE audit_state SET value = json_set(value, '$.seq', 2) WHERE name = 'anchor'").run();
  assert.equal((await verify(store)).problem?.kind, 'digest');
});

test('a change set that fails to commit takes its records with it; the chain stays whole', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  // The caches learn of a change set only once it committed (what onRollback used to undo).
  const notified: (readonly Change[])[] = [];
  const w = await AuditWriter.open({
    store, storage: notifyingStorage(sqliteStorage(db), [(c) => { notified.push(c); }]), signer, clock: { now: () => Date.now() },
    defaultAccountId: '111122223333', flushMs: 1000, digestEveryRecords: 100, digestIntervalMs: 60_000, retentionDays: 0,
    onError: (_w, e) => { throw e; },
  });
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000001';
  w.record({
    service: 'kms', operation: 'DescribeKey', caller: undefined, accessKeyId: 'AKIAEXAMPLE', region: 'us-east-1', requestId: 'r',
    request: { sourceIp: '127.0.0.1', userAgent: 'test', secureTransport: false }, input: { KeyId: arn }, output: undefined, error: undefined,
    resources: new Set([arn]),
  }); // queued
  // A change set that fails inside its transaction after a first write: a material of a key that does not exist.
  const material = { keyArn: arn, materialId: '0'.repeat(64), domainKeyId: 'd', wrapped: Buffer.alloc(1), createdAt: 0 };
  await assert.rejects(w.commit([
    { kind: 'setMeta', name: 'state', value: '1' },
    { kind: 'putMaterial', material },
  ], undefined, [{ eventName: 'DeleteKey', keyArn: arn }]), /FOREIGN KEY constraint failed/);
  assert.deepEqual(notified, [], 'a change set that did not commit reaches no cache');
  assert.equal(db.prepare("SELECT count(*) FROM meta WHERE name = 'state'").pluck().get(), 0);
  assert.equal(db.prepare('SELECT count(*) FROM key_materials').pluck().get(), 0);
  assert.equal(await store.count(), 0, 'neither its record nor the queued one was written');
  const committed: Change[] = [{ kind: 'setMeta', name: 'state', value: '2' }];
  await w.commit(committed, undefined, [{ eventName: 'DeleteKey', keyArn: arn }]); // durable: writes the queued record with it
  assert.deepEqual(notified, [committed], 'the committed change set reaches the caches, once');
  assert.equal(await store.count(), 2, 'the queued record and the committed one, not the rolled-back one');
  await w.close();
  const r = await verify(store);
  assert.equal(r.ok, true, r.problem?.message);
  assert.deepEqual((await rows(store)).map((x) => x.eventName), ['DescribeKey', 'DeleteKey']);
});

test('COFFER_AUDIT_RETENTION_DAYS: maintenance prunes what a digest covers past the retention, and the rest verifies', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  let now = Date.parse('2026-01-01T00:00:00Z');
  const w = await AuditWriter.open({
    store, storage: sqliteStorage(db), signer, clock: { now: () => now }, defaultAccountId: '111122223333', flushMs: 1000,
    digestEveryRecords: 1000, digestIntervalMs: 60_000, retentionDays: 30, onError: (_w, e) => { throw e; },
  });
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000001';
  const rotations = (n: number) => Array.from({ length: n }, () => ({ eventName: 'RotateKey', keyArn: arn }));
  await w.commit([], undefined, rotations(5));
  await w.maintain(); // digest of records 1..5
  now += 40 * 86_400_000;
  await w.commit([], undefined, rotations(3));
  await w.maintain(); // digest 6..8, then prune what ended more than 30 days ago
  assert.equal((await store.anchor())?.seq, 5);
  assert.equal(await store.count(), 3);
  await w.close();
  assert.equal((await verify(store)).ok, true);
});

test('a lookup column that disagrees with its record is named with the record and the column', async () => {
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
    const { db, store } = await trail(10);
    const eventId = (await rows(store))[5]?.eventId;
    db.prepare(`UPDATE audit_records SET ${set} WHERE seq = 6`).run();
    const r = await verify(store);
    assert.equal(r.problem?.kind, 'index', `${set}: ${r.problem?.message}`);
    assert.equal(r.problem?.seq, 6);
    assert.equal(r.problem?.eventId, eventId, 'the eventID of the record body');
    assert.match(r.problem?.message ?? '', new RegExp(`^record 6's indexed column ${column} `), set);
  }
});

test('the columns of calls by each kind of caller agree with their records; event_time may move only within its second', async () => {
  const db = new Database(':memory:');
  const store = createSqliteAuditStore(db);
  const w = await AuditWriter.open({
    store, storage: sqliteStorage(db), signer, clock: { now: () => Date.parse('2026-01-01T00:00:00.250Z') }, defaultAccountId: '111122223333', flushMs: 1000,
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
  await w.close();
  const intact = await verify(store);
  assert.equal(intact.ok, true, intact.problem?.message);
  db.prepare('UPDATE audit_records SET event_time = event_time + 700 WHERE seq = 1').run();
  assert.equal((await verify(store)).ok, true, 'the record keeps whole seconds');
  db.prepare('UPDATE audit_records SET event_time = event_time + 100 WHERE seq = 1').run();
  assert.match((await verify(store)).problem?.message ?? '', /record 1's indexed column event_time says "2026-01-01T00:00:01.050Z" but the record says "2026-01-01T00:00:00Z"/);
});

test('with a pinned public key every digest must carry its signature, whatever keys the database holds', async () => {
  const { store } = await trail(10);
  const other = generateKeyPairSync('ed25519').publicKey;
  const pinned = async (pinnedKey: KeyObject): Promise<VerifyReport> =>
    verifyTrail({ rows: await rows(store), digests: await store.digests(), anchor: await store.anchor(), publicKeys: new Map([['k1', signer.publicKey]]), pinnedKey });
  const r = await pinned(other);
  assert.equal(r.problem?.kind, 'digest');
  assert.match(r.problem?.message ?? '', /^the digest of records 1\.\.\d+ is not signed by the pinned public key$/);
  assert.equal((await pinned(signer.publicKey)).ok, true);
});
