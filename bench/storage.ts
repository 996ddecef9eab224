/**
 * The storage cells of `npm run bench` (BENCH_ONLY=storage runs them alone): Coffer on SQLite and
 * on PostgreSQL, one worker each, Encrypt at concurrency 16 and 64 and CreateKey at 16; then
 * Encrypt at 16 with COFFER_WORKERS=2 against 1 worker on SQLite. PostgreSQL is a private cluster
 * of this run with its durable defaults (fsync on: SQLite runs with synchronous=FULL), on this
 * machine, not pinned. Every Coffer process tree runs on core 0 (its workers too), the load
 * generator on core 1: so two workers cannot add throughput here, and the figure that carries to a
 * bigger machine is the CPU time per request, read from /proc for the whole process tree.
 */
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import type { LoadResult } from './loadgen.ts';
import { cpuSeconds } from './compare.ts';
import { privateCluster } from '../test/support/postgres.ts';

export interface StorageCell {
  readonly setup: string;
  readonly operation: string;
  readonly concurrency: number;
  readonly rps: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
}

export interface StorageResult { readonly cells: readonly StorageCell[]; readonly skipped?: string }

export interface StorageDeps {
  /** Starts Coffer with these settings (over the bench's own), on a fresh data folder. */
  readonly startCoffer: (env: Record<string, string>) => Promise<{ readonly pid: number | undefined; readonly port: number; readonly stop: () => Promise<void> }>;
  readonly call: (port: number, target: string, body: object) => Promise<Record<string, unknown>>;
  /** One closed-loop cell without a warm-up inside it. */
  readonly load: (port: number, target: string, body: string, concurrency: number) => LoadResult;
  readonly plaintext: string;
}

/** The CPU seconds of a process and its children (a primary and its workers). */
function treeCpuSeconds(pid: number | undefined): number {
  const kids = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter((x) => x !== '').map(Number);
  return cpuSeconds(pid) + kids.reduce((sum, k) => { try { return sum + cpuSeconds(k); } catch { return sum; } }, 0);
}

export async function runStorageBench(d: StorageDeps): Promise<StorageResult> {
  const cluster = await privateCluster({ durable: true });
  if (cluster === undefined) return { cells: [], skipped: 'PostgreSQL not installed: apt-get install postgresql' };
  const cells: StorageCell[] = [];
  let db = 0;
  const freshUrl = async (): Promise<string> => {
    const name = `bench_${++db}`;
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`); // our own name, never input
    await admin.end();
    return cluster.adminUrl.replace(/\/postgres$/, `/${name}`);
  };
  const measure = async (setup: string, env: Record<string, string>, cellsOf: readonly [string, number][]): Promise<void> => {
    const s = await d.startCoffer(env);
    try {
      const keyId = ((await d.call(s.port, 'CreateKey', {})).KeyMetadata as { Arn: string }).Arn;
      const bodies: Record<string, [string, string]> = {
        Encrypt: ['TrentService.Encrypt', JSON.stringify({ KeyId: keyId, Plaintext: d.plaintext })],
        CreateKey: ['TrentService.CreateKey', '{}'],
      };
      for (const [op] of cellsOf) { const [t, b] = bodies[op] ?? ['', '']; d.load(s.port, t, b, 16); } // warm-up pass
      for (const [op, c] of cellsOf) {
        const [target, body] = bodies[op] ?? ['', ''];
        const before = treeCpuSeconds(s.pid);
        const r = d.load(s.port, target, body, c);
        const cpu = treeCpuSeconds(s.pid) - before;
        // The cell has no warm-up of its own (the pass above was it): the CPU reading brackets exactly its requests.
        const cell = { setup, operation: op, concurrency: c, rps: r.rps, p99Ms: r.p99Ms, cpuUsPerRequest: (cpu * 1e6) / Math.max(1, r.requests) };
        cells.push(cell);
        console.log(`${setup.padEnd(22)} ${op.padEnd(10)} c=${String(c).padStart(2)}  ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.p99Ms.toFixed(2)} ms  ${cell.cpuUsPerRequest.toFixed(0)} µs CPU/request`);
      }
    } finally {
      await s.stop();
    }
  };
  try {
    const both: [string, number][] = [['Encrypt', 16], ['Encrypt', 64], ['CreateKey', 16]];
    await measure('SQLite, 1 worker', {}, both);
    await measure('PostgreSQL, 1 worker', { COFFER_DATABASE_URL: await freshUrl() }, both);
    await measure('SQLite, 2 workers', { COFFER_WORKERS: '2' }, [['Encrypt', 16]]);
    await measure('PostgreSQL, 2 workers', { COFFER_WORKERS: '2', COFFER_DATABASE_URL: await freshUrl() }, [['Encrypt', 16]]);
  } finally {
    cluster.destroySync();
  }
  return { cells };
}

export function storageMarkdown(r: StorageResult): { lines: string[]; targets: { target: string; value: string; met: boolean }[] } {
  if (r.skipped !== undefined) return { lines: [`Storage cells skipped: ${r.skipped}.`, ''], targets: [] };
  const cell = (setup: string, op: string, c: number) => r.cells.find((x) => x.setup === setup && x.operation === op && x.concurrency === c);
  const ratio = (c: number) => (cell('PostgreSQL, 1 worker', 'Encrypt', c)?.rps ?? Number.NaN) / (cell('SQLite, 1 worker', 'Encrypt', c)?.rps ?? Number.NaN);
  const lines = [
    '## Storage backends and workers', '',
    '| Setup | Operation | Concurrency | req/s | p99 ms | CPU µs/request (process tree) |', '|---|---|---:|---:|---:|---:|',
    ...r.cells.map((c) => `| ${c.setup} | ${c.operation} | ${c.concurrency} | ${c.rps.toFixed(0)} | ${c.p99Ms.toFixed(2)} | ${c.cpuUsPerRequest.toFixed(0)} |`), '',
  ];
  const targets = [16, 64].map((c) => ({
    target: `Encrypt c=${c}: PostgreSQL within 10% of SQLite (1 worker)`, value: `${((ratio(c) - 1) * 100).toFixed(1)}%`, met: ratio(c) >= 0.9,
  }));
  return { lines, targets };
}
