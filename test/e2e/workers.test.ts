/**
 * COFFER_WORKERS=2 on one SQLite data folder: the cases of several writers (several-writers.ts),
 * one installation per data folder, a graceful stop of the whole process tree, and a trail whose
 * every chain (one per worker) verifies.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { databaseFor, REPO_ROOT, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { severalWritersCases } from './several-writers.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

let coffer: Coffer;
const figures: Record<string, number> = {};
before(async () => { coffer = await startCoffer({ env: { COFFER_WORKERS: '2' } }); });
after(async () => {
  if (Object.keys(figures).length > 0) console.log(`coherence across workers (ms): ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Math.round(v)])))}`);
});

severalWritersCases(() => ({ writer: coffer, others: [coffer, coffer] }), (name, ms) => { figures[name] = Math.max(figures[name] ?? 0, ms); });

test('a second installation on the same data folder is refused while the first runs', async () => {
  await assert.rejects(startCoffer({ dataDir: coffer.dataDir, env: { COFFER_WORKERS: '2' } }), /in use by another Coffer process/);
});

test('SIGTERM to the primary stops every worker gracefully; every chain of the trail verifies', async () => {
  const pids = spawnSync('pgrep', ['-P', String(coffer.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter((p) => p !== '');
  assert.equal(pids.length, 2, 'two worker processes');
  assert.equal(await coffer.stop(), 0);
  for (const pid of pids) assert.throws(() => process.kill(Number(pid), 0), 'worker gone');
  const url = await databaseFor(coffer.dataDir);
  const r = spawnSync(process.execPath, [...cofferArgs('cli'), 'audit', 'verify', '--offline'], {
    cwd: REPO_ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', COFFER_DATA_DIR: coffer.dataDir, ...(url !== undefined ? { COFFER_DATABASE_URL: url } : {}) },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // One chain per worker: on SQLite '' and 'w2'; on PostgreSQL the node's name and '<node>.w2'.
  const verified = [...r.stdout.matchAll(/Chain '([^']*)': Audit trail verified: (\d+) record/g)];
  assert.equal(verified.length, 2, r.stdout);
  assert.ok(verified.every((m) => Number(m[2]) > 0), 'each worker wrote records');
  assert.ok(verified.some((m) => (m[1] ?? '').endsWith('w2')), r.stdout);
  removeDataDir(coffer.dataDir);
});
