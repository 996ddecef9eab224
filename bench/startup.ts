/**
 * The start-up cells of `npm run bench` (BENCH_ONLY=startup runs them alone): how Coffer is started
 * matters to whoever runs it under a process manager, in CI or on a laptop. Three ways, each on a
 * fresh data folder, in the same run:
 * - `npm start` (the build: npm, then `node dist/main.js`);
 * - `node dist/main.js` (the build, plain);
 * - the old way, the TypeScript sources through tsx (`tsx src/main.ts`, what `npm start` ran before
 *   the build: npm, sh, tsx's CLI and the server's node).
 * For each: spawn to the first signed answer (ListKeys, polled every 10 ms), the resident memory of
 * the whole process tree (after the Encrypt load: /proc/<pid>/status VmRSS of the process and its
 * descendants) and its process count, and Encrypt at concurrency 16. The target: the build serves
 * Encrypt at least as fast as the sources (within noise) and starts faster with less memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { LoadResult } from './loadgen.ts';

export interface StartupCell {
  readonly way: string;
  readonly command: string;
  readonly firstAnswerMs: number;
  readonly rssMiB: number;
  readonly processes: number;
  readonly encryptRps: number;
}

export interface StartupDeps {
  readonly root: string;
  /** Environment for a server on `port` and `dataDir` (credentials, quotas off). */
  readonly env: (port: number, dataDir: string) => Record<string, string>;
  readonly newDataDir: () => string;
  readonly removeDataDir: (dir: string) => void;
  /** One signed JSON 1.1 KMS call (throws on a non-200 answer or a refused connection). */
  readonly call: (port: number, target: string, body: object) => Promise<Record<string, unknown>>;
  readonly load: (port: number, body: string) => LoadResult;
  readonly plaintext: string;
  /** Pins a command to the server's core. */
  readonly pin: (cmd: string[]) => string[];
}

const freePort = (): Promise<number> => new Promise((ok, fail) => {
  const s = createServer();
  s.once('error', fail);
  s.listen(0, '127.0.0.1', () => {
    const a = s.address();
    s.close(() => (typeof a === 'object' && a !== null ? ok(a.port) : fail(new Error('no port'))));
  });
});

/** The process and its descendants (Linux /proc), with their resident memory in KiB. */
function tree(pid: number): { pids: number[]; rssKiB: number } {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) for (const [p, pp] of parent) if (pp === pids[i]) pids.push(p);
  let rssKiB = 0;
  for (const p of pids) {
    try {
      rssKiB += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return { pids, rssKiB };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(d: StartupDeps, way: string, cmd: string[]): Promise<StartupCell> {
  const port = await freePort();
  const dataDir = d.newDataDir();
  const [bin = '', ...args] = d.pin(cmd);
  const started = performance.now();
  const proc: ChildProcess = spawn(bin, args, { cwd: d.root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...d.env(port, dataDir) }, stdio: 'ignore', detached: true });
  try {
    let firstAnswerMs = Number.NaN;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${way}: exited with ${proc.exitCode}`);
      if (performance.now() - started > 60_000) throw new Error(`${way}: no answer after 60 s`);
      try {
        await d.call(port, 'ListKeys', {});
        firstAnswerMs = performance.now() - started;
        break;
      } catch {
        await sleep(10);
      }
    }
    const arn = ((await d.call(port, 'CreateKey', {})).KeyMetadata as { Arn: string }).Arn;
    const result = d.load(port, JSON.stringify({ KeyId: arn, Plaintext: d.plaintext }));
    const t = tree(proc.pid ?? 0);
    return { way, command: cmd.slice(cmd.indexOf('--') + 1).join(' '), firstAnswerMs, rssMiB: t.rssKiB / 1024, processes: t.pids.length, encryptRps: result.rps };
  } finally {
    await new Promise<void>((r) => {
      if (proc.exitCode !== null || proc.signalCode !== null) { r(); return; }
      proc.once('exit', () => r());
      // The whole process group: the old way's tsx did not pass SIGTERM on to the server.
      process.kill(-(proc.pid ?? 0), 'SIGTERM');
    });
    try {
      process.kill(-(proc.pid ?? 0), 'SIGKILL');
    } catch {
      // the group is gone
    }
    d.removeDataDir(dataDir);
  }
}

export async function runStartupBench(d: StartupDeps, ways: readonly { way: string; cmd: string[] }[], rounds = 2): Promise<StartupCell[]> {
  const out: StartupCell[] = [];
  // Alternating rounds, so that a busy moment of the machine does not fall on one way only.
  for (let r = 0; r < rounds; r++) for (const w of ways) out.push(await measure(d, w.way, w.cmd));
  return out;
}

export function startupMarkdown(cells: readonly StartupCell[]): { lines: string[]; targets: { target: string; value: string; met: boolean }[] } {
  const ways = [...new Set(cells.map((c) => c.way))];
  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN; };
  const of = (way: string, f: (c: StartupCell) => number) => median(cells.filter((c) => c.way === way).map(f));
  const lines = [
    '## How Coffer is started', '',
    '| Way | First signed answer ms | Memory MiB (processes) | Encrypt c=16 req/s |', '|---|---:|---:|---:|',
    ...ways.map((w) => `| ${w} | ${of(w, (c) => c.firstAnswerMs).toFixed(0)} | ${of(w, (c) => c.rssMiB).toFixed(0)} (${of(w, (c) => c.processes)}) | ${of(w, (c) => c.encryptRps).toFixed(0)} |`), '',
  ];
  const build = 'node dist/main.js';
  const source = 'tsx src/main.ts (the old way)';
  const ratio = of(build, (c) => c.encryptRps) / of(source, (c) => c.encryptRps);
  const targets = [
    { target: 'Encrypt c=16 of the build ≥ 95% of the sources through tsx (same run)', value: `${(ratio * 100).toFixed(0)}%`, met: ratio >= 0.95 },
    { target: '`npm start` answers sooner than the old `npm start` (tsx)', value: `${of('npm start', (c) => c.firstAnswerMs).toFixed(0)} vs ${of(source, (c) => c.firstAnswerMs).toFixed(0)} ms`, met: of('npm start', (c) => c.firstAnswerMs) < of(source, (c) => c.firstAnswerMs) },
  ];
  return { lines, targets };
}
