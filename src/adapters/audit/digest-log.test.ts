/**
 * The digest logs: created 0600 with every digest of the database; brought up to date after a
 * crash between a commit and its append (only the newer digests, the rest byte for byte as it
 * was; a partial line dropped); a log that ends with a digest the database lacks or holds
 * otherwise stops the start and is left untouched; a log that cannot be written is reported, does
 * not stop the others, and catches up at the next digest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditDigest } from '../../ports/audit.ts';
import { bringUpToDate, digestLine, DigestLogMismatch, openDigestLogs, readDigestLog } from './digest-log.ts';

const hex = (n: number): string => n.toString(16).padStart(64, '0');
const digest = (i: number): AuditDigest => ({
  seqFrom: (i - 1) * 10 + 1, seqTo: i * 10, lastHash: hex(i), firstTime: 1_000 * i, lastTime: 1_000 * i + 500,
  createdAt: 1_000 * i + 600, prevDigestHash: hex(1000 + i), keyId: 'k1', signature: Buffer.from(`sig${i}`).toString('base64'),
});
const db = (n: number): AuditDigest[] => Array.from({ length: n }, (_, i) => digest(i + 1));
const from = (ds: readonly AuditDigest[]) => (seqTo: number): AuditDigest[] => ds.filter((d) => d.seqTo >= seqTo);

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-digest-log-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a new log gets every digest of the database, one JSON line each, mode 0600', () => withDir((dir) => {
  const path = join(dir, 'audit-digests.jsonl');
  const r = bringUpToDate(path, from(db(3)));
  assert.deepEqual(r, { appended: 3, created: true, last: 30 });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const log = readDigestLog(path);
  assert.deepEqual(log.entries.map((e) => e.digest), db(3));
  assert.deepEqual(log.entries.map((e) => e.line), [1, 2, 3]);
  assert.deepEqual(log.badLines, []);
  assert.equal(log.torn, false);
  assert.deepEqual(bringUpToDate(path, from(db(3))), { appended: 0, created: false, last: 30 }, 'nothing twice');
}));

test('after a crash between a commit and its append, only the newer digests are appended', () => withDir((dir) => {
  const path = join(dir, 'log.jsonl');
  writeFileSync(path, db(2).map(digestLine).join(''), { mode: 0o600 });
  const before = readFileSync(path);
  assert.deepEqual(bringUpToDate(path, from(db(4))), { appended: 2, created: false, last: 40 });
  const after = readFileSync(path);
  assert.ok(after.subarray(0, before.length).equals(before), 'what was logged stays as it was');
  assert.deepEqual(readDigestLog(path).entries.map((e) => e.digest), db(4));
}));

test('a partial last line (an append a crash cut short) is dropped and its digest appended whole', () => withDir((dir) => {
  const path = join(dir, 'log.jsonl');
  writeFileSync(path, db(2).map(digestLine).join('') + digestLine(digest(3)).slice(0, 40));
  assert.equal(readDigestLog(path).torn, true);
  bringUpToDate(path, from(db(3)));
  const log = readDigestLog(path);
  assert.equal(log.torn, false);
  assert.deepEqual(log.badLines, []);
  assert.deepEqual(log.entries.map((e) => e.digest), db(3));
}));

test('a log that ends with a digest the database lacks, or holds otherwise, stops the start and is left as it is', () => withDir((dir) => {
  const path = join(dir, 'log.jsonl');
  writeFileSync(path, db(4).map(digestLine).join(''));
  const before = readFileSync(path, 'utf8');
  assert.throws(() => bringUpToDate(path, from(db(3))), (e: Error) =>
    e instanceof DigestLogMismatch && e.message.startsWith(`the database has no digest of records 31..40, which the digest log ${path} ends with: the database's tail was cut`));
  const forged = [...db(3), { ...digest(4), lastHash: hex(99) }];
  assert.throws(() => bringUpToDate(path, from(forged)), (e: Error) =>
    e instanceof DigestLogMismatch && e.message.startsWith(`the database's digest of records 31..40 is not the one the digest log ${path} ends with: `));
  appendFileSync(path, '{"edited": true}\n');
  assert.throws(() => bringUpToDate(path, from(db(5))), /the last line of the digest log .* is not a digest/);
  assert.equal(readFileSync(path, 'utf8'), `${before}{"edited": true}\n`);
}));

test('readDigestLog numbers the lines that are not digests', () => withDir((dir) => {
  const path = join(dir, 'log.jsonl');
  const [one, two] = db(2).map(digestLine);
  writeFileSync(path, `${one}not json\n${JSON.stringify({ ...digest(2), seqTo: 'ten' })}\n${two}`);
  const log = readDigestLog(path);
  assert.deepEqual(log.badLines, [2, 3]);
  assert.deepEqual(log.entries.map((e) => e.line), [1, 4]);
}));

test('a log that cannot be written is reported and does not stop the others; the next digest brings it up to date', () => withDir((dir) => {
  const local = join(dir, 'local.jsonl');
  const disk = join(dir, 'disk');
  const remote = join(disk, 'remote.jsonl');
  const digests = db(1);
  const errors: string[] = [];
  const logs = openDigestLogs({ paths: [local, remote, local], digestsFrom: from(digests), onError: (path) => errors.push(path) });
  assert.deepEqual(logs.catchUp(), [{ path: local, appended: 1, created: true }]);
  assert.deepEqual(errors, [remote], 'the second disk is not mounted');
  digests.push(digest(2));
  logs.append(digest(2));
  assert.deepEqual(errors, [remote, remote]);
  assert.deepEqual(readDigestLog(local).entries.map((e) => e.digest), db(2), 'appended once, though named twice');
  mkdirSync(disk);
  digests.push(digest(3));
  logs.append(digest(3));
  assert.equal(errors.length, 2);
  assert.deepEqual(readDigestLog(remote).entries.map((e) => e.digest), db(3), 'caught up with the digests it missed');
  assert.deepEqual(readDigestLog(local).entries.map((e) => e.digest), db(3));
}));

test('catchUp stops at a log that disagrees with the database', () => withDir((dir) => {
  const path = join(dir, 'log.jsonl');
  writeFileSync(path, db(2).map(digestLine).join(''));
  const logs = openDigestLogs({ paths: [path], digestsFrom: from(db(1)), onError: () => assert.fail('not an I/O error') });
  assert.throws(() => logs.catchUp(), DigestLogMismatch);
}));
