/**
 * The same-run comparison (`BENCH_BASELINE=<git revision>`): the working tree's Coffer against the
 * Coffer of another commit, both on this machine in the same minutes, so that a claim such as "no
 * performance lost" rests on a ratio and not on figures from different days (they move 2-3x here).
 *
 * The baseline is checked out into a temporary git worktree (sharing node_modules when its
 * package-lock.json is the same, `npm ci` otherwise). Each of BENCH_COMPARE_ROUNDS rounds (default 7)
 * starts both servers afresh, each with a fresh data folder, pinned to the same core, gives each
 * one unmeasured pass, then runs the Encrypt cell at c = 16 on one and then the other (A B, then
 * B A, ...: a drift of the machine falls on both alike); only one is under load at a time. Each cell reads the server's
 * CPU time (user + system, every thread, from /proc/<pid>/stat) before and after: CPU per request is
 * that difference over the requests answered, the figure that does not depend on what else the
 * machine is doing as much as throughput does. The medians are compared.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './loadgen.ts';

export interface CompareServer { readonly pid: number | undefined; readonly port: number; readonly stop: () => Promise<void> }

export interface CompareDeps {
  readonly root: string;
  readonly baseline: string;
  readonly rounds: number;
  /** Starts Coffer from the source tree at `cwd`. */
  readonly startCoffer: (cwd: string) => Promise<CompareServer>;
  /** Creates the Encrypt key and returns the request body. */
  readonly prepare: (port: number) => Promise<string>;
  /** One closed-loop cell with no warm-up inside it (the CPU reading brackets the whole cell). */
  readonly load: (port: number, body: string, durationMs: number) => LoadResult;
  readonly durationMs: number;
}

export interface CompareSide {
  readonly label: string;
  readonly revision: string;
  readonly cpuUsPerRequest: readonly number[];
  readonly rps: readonly number[];
  readonly medianCpuUs: number;
  readonly medianRps: number;
}

export interface CompareResult { readonly current: CompareSide; readonly baseline: CompareSide; readonly cpuRatio: number; readonly rpsRatio: number }

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || '100');

/** User + system CPU seconds of a process so far, all its threads (Linux /proc). */
export function cpuSeconds(pid: number | undefined): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
};

function git(root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
}

/** A detached worktree of `revision` with node_modules; removed by the returned function. */
function checkout(root: string, revision: string): { dir: string; remove: () => void } {
  const dir = join(mkdtempSync(join(tmpdir(), 'coffer-baseline-')), 'tree');
  git(root, ['worktree', 'add', '--detach', dir, revision]);
  const sameLock = spawnSync('git', ['diff', '--quiet', revision, '--', 'package-lock.json'], { cwd: root }).status === 0;
  if (sameLock && existsSync(join(root, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  else execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
  return {
    dir,
    remove: () => {
      spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: root });
      rmSync(join(dir, '..'), { recursive: true, force: true });
    },
  };
}

export async function runCompare(deps: CompareDeps): Promise<CompareResult> {
  const baseRev = git(deps.root, ['rev-parse', '--short', deps.baseline]);
  const dirty = git(deps.root, ['status', '--porcelain', '--untracked-files=no']) !== '';
  const currentRev = `${git(deps.root, ['rev-parse', '--short', 'HEAD'])}${dirty ? ' + uncommitted changes' : ''}`;
  const tree = checkout(deps.root, deps.baseline);
  const servers: CompareServer[] = [];
  try {
    const sides = [
      { label: 'current ', cwd: deps.root, cpu: [] as number[], rps: [] as number[] },
      { label: 'baseline', cwd: tree.dir, cpu: [] as number[], rps: [] as number[] },
    ];
    for (let round = 0; round < deps.rounds; round++) {
      // A fresh pair of servers each round: one process can run a few percent slower than
      // another of the same code for its whole life (memory layout, heap sizing), and that should
      // fall into the spread, not decide the comparison.
      const started = [];
      for (const side of sides) {
        const server = await deps.startCoffer(side.cwd);
        servers.push(server);
        started.push({ side, server, body: await deps.prepare(server.port) });
      }
      // One unmeasured pass each: the JIT, the caches and the heap settle first.
      for (const s of started) deps.load(s.server.port, s.body, 2000);
      for (const { side, server, body } of round % 2 === 0 ? started : [...started].reverse()) {
        const before = cpuSeconds(server.pid);
        const r = deps.load(server.port, body, deps.durationMs);
        const after = cpuSeconds(server.pid);
        const perRequest = ((after - before) * 1e6) / (r.requests + r.throttled + r.errors);
        side.cpu.push(perRequest);
        side.rps.push(r.rps);
        console.log(`compare  ${side.label} Encrypt c=16  round ${round + 1}: ${r.rps.toFixed(0)} req/s, ${perRequest.toFixed(1)} µs CPU per request`);
      }
      for (const s of servers.splice(0)) await s.stop();
    }
    const side = (label: string, revision: string, s: { cpu: number[]; rps: number[] }): CompareSide =>
      ({ label, revision, cpuUsPerRequest: s.cpu, rps: s.rps, medianCpuUs: median(s.cpu), medianRps: median(s.rps) });
    const current = side('current', currentRev, sides[0] ?? { cpu: [], rps: [] });
    const baseline = side('baseline', baseRev, sides[1] ?? { cpu: [], rps: [] });
    return { current, baseline, cpuRatio: current.medianCpuUs / baseline.medianCpuUs, rpsRatio: current.medianRps / baseline.medianRps };
  } finally {
    for (const s of servers) await s.stop();
    tree.remove();
  }
}

export function compareMarkdown(r: CompareResult): { lines: string[]; targets: { target: string; value: string; met: boolean }[] } {
  const row = (s: CompareSide): string =>
    `| ${s.label} (${s.revision}) | ${s.medianCpuUs.toFixed(1)} | ${s.cpuUsPerRequest.map((x) => x.toFixed(1)).join(', ')} | ${s.medianRps.toFixed(0)} | ${s.rps.map((x) => x.toFixed(0)).join(', ')} |`;
  return {
    lines: [
      '## Same-run comparison: Encrypt at c = 16', '',
      '| Server | CPU µs/request (median) | each round | req/s (median) | each round |', '|---|---:|---|---:|---|',
      row(r.current), row(r.baseline), '',
      `CPU per request ${((r.cpuRatio - 1) * 100).toFixed(1)}% against the baseline; throughput ${((r.rpsRatio - 1) * 100).toFixed(1)}%.`, '',
    ],
    targets: [{ target: `Encrypt c=16 CPU per request within 10% of ${r.baseline.revision}`, value: `${((r.cpuRatio - 1) * 100).toFixed(1)}%`, met: r.cpuRatio <= 1.1 }],
  };
}
