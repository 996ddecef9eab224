/**
 * `BENCH_ONLY=hotpath npm run bench`: what one request costs Coffer, as ratios to a baseline
 * measured in the same run (absolute figures move 2-3x between days on shared machines).
 *
 * The baseline is the `sigv4` ceiling (bench/ceilings.ts): node:http that verifies the request's
 * SigV4 signature with Coffer's verifier and answers a canned Encrypt. Each run (BENCH_HOTPATH_RUNS,
 * default 3) measures, server on core 0 and load generator on core 1, concurrency 16:
 *   - the baseline's Encrypt-shaped requests;
 *   - Coffer (audit on, default logs): Encrypt, Decrypt, GenerateDataKey, Sign (ECDSA P-256), CreateKey;
 *   - Coffer with COFFER_AUDIT=false: Encrypt (what the audit trail costs).
 * For each cell: requests/s, p99, and CPU per request (the server process's utime + stime over the
 * cell, from /proc, divided by the requests answered). The CPU reading brackets exactly the
 * cell's requests: each server gets an unmeasured warm-up pass over its operations first.
 */
import type { LoadResult } from './loadgen.ts';
import { cpuSeconds } from './compare.ts';

export interface HotPathDeps {
  /** Starts a ceiling server of bench/ceilings.ts. */
  readonly startCeiling: (mode: 'sigv4') => Promise<{ pid: number | undefined; port: number; stop: () => Promise<void> }>;
  readonly startCoffer: (env: Record<string, string>) => Promise<{ pid: number | undefined; port: number; stop: () => Promise<void> }>;
  readonly call: (port: number, target: string, body: object) => Promise<Record<string, unknown>>;
  /** One closed-loop cell with no warm-up inside it. */
  readonly load: (port: number, target: string, body: string, concurrency: number, durationMs?: number) => LoadResult;
  readonly plaintext: string;
  readonly runs: number;
}

export interface HotPathCell {
  readonly run: number;
  readonly server: 'sigv4' | 'coffer' | 'no-audit';
  readonly operation: string;
  readonly rps: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
}

export interface HotPathResult { readonly cells: HotPathCell[] }

const C = 16;

export async function runHotPathBench(d: HotPathDeps): Promise<HotPathResult> {
  const cells: HotPathCell[] = [];
  const measure = (run: number, server: HotPathCell['server'], pid: number | undefined, port: number, operation: string, target: string, body: string): void => {
    const before = cpuSeconds(pid);
    const r = d.load(port, target, body, C);
    const cpu = cpuSeconds(pid) - before;
    const cell = { run, server, operation, rps: r.rps, p99Ms: r.p99Ms, cpuUsPerRequest: (cpu * 1e6) / Math.max(1, r.requests) };
    cells.push(cell);
    console.log(`run ${run} ${server.padEnd(8)} ${operation.padEnd(16)} c=${C}  ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.p99Ms.toFixed(2)} ms  ${cell.cpuUsPerRequest.toFixed(1)} µs CPU/request`);
  };
  for (let run = 1; run <= d.runs; run++) {
    const ceiling = await d.startCeiling('sigv4');
    try {
      const body = JSON.stringify({ KeyId: 'alias/bench', Plaintext: d.plaintext });
      d.load(ceiling.port, 'TrentService.Encrypt', body, C, 1000);
      measure(run, 'sigv4', ceiling.pid, ceiling.port, 'Encrypt', 'TrentService.Encrypt', body);
    } finally {
      await ceiling.stop();
    }
    for (const audit of [true, false]) {
      const s = await d.startCoffer({ COFFER_AUDIT: String(audit) });
      try {
        const sym = ((await d.call(s.port, 'CreateKey', {})).KeyMetadata as { Arn: string }).Arn;
        const ecc = ((await d.call(s.port, 'CreateKey', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata as { Arn: string }).Arn;
        const blob = (await d.call(s.port, 'Encrypt', { KeyId: sym, Plaintext: d.plaintext })).CiphertextBlob as string;
        const ops: [string, string, string][] = audit ? [
          ['Encrypt', 'TrentService.Encrypt', JSON.stringify({ KeyId: sym, Plaintext: d.plaintext })],
          ['Decrypt', 'TrentService.Decrypt', JSON.stringify({ CiphertextBlob: blob })],
          ['GenerateDataKey', 'TrentService.GenerateDataKey', JSON.stringify({ KeyId: sym, KeySpec: 'AES_256' })],
          ['Sign ECDSA P-256', 'TrentService.Sign', JSON.stringify({ KeyId: ecc, Message: d.plaintext.slice(0, 40), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' })],
          ['CreateKey', 'TrentService.CreateKey', '{}'],
        ] : [['Encrypt', 'TrentService.Encrypt', JSON.stringify({ KeyId: sym, Plaintext: d.plaintext })]];
        for (const [, target, body] of ops) d.load(s.port, target, body, C, 1000); // JIT, caches and heap settle first
        for (const [op, target, body] of ops) measure(run, audit ? 'coffer' : 'no-audit', s.pid, s.port, op, target, body);
      } finally {
        await s.stop();
      }
    }
  }
  return { cells };
}

interface Target { readonly target: string; readonly value: string; readonly met: boolean }

export function hotPathMarkdown(r: HotPathResult): { lines: string[]; targets: Target[] } {
  const runs = [...new Set(r.cells.map((c) => c.run))];
  const get = (run: number, server: HotPathCell['server'], op: string): HotPathCell | undefined => r.cells.find((c) => c.run === run && c.server === server && c.operation === op);
  const per = runs.map((run) => {
    const base = get(run, 'sigv4', 'Encrypt');
    const enc = get(run, 'coffer', 'Encrypt');
    const noAudit = get(run, 'no-audit', 'Encrypt');
    const cpuRatio = (op: string): number => (get(run, 'coffer', op)?.cpuUsPerRequest ?? Number.NaN) / (base?.cpuUsPerRequest ?? Number.NaN);
    return {
      run,
      encryptCpu: cpuRatio('Encrypt'), decryptCpu: cpuRatio('Decrypt'), gdkCpu: cpuRatio('GenerateDataKey'), signCpu: cpuRatio('Sign ECDSA P-256'),
      rps: (enc?.rps ?? Number.NaN) / (base?.rps ?? Number.NaN),
      p99: (enc?.p99Ms ?? Number.NaN) / (base?.p99Ms ?? Number.NaN),
      audit: 1 - (enc?.rps ?? Number.NaN) / (noAudit?.rps ?? Number.NaN),
      createKey: (get(run, 'coffer', 'CreateKey')?.cpuUsPerRequest ?? Number.NaN) / (enc?.cpuUsPerRequest ?? Number.NaN),
    };
  });
  const x = (v: number): string => `${v.toFixed(2)}x`;
  const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;
  const all = (f: (p: (typeof per)[number]) => boolean): boolean => per.length > 0 && per.every(f);
  const list = (f: (p: (typeof per)[number]) => string): string => per.map(f).join(', ');
  const lines = [
    '## Hot path (c=16, ratios to the bare SigV4 server of the same run)', '',
    '| Run | Server | Operation | req/s | p99 ms | CPU µs/request |', '|---:|---|---|---:|---:|---:|',
    ...r.cells.map((c) => `| ${c.run} | ${c.server} | ${c.operation} | ${c.rps.toFixed(0)} | ${c.p99Ms.toFixed(2)} | ${c.cpuUsPerRequest.toFixed(1)} |`), '',
    '| Run | CPU/Encrypt | CPU/Decrypt | CPU/GenerateDataKey | CPU/Sign P-256 | Encrypt req/s | Encrypt p99 | audit cost | CreateKey CPU / Encrypt CPU |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...per.map((p) => `| ${p.run} | ${x(p.encryptCpu)} | ${x(p.decryptCpu)} | ${x(p.gdkCpu)} | ${x(p.signCpu)} | ${x(p.rps)} | ${x(p.p99)} | ${pct(p.audit)} | ${x(p.createKey)} |`), '',
  ];
  const targets: Target[] = [
    { target: 'CPU per Encrypt ≤ 2.0x the bare SigV4 server (c=16, every run)', value: list((p) => x(p.encryptCpu)), met: all((p) => p.encryptCpu <= 2.0) },
    { target: 'Encrypt throughput ≥ 0.5x the bare SigV4 server (c=16, every run)', value: list((p) => x(p.rps)), met: all((p) => p.rps >= 0.5) },
    { target: 'Encrypt p99 ≤ 2x the bare SigV4 server\'s (c=16, 3 runs of 3)', value: list((p) => x(p.p99)), met: per.length >= 3 && all((p) => p.p99 <= 2) },
    { target: 'the audit trail costs ≤ 15% of Encrypt throughput (every run)', value: list((p) => pct(p.audit)), met: all((p) => p.audit <= 0.15) },
    { target: 'CreateKey CPU ≤ 2x an Encrypt\'s (every run)', value: list((p) => x(p.createKey)), met: all((p) => p.createKey <= 2) },
  ];
  return { lines, targets };
}
