/**
 * The background checkpointer: with the main connection's own threshold far away, the helper
 * thread moves what the WAL holds into the database file, at nice 19, and stops cleanly so that
 * the last close still removes the WAL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeDatabase, openDatabase } from './sqlite.ts';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer } from './sqlite-checkpointer.ts';

const until = async (what: string, ok: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Nice values of this process's threads (Linux), or undefined elsewhere. */
function threadNiceValues(): number[] | undefined {
  if (!existsSync('/proc/self/task')) return undefined;
  return readdirSync('/proc/self/task').map((t) => Number(readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]));
}

test('the helper thread checkpoints the WAL into the database, at the lowest priority, and stops', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-ckpt-'));
  const file = join(dir, 'coffer.db');
  const db = openDatabase(file);
  try {
    const errors: string[] = [];
    const checkpointer = startCheckpointer(db, 50, (m) => errors.push(m));
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), FALLBACK_AUTOCHECKPOINT_PAGES);
    db.exec('CREATE TABLE filler (v BLOB NOT NULL)');
    const sizeBefore = statSync(file).size;
    const insert = db.prepare('INSERT INTO filler (v) VALUES (?)');
    db.transaction(() => { for (let i = 0; i < 2000; i++) insert.run(Buffer.alloc(4000, i % 251)); })();
    // ~2000 pages is far below the main connection's threshold: only the helper moves them.
    await until('the database file to receive the WAL pages', () => statSync(file).size > sizeBefore + 7_000_000);
    const nice = threadNiceValues();
    if (nice !== undefined) assert.ok(nice.includes(19), `a thread at nice 19 among ${nice.join(',')}`);
    await checkpointer.stop();
    await checkpointer.stop(); // idempotent
    assert.deepEqual(errors, []);
  } finally {
    closeDatabase(db);
  }
  assert.equal(existsSync(`${file}-wal`), false, 'the last connection removed the WAL');
  rmSync(dir, { recursive: true, force: true });
});

test('a helper that cannot open the database reports it, and stop still resolves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-ckpt-'));
  const file = join(dir, 'coffer.db');
  const db = openDatabase(file);
  try {
    rmSync(file); // the helper opens with fileMustExist
    const errors: string[] = [];
    const checkpointer = startCheckpointer(db, 50, (m) => errors.push(m));
    await until('the helper to report its failure', () => errors.length > 0);
    await checkpointer.stop();
  } finally {
    closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
});
