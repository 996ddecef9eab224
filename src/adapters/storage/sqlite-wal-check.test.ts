/**
 * The WAL check against real SQLite write-ahead logs: an intact one has nothing to say; one cut
 * inside a frame, one cut inside a transaction and one with a damaged frame are each named, and
 * SQLite indeed drops what the check says it will.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { checkWal } from './sqlite-wal-check.ts';

/** A database whose WAL holds three transactions, the last one several pages long; copied while open. */
function walSnapshot(dir: string): { file: string; frameSize: number } {
  const live = join(dir, 'live.db');
  const db = new Database(live);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (n INTEGER, b BLOB)');
  db.prepare('INSERT INTO t VALUES (1, randomblob(10))').run();
  db.prepare('INSERT INTO t VALUES (2, randomblob(20000))').run(); // several pages in one transaction
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const file = join(dir, 'copy.db');
  copyFileSync(live, file);
  copyFileSync(`${live}-wal`, `${file}-wal`);
  db.close();
  return { file, frameSize: 24 + pageSize };
}

const rows = (file: string): number[] => {
  const db = new Database(file);
  try {
    return db.prepare<[], number>('SELECT n FROM t ORDER BY n').pluck().all();
  } finally {
    db.close();
  }
};

test('an intact WAL: nothing to report; no WAL: undefined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-wal-'));
  try {
    const { file } = walSnapshot(dir);
    const r = checkWal(file);
    assert.ok(r !== undefined && r.committedFrames >= 3);
    assert.deepEqual(r.problems, []);
    assert.equal(checkWal(join(dir, 'none.db')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a WAL cut inside a frame, or inside a transaction, is named; SQLite then drops that transaction', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-wal-'));
  try {
    const { file, frameSize } = walSnapshot(dir);
    const size = statSync(`${file}-wal`).size;
    truncateSync(`${file}-wal`, size - 100);
    assert.match(checkWal(file)?.problems.join('\n') ?? '', /ends inside a frame/);
    truncateSync(`${file}-wal`, size - frameSize); // the last transaction loses its commit frame
    const r = checkWal(file);
    assert.match(r?.problems.join('\n') ?? '', /frame\(s\) of a transaction that never committed/);
    assert.deepEqual(rows(file), [1], 'SQLite recovered without the last transaction');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged frame followed by more of the same generation is named as damage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-wal-'));
  try {
    const { file, frameSize } = walSnapshot(dir);
    const wal = readFileSync(`${file}-wal`);
    wal[32 + 24 + 100] = (wal[32 + 24 + 100] ?? 0) ^ 0xff; // a byte of the first frame's page
    writeFileSync(`${file}-wal`, wal);
    assert.ok(wal.length > 32 + 2 * frameSize);
    assert.match(checkWal(file)?.problems.join('\n') ?? '', /checksum chain breaks at frame 1 .* damaged/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
