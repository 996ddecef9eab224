import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupFileError, openBackupFile, writeBackupFile } from './backup-file.ts';

const HEADER = {
  createdAt: '2026-01-31T12:00:00.000Z',
  source: { host: 'h', dataDir: '/data' },
  database: { schemaVersion: 4, keys: 1, auditRecords: 2 },
  seal: 'key-file',
} as const;
const allowed = (name: string): boolean => name === 'a.bin' || name === 'b.txt';

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-backup-file-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A backup of two entries (one from a file, one by content); returns its path and bytes. */
function written(dir: string): { path: string; bytes: Buffer } {
  const a = join(dir, 'a.src');
  writeFileSync(a, Buffer.from([0, 1, 2, 255, 10, 13]));
  const path = join(dir, 'x.backup');
  writeBackupFile(path, HEADER, [{ name: 'a.bin', path: a }, { name: 'b.txt', data: Buffer.from('line\n') }]);
  return { path, bytes: readFileSync(path) };
}

const refused = (path: string, message: RegExp): void => {
  assert.throws(() => openBackupFile(path, allowed), (e: unknown) => e instanceof BackupFileError && message.test(e.message));
};

test('a backup file reads back: header, entries with their bytes, mode 0600, no temporary file left', () => withDir((dir) => {
  const { path } = written(dir);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).sort(), ['a.src', 'x.backup']);
  const r = openBackupFile(path, allowed);
  try {
    assert.equal(r.header.version, 1);
    assert.equal(r.header.createdAt, HEADER.createdAt);
    assert.deepEqual(r.header.entries.map((e) => [e.name, e.bytes]), [['a.bin', 6], ['b.txt', 5]]);
    r.extract('b.txt', join(dir, 'b.out'));
    r.extract('a.bin', join(dir, 'a.out'));
    assert.deepEqual(readFileSync(join(dir, 'a.out')), Buffer.from([0, 1, 2, 255, 10, 13]));
    assert.equal(readFileSync(join(dir, 'b.out'), 'utf8'), 'line\n');
    assert.equal(statSync(join(dir, 'a.out')).mode & 0o777, 0o600);
  } finally {
    r.close();
  }
}));

test('every changed byte is refused by the checksum, before any entry is read', () => withDir((dir) => {
  const { path, bytes } = written(dir);
  for (let at = 16; at < bytes.length; at += 7) {
    const copy = Buffer.from(bytes);
    copy[at] = (copy[at] ?? 0) ^ 0x20;
    writeFileSync(path, copy);
    assert.throws(() => openBackupFile(path, allowed), BackupFileError, `byte ${at}`);
  }
  writeFileSync(path, Buffer.from(bytes.subarray(0, bytes.length - 1)));
  refused(path, /cut short or damaged/);
  writeFileSync(path, Buffer.from(bytes.subarray(0, 40)));
  refused(path, /cut short/);
  writeFileSync(path, Buffer.concat([bytes, Buffer.from('x')]));
  refused(path, /cut short or damaged/);
}));

test('a file that is no backup, another version, or an entry name outside the set is refused', () => withDir((dir) => {
  const path = join(dir, 'x');
  writeFileSync(path, 'SQLite format 3\0');
  refused(path, /not a Coffer backup file/);
  writeFileSync(path, 'coffer-backup 2\n{}\n');
  refused(path, /another format version/);
  writeBackupFile(path, HEADER, [{ name: '../escape', data: Buffer.from('x') }]);
  refused(path, /no valid entry/);
}));
