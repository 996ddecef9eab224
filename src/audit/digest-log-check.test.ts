/**
 * A digest log against the database: a log that matches passes (a database ahead of it is noted);
 * a cut tail is named with the digests and records missing; a removed digest, a digest that
 * differs, a database whose digests were replaced, a logged digest the pinned key did not sign
 * and an edited line each fail, naming the line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { AuditDigest } from '../ports/audit.ts';
import { digestHash, GENESIS, signDigest } from './chain.ts';
import { checkDigestLog, type DigestLogView } from './digest-log-check.ts';

const pair = generateKeyPairSync('ed25519');

/** `n` chained digests of ten records each, signed by `key`; `salt` changes their last hashes. */
function digests(n: number, key: KeyObject = pair.privateKey, salt = 'a'): AuditDigest[] {
  const out: AuditDigest[] = [];
  for (let i = 1; i <= n; i++) {
    const prev = out.at(-1);
    out.push(signDigest({
      seqFrom: (i - 1) * 10 + 1, seqTo: i * 10, lastHash: salt.repeat(64), firstTime: i * 1000, lastTime: i * 1000 + 900,
      createdAt: i * 1000 + 950, prevDigestHash: prev ? digestHash(prev) : GENESIS, keyId: 'k1',
    }, key));
  }
  return out;
}
const view = (ds: readonly AuditDigest[], over: Partial<DigestLogView> = {}): DigestLogView =>
  ({ name: '/disk2/audit-digests.jsonl', entries: ds.map((digest, i) => ({ line: i + 1, digest })), badLines: [], torn: false, ...over });
const check = (log: DigestLogView, db: readonly AuditDigest[], lastSeq: number | undefined) =>
  checkDigestLog(log, db, pair.publicKey, { lastSeq, anchorSeq: 0 });

test('a log that matches the database passes; a database ahead of it is noted, not failed', () => {
  const db = digests(4);
  const same = check(view(db), db, 40);
  assert.equal(same.problem, undefined);
  assert.deepEqual(same.notes, ['Digest log /disk2/audit-digests.jsonl: 4 digests (up to record 40), each in the database as logged.']);
  const behind = check(view(db.slice(0, 3), { torn: true }), db, 40);
  assert.equal(behind.problem, undefined);
  assert.match(behind.notes.join('\n'), /lacks the database's 1 newest digest \(records 31\.\.40\): the server appends them at its next start/);
  assert.match(behind.notes.join('\n'), /ends in a partial line/);
});

test('a cut tail: the digests and records missing are counted', () => {
  const db = digests(5);
  const r = check(view(db), db.slice(0, 3), 30);
  assert.equal(r.problem?.kind, 'cut');
  assert.equal(r.problem?.seq, 31);
  assert.equal(r.problem?.message, 'the trail was cut: the database lacks the last 2 digests of the digest log /disk2/audit-digests.jsonl (records 31..50) ' +
    'and its trail ends at record 30, so 20 records (31..50) and 2 signed digests are missing');
  const digestsOnly = check(view(db), db.slice(0, 4), 50);
  assert.equal(digestsOnly.problem?.kind, 'cut');
  assert.match(digestsOnly.problem?.message ?? '', /lacks the last 1 digest .* \(records 41\.\.50\), though its records are still there: the digests were removed/);
});

test('a digest removed from the middle, one that differs, and digests replaced are named with their line', () => {
  const db = digests(4);
  const removed = check(view(db), [db[0], db[2], db[3]].filter((d) => d !== undefined), 40);
  assert.equal(removed.problem?.kind, 'log');
  assert.equal(removed.problem?.message, 'the digest of records 11..20 on line 2 of the digest log /disk2/audit-digests.jsonl is missing from the database');

  const other = generateKeyPairSync('ed25519').privateKey;
  const rewritten = digests(4, other, 'b');
  const differs = check(view(db), [db[0], ...rewritten.slice(1)].filter((d) => d !== undefined), 40);
  assert.equal(differs.problem?.kind, 'log');
  assert.equal(differs.problem?.message, "the database's digest of records 11..20 differs from line 2 of the digest log /disk2/audit-digests.jsonl (its lastHash)");

  const regrouped = [...db.slice(0, 2), signDigest({ ...digests(3)[2] as AuditDigest, seqTo: 25 }, pair.privateKey)];
  const replaced = check(view(db), regrouped, 25);
  assert.equal(replaced.problem?.kind, 'log');
  assert.match(replaced.problem?.message ?? '', /records 21\.\.30 on line 3 .* is missing from the database, which has a digest of records 21\.\.25 instead/);
});

test('a logged digest the pinned key did not sign, and an edited line, fail', () => {
  const db = digests(3);
  const forged = digests(3, generateKeyPairSync('ed25519').privateKey);
  const unsigned = check(view(forged), db, 30);
  assert.equal(unsigned.problem?.message, 'the digest of records 1..10 on line 1 of the digest log /disk2/audit-digests.jsonl is not signed by the pinned public key');
  const edited = check(view(db, { badLines: [2] }), db, 30);
  assert.equal(edited.problem?.message, 'line 2 of the digest log /disk2/audit-digests.jsonl is not a digest (the log was edited)');
});
