/**
 * `npm run bench`: Coffer's throughput and latency against two ceilings, on this machine.
 *
 * The server under test runs pinned to core 0 (`taskset -c 0`, when util-linux has it), the load
 * generator as a separate process pinned to core 1; requests are SigV4-signed and sent over
 * keep-alive HTTP. Each cell runs BENCH_WARMUP_MS (default 1000) then BENCH_SECONDS (default 5:
 * a p99 over fewer seconds rests on a few hundred samples and moves with each garbage collection).
 *
 *   1. ceilings: a bare node:http server with a canned answer, and a minimal pipeline
 *      (SigV4 verify + AES-256-GCM + JSON), with Encrypt-shaped requests;
 *   2. Coffer (fresh data folder, audit on, info logs to a file): Encrypt (256 B), Decrypt,
 *      GenerateDataKey, Sign with ECDSA P-256 and RSA-2048, at concurrency 1, 16 and 64;
 *   3. Coffer again with COFFER_AUDIT=false: Encrypt at concurrency 16 (what the audit costs);
 *   4. the overload case (bench/overload.ts): capacity, then open-loop arrivals at 0.5x and 4x
 *      capacity with fresh-client probes, and 4x again with admission control off.
 * Before its cells, each Coffer server gets one unmeasured pass over every operation (JIT warm-up).
 * Request quotas are off in every server: one account at full speed would meet its 10,000 a second.
 *   5. with BENCH_BASELINE=<git revision> (bench/compare.ts): this tree's Coffer against that commit's,
 *      in the same run, Encrypt at c = 16 in alternating rounds: CPU per request and throughput.
 *   6. the storage cells (bench/storage.ts): SQLite and PostgreSQL, Encrypt at 16 and 64 and CreateKey
 *      at 16, and COFFER_WORKERS=2 against 1; CPU per request of each server's process tree.
 * BENCH_ONLY=overload runs the overload case alone; BENCH_ONLY=compare the comparison alone;
 * BENCH_ONLY=startup the start-up cells alone (bench/startup.ts: `npm start`, `node dist/main.js` and
 * the old `tsx src/main.ts`: first signed answer, memory, Encrypt c=16);
 * BENCH_ONLY=storage the storage cells alone; BENCH_ONLY=cloudhsm the CloudHSM cells alone (bench/cloudhsm.ts:
 * Encrypt and GenerateDataKey at c=16 on an AWS_CLOUDHSM key on SoftHSM2 beside a software key);
 * BENCH_ONLY=hotpath the hot-path cells alone (bench/hotpath.ts: CPU per request, throughput and p99 of
 * Encrypt, Decrypt, GenerateDataKey, Sign and CreateKey as ratios to a bare SigV4 server, three runs);
 * BENCH_ONLY=files the file-encryption cells alone (bench/files.ts: the ESDK's suites and frame
 * lengths, then `coffer encrypt`/`decrypt` of a 1 GiB file: MB/s and peak memory);
 * BENCH_ONLY=audit the audit-trail cells alone (bench/audit.ts: a trail of BENCH_AUDIT_RECORDS, default
 * 1,000,000, records: bytes per record, LookupEvents by every attribute, `coffer audit verify` against reading).
 *
 * Writes bench-results/latest.json and bench-results/latest.md and prints the table. Set
 * BENCH_PROFILE=1 to run Coffer under `node --cpu-prof` (profiles in bench-results/profiles/).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FastSigner, type BenchCredentials } from './sign.ts';
import type { LoadResult, LoadSpec } from './loadgen.ts';
import { overloadMarkdown, runOverload, type OverloadResult } from './overload.ts';
import { compareMarkdown, runCompare, type CompareResult } from './compare.ts';
import { runStorageBench, storageMarkdown, type StorageResult } from './storage.ts';
import { cloudHsmMarkdown, runCloudHsmBench, type CloudHsmResult } from './cloudhsm.ts';
import { runStartupBench, startupMarkdown, type StartupCell } from './startup.ts';
import { filesMarkdown, runFilesBench, type FilesResult } from './files.ts';
import { hotPathMarkdown, runHotPathBench, type HotPathResult } from './hotpath.ts';
import { auditMarkdown, runAuditBench, type AuditResult } from './audit.ts';
import { cofferArgs } from '../scripts/server-command.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench-results');
const SECONDS = Number(process.env.BENCH_SECONDS ?? '5');
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? '1000');
const CONCURRENCY = [1, 16, 64] as const;
const PROFILE = process.env.BENCH_PROFILE === '1';
const ONLY = process.env.BENCH_ONLY ?? '';
const BASELINE = process.env.BENCH_BASELINE ?? '';
const ROUNDS = Number(process.env.BENCH_COMPARE_ROUNDS ?? '7');
const creds: BenchCredentials = { accessKeyId: 'AKIABENCH0000000001', secretAccessKey: randomBytes(24).toString('base64') };
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0 && cpus().length >= 2;
const pin = (core: number, cmd: string[]): string[] => (hasTaskset ? ['taskset', '-c', String(core), ...cmd] : cmd);
const children = new Set<ChildProcess>();

interface Started { readonly proc: ChildProcess; readonly port: number; readonly stop: () => Promise<void> }

async function startProcess(cmd: string[], env: Record<string, string>, logFile?: string, cwd = ROOT): Promise<Started> {
  const [bin = '', ...args] = cmd;
  const errFd = logFile ? openSync(logFile, 'a') : 'ignore';
  const proc = spawn(bin, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', errFd] });
  children.add(proc);
  let out = '';
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${cmd.join(' ')} did not start:\n${out}`)), 30_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (?:https?:\/\/127\.0\.0\.1:)?(\d+)/.exec(out);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); fail(new Error(`${cmd.join(' ')} exited with ${code}:\n${out}`)); });
  });
  return {
    proc, port,
    stop: () => new Promise<void>((r) => {
      if (proc.exitCode !== null) { children.delete(proc); r(); return; }
      proc.once('exit', () => { children.delete(proc); r(); });
      proc.kill('SIGTERM');
    }),
  };
}

function load(spec: Omit<LoadSpec, 'credentials' | 'region' | 'warmupMs' | 'durationMs'>, durationMs = SECONDS * 1000, warmupMs = WARMUP_MS): LoadResult {
  const full: LoadSpec = { ...spec, credentials: creds, region: 'us-east-1', warmupMs, durationMs };
  const [bin = '', ...args] = pin(1, [process.execPath, '--import', 'tsx', 'bench/loadgen.ts', JSON.stringify(full)]);
  const r = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`load generator failed: ${r.stderr}`);
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as LoadResult;
  if (result.errors > 0) throw new Error(`${result.errors} requests failed; first: ${result.firstError ?? '?'}`);
  return result;
}

/** Runs a bench script as its own process pinned to core 1 with a JSON spec, without blocking (the overload case runs two at once). */
function spawnJson<T>(script: string, spec: object): Promise<T> {
  const [bin = '', ...args] = pin(1, [process.execPath, '--import', 'tsx', script, JSON.stringify(spec)]);
  const proc = spawn(bin, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((ok, fail) => {
    proc.once('exit', (code) => {
      children.delete(proc);
      if (code !== 0) { fail(new Error(`${script} failed: ${err}`)); return; }
      ok(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as T);
    });
  });
}

async function call(port: number, target: string, body: object): Promise<Record<string, unknown>> {
  return callService(port, 'kms', `TrentService.${target}`, body);
}

/** One signed JSON 1.1 call to any of Coffer's APIs (`service`: the SigV4 scope). */
async function callService(port: number, service: string, target: string, body: object): Promise<Record<string, unknown>> {
  const text = JSON.stringify(body);
  const headers = new FastSigner(creds, 'us-east-1', service, `127.0.0.1:${port}`).headers(target, text);
  const r = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body: text });
  const answer = await r.text();
  if (r.status !== 200) throw new Error(`${target}: ${r.status} ${answer}`);
  return answer === '' ? {} : (JSON.parse(answer) as Record<string, unknown>);
}

/** Write system calls and bytes of a process so far (Linux /proc), to show the hot path does no per-request I/O. */
function io(pid: number | undefined): { syscw: number; writeBytes: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'utf8');
    const get = (k: string): number => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(text)?.[1] ?? 'NaN');
    return { syscw: get('syscw'), writeBytes: get('write_bytes') };
  } catch {
    return undefined;
  }
}

interface Cell { readonly server: string; readonly operation: string; readonly concurrency: number; readonly result: LoadResult; readonly writesPerRequest?: number }

const NO_QUOTAS = { COFFER_QUOTA_CRYPTO_RPS: '0', COFFER_QUOTA_ASYMMETRIC_RPS: '0', COFFER_QUOTA_CREATE_KEY_RPS: '0', COFFER_QUOTA_MANAGEMENT_RPS: '0', COFFER_QUOTA_CUSTOM_KEY_STORE_RPS: '0' };

async function startCoffer(dataDir: string, audit: boolean, env: Record<string, string> = NO_QUOTAS, cwd = ROOT): Promise<Started> {
  mkdirSync(join(OUT, 'profiles'), { recursive: true });
  const node = [process.execPath, ...cofferArgs('main', { root: cwd, nodeFlags: PROFILE ? ['--cpu-prof', '--cpu-prof-dir', join(OUT, 'profiles')] : [] })];
  return startProcess(pin(0, node), {
    COFFER_HOST: '127.0.0.1', COFFER_PORT: '0', COFFER_DATA_DIR: dataDir, COFFER_ROOT_ACCESS_KEY_ID: creds.accessKeyId,
    COFFER_ROOT_SECRET_ACCESS_KEY: creds.secretAccessKey, COFFER_LOG_LEVEL: 'info', COFFER_AUDIT: String(audit), ...env,
  }, join(dataDir, 'server.log'), cwd);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const cells: Cell[] = [];
  const plaintext = randomBytes(256).toString('base64');
  const encryptShaped = [{ target: 'TrentService.Encrypt', body: JSON.stringify({ KeyId: 'alias/bench', Plaintext: plaintext }) }];
  const log = (c: Cell): void => {
    cells.push(c);
    console.log(`${c.server.padEnd(8)} ${c.operation.padEnd(18)} c=${String(c.concurrency).padStart(2)}  ${c.result.rps.toFixed(0).padStart(6)} req/s  p50 ${c.result.p50Ms.toFixed(2)} ms  p99 ${c.result.p99Ms.toFixed(2)} ms${c.result.throttled ? `  (${c.result.throttled} throttled)` : ''}`);
  };
  console.log(`Bench: ${SECONDS} s per cell after ${WARMUP_MS} ms warm-up; server ${hasTaskset ? 'pinned to core 0, load generator to core 1' : 'NOT pinned (taskset or a second core missing)'}; ${cpus()[0]?.model ?? ''}`);

  for (const mode of ONLY === '' ? (['bare', 'minimal'] as const) : []) {
    const s = await startProcess(pin(0, [process.execPath, '--import', 'tsx', 'bench/ceilings.ts', mode]), { BENCH_AKID: creds.accessKeyId, BENCH_SECRET: creds.secretAccessKey });
    try {
      for (const c of CONCURRENCY) log({ server: mode, operation: 'Encrypt', concurrency: c, result: load({ port: s.port, requests: encryptShaped, concurrency: c }) });
    } finally {
      await s.stop();
    }
  }

  const runCoffer = async (audit: boolean, ops: readonly string[], conc: readonly number[]): Promise<void> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
    const s = await startCoffer(dataDir, audit);
    try {
      const sym = ((await call(s.port, 'CreateKey', {})).KeyMetadata as { Arn: string }).Arn;
      await call(s.port, 'CreateAlias', { AliasName: 'alias/bench', TargetKeyId: sym });
      const ecc = ((await call(s.port, 'CreateKey', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata as { Arn: string }).Arn;
      const rsa = ((await call(s.port, 'CreateKey', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).KeyMetadata as { Arn: string }).Arn;
      const blob = (await call(s.port, 'Encrypt', { KeyId: sym, Plaintext: plaintext })).CiphertextBlob as string;
      const message = randomBytes(32).toString('base64');
      const requests: Record<string, { target: string; body: string }[]> = {
        Encrypt: [{ target: 'TrentService.Encrypt', body: JSON.stringify({ KeyId: sym, Plaintext: plaintext }) }],
        Decrypt: [{ target: 'TrentService.Decrypt', body: JSON.stringify({ CiphertextBlob: blob }) }],
        GenerateDataKey: [{ target: 'TrentService.GenerateDataKey', body: JSON.stringify({ KeyId: sym, KeySpec: 'AES_256' }) }],
        'Sign ECDSA P-256': [{ target: 'TrentService.Sign', body: JSON.stringify({ KeyId: ecc, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }) }],
        'Sign RSA-2048': [{ target: 'TrentService.Sign', body: JSON.stringify({ KeyId: rsa, Message: message, MessageType: 'RAW', SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }) }],
      };
      // One pass over every operation first: the JIT, the caches and the heap settle before any cell is measured.
      for (const op of ops) load({ port: s.port, requests: requests[op] ?? [], concurrency: 16 }, 1000);
      for (const op of ops) {
        for (const c of conc) {
          const before = io(s.proc.pid);
          const result = load({ port: s.port, requests: requests[op] ?? [], concurrency: c });
          const after = io(s.proc.pid);
          const total = result.requests + Math.round(result.rps * WARMUP_MS / 1000);
          const writesPerRequest = before && after && total > 0 ? (after.syscw - before.syscw) / total : undefined;
          log({ server: audit ? 'coffer' : 'no-audit', operation: op, concurrency: c, result, ...(writesPerRequest !== undefined ? { writesPerRequest } : {}) });
        }
      }
    } finally {
      await s.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  if (ONLY === '') {
    await runCoffer(true, ['Encrypt', 'Decrypt', 'GenerateDataKey', 'Sign ECDSA P-256', 'Sign RSA-2048'], CONCURRENCY);
    await runCoffer(false, ['Encrypt'], [16]);
  }
  let overload: OverloadResult | undefined;
  if (ONLY === '' || ONLY === 'overload') {
    overload = await runOverload({
      creds, warmupMs: WARMUP_MS, durationMs: SECONDS * 1000, call, spawnJson,
      startCoffer: async (env) => {
        const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
        const s = await startCoffer(dataDir, true, { ...NO_QUOTAS, ...env });
        return { port: s.port, stop: async () => { await s.stop(); rmSync(dataDir, { recursive: true, force: true }); } };
      },
      capacity: (port, body, concurrency, durationMs) =>
        load({ port, requests: [{ target: 'TrentService.Encrypt', body }], concurrency }, durationMs),
    });
  }

  let compare: CompareResult | undefined;
  if (BASELINE !== '' && (ONLY === '' || ONLY === 'compare')) {
    compare = await runCompare({
      root: ROOT, baseline: BASELINE, rounds: ROUNDS, durationMs: SECONDS * 1000,
      startCoffer: async (cwd) => {
        const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
        const s = await startCoffer(dataDir, true, NO_QUOTAS, cwd);
        return { pid: s.proc.pid, port: s.port, stop: async () => { await s.stop(); rmSync(dataDir, { recursive: true, force: true }); } };
      },
      prepare: async (port) => {
        const sym = ((await call(port, 'CreateKey', {})).KeyMetadata as { Arn: string }).Arn;
        return JSON.stringify({ KeyId: sym, Plaintext: plaintext });
      },
      load: (port, body, durationMs) => load({ port, requests: [{ target: 'TrentService.Encrypt', body }], concurrency: 16 }, durationMs, 0),
    });
  }

  let storage: StorageResult | undefined;
  if (ONLY === '' || ONLY === 'storage') {
    storage = await runStorageBench({
      plaintext, call,
      startCoffer: async (env) => {
        const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
        const s = await startCoffer(dataDir, true, { ...NO_QUOTAS, ...env });
        return { pid: s.proc.pid, port: s.port, stop: async () => { await s.stop(); rmSync(dataDir, { recursive: true, force: true }); } };
      },
      load: (port, target, body, concurrency) => load({ port, requests: [{ target, body }], concurrency }, SECONDS * 1000, 0),
    });
  }

  let cloudhsm: CloudHsmResult | undefined;
  if (ONLY === '' || ONLY === 'cloudhsm') {
    cloudhsm = await runCloudHsmBench({
      plaintext, call: callService,
      startCoffer: async (env) => {
        const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
        const s = await startCoffer(dataDir, true, { ...NO_QUOTAS, ...env });
        return { port: s.port, dataDir, stop: async () => { await s.stop(); rmSync(dataDir, { recursive: true, force: true }); } };
      },
      load: (port, target, body, concurrency) => load({ port, requests: [{ target, body }], concurrency }, SECONDS * 1000, 0),
    });
  }

  let startup: StartupCell[] | undefined;
  if (ONLY === '' || ONLY === 'startup') {
    const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
    startup = await runStartupBench({
      root: ROOT, plaintext, call, pin: (cmd) => pin(0, cmd),
      env: (port, dataDir) => ({
        COFFER_HOST: '127.0.0.1', COFFER_PORT: String(port), COFFER_DATA_DIR: dataDir, COFFER_ROOT_ACCESS_KEY_ID: creds.accessKeyId,
        COFFER_ROOT_SECRET_ACCESS_KEY: creds.secretAccessKey, COFFER_LOG_LEVEL: 'warn', ...NO_QUOTAS,
      }),
      newDataDir: () => mkdtempSync(join(tmpdir(), 'coffer-bench-')),
      removeDataDir: (dir) => rmSync(dir, { recursive: true, force: true }),
      load: (port, body) => load({ port, requests: [{ target: 'TrentService.Encrypt', body }], concurrency: 16 }),
    }, [
      { way: 'npm start', cmd: [npm, 'start', '--silent'] },
      { way: 'node dist/main.js', cmd: [process.execPath, ...cofferArgs('main', { from: 'build' })] },
      // What `npm start` ran before the build: npm, sh, tsx's CLI, then the server's node.
      { way: 'tsx src/main.ts (the old way)', cmd: [npm, 'exec', '--', 'tsx', 'src/main.ts'] },
    ]);
  }

  let hotpath: HotPathResult | undefined;
  if (ONLY === '' || ONLY === 'hotpath') {
    hotpath = await runHotPathBench({
      plaintext, call, runs: Number(process.env.BENCH_HOTPATH_RUNS ?? '3'),
      startCeiling: async (mode) => {
        const s = await startProcess(pin(0, [process.execPath, '--import', 'tsx', 'bench/ceilings.ts', mode]), { BENCH_AKID: creds.accessKeyId, BENCH_SECRET: creds.secretAccessKey });
        return { pid: s.proc.pid, port: s.port, stop: s.stop };
      },
      startCoffer: async (env) => {
        const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
        // startCoffer's info level is the default a fresh install runs at.
        const s = await startCoffer(dataDir, env.COFFER_AUDIT !== 'false', { ...NO_QUOTAS, ...env });
        return { pid: s.proc.pid, port: s.port, stop: async () => { await s.stop(); rmSync(dataDir, { recursive: true, force: true }); } };
      },
      load: (port, target, body, concurrency, durationMs) => load({ port, requests: [{ target, body }], concurrency }, durationMs ?? SECONDS * 1000, 0),
    });
  }

  let files: FilesResult | undefined;
  if (ONLY === '' || ONLY === 'files') {
    files = await runFilesBench({
      credentials: creds, call, pin: (cmd) => pin(1, cmd),
      startCoffer: async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
        const s = await startCoffer(dataDir, true);
        return { port: s.port, stop: async () => { await s.stop(); rmSync(dataDir, { recursive: true, force: true }); } };
      },
    });
  }

  let auditCells: AuditResult | undefined;
  if (ONLY === '' || ONLY === 'audit') {
    auditCells = await runAuditBench({
      records: Number(process.env.BENCH_AUDIT_RECORDS ?? '1000000'),
      call: callService,
      newDataDir: () => mkdtempSync(join(tmpdir(), 'coffer-bench-')),
      removeDataDir: (dir) => rmSync(dir, { recursive: true, force: true }),
      startCoffer: (dataDir) => startCoffer(dataDir, true),
      verifyCli: (dataDir, extraArgs) => {
        const t = performance.now();
        const r = spawnSync(process.execPath, [...cofferArgs('cli'), 'audit', 'verify', ...extraArgs], {
          cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', COFFER_DATA_DIR: dataDir },
        });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t) / 1000 };
      },
    });
  }

  const rps = (server: string, op: string, c: number): number => cells.find((x) => x.server === server && x.operation === op && x.concurrency === c)?.result.rps ?? Number.NaN;
  const cell = (server: string, op: string, c: number) => cells.find((x) => x.server === server && x.operation === op && x.concurrency === c);
  const enc16 = rps('coffer', 'Encrypt', 16);
  const ratios = { ofMinimal: enc16 / rps('minimal', 'Encrypt', 16), ofBare: enc16 / rps('bare', 'Encrypt', 16) };
  const over = overload ? overloadMarkdown(overload) : undefined;
  const comp = compare ? compareMarkdown(compare) : undefined;
  const stor = storage ? storageMarkdown(storage) : undefined;
  const hsmCells = cloudhsm ? cloudHsmMarkdown(cloudhsm) : undefined;
  const starts = startup ? startupMarkdown(startup) : undefined;
  const fileCells = files ? filesMarkdown(files) : undefined;
  const hot = hotpath ? hotPathMarkdown(hotpath) : undefined;
  const auditMd = auditCells ? auditMarkdown(auditCells) : undefined;
  // Admission control sheds the part of a turn beyond its threshold: a closed loop of 64 can meet it.
  const pctOf = (r: LoadResult): string => (r.throttled === 0 ? '0' : `${((100 * r.throttled) / (r.throttled + r.requests)).toFixed(1)}%`);
  const targets = ONLY !== '' ? [...(over?.targets ?? []), ...(comp?.targets ?? []), ...(stor?.targets ?? []), ...(hsmCells?.targets ?? []), ...(starts?.targets ?? []), ...(fileCells?.targets ?? []), ...(hot?.targets ?? []), ...(auditMd?.targets ?? [])] : [
    { target: 'Encrypt c=16 ≥ 70% of the minimal-pipeline ceiling', value: `${(ratios.ofMinimal * 100).toFixed(0)}%`, met: ratios.ofMinimal >= 0.7 },
    { target: 'p99 at c=16 under 5 ms (Encrypt)', value: `${(cell('coffer', 'Encrypt', 16)?.result.p99Ms ?? Number.NaN).toFixed(2)} ms`, met: (cell('coffer', 'Encrypt', 16)?.result.p99Ms ?? Infinity) < 5 },
    { target: 'GenerateDataKey within 15% of Encrypt (c=16)', value: `${((rps('coffer', 'GenerateDataKey', 16) / enc16 - 1) * 100).toFixed(0)}%`, met: Math.abs(rps('coffer', 'GenerateDataKey', 16) / enc16 - 1) <= 0.15 },
    { target: 'Decrypt within 15% of Encrypt (c=16)', value: `${((rps('coffer', 'Decrypt', 16) / enc16 - 1) * 100).toFixed(0)}%`, met: Math.abs(rps('coffer', 'Decrypt', 16) / enc16 - 1) <= 0.15 },
    { target: 'audit costs < 15% of Encrypt throughput (c=16)', value: `${((1 - enc16 / rps('no-audit', 'Encrypt', 16)) * 100).toFixed(0)}%`, met: enc16 / rps('no-audit', 'Encrypt', 16) > 0.85 },
    ...(over?.targets ?? []),
    ...(comp?.targets ?? []),
    ...(stor?.targets ?? []),
    ...(hsmCells?.targets ?? []),
    ...(starts?.targets ?? []),
    ...(fileCells?.targets ?? []),
    ...(hot?.targets ?? []),
    ...(auditMd?.targets ?? []),
  ];
  const result = {
    date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? '', cores: cpus().length, pinned: hasTaskset,
    secondsPerCell: SECONDS, warmupMs: WARMUP_MS, cells, ratios, ...(overload ? { overload } : {}), ...(compare ? { compare } : {}), ...(storage ? { storage } : {}), ...(cloudhsm ? { cloudhsm } : {}), ...(startup ? { startup } : {}), ...(files ? { files } : {}), ...(hotpath ? { hotpath } : {}), ...(auditCells ? { audit: auditCells } : {}), targets,
  };
  writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  const md = [
    `# Coffer benchmark (${result.date})`, '',
    `Node ${result.node}, ${result.cpu}, ${result.cores} cores; server ${hasTaskset ? 'pinned to one core (taskset -c 0), load generator on another' : 'not pinned'}; ${SECONDS} s per cell.`, '',
    '| Server | Operation | Concurrency | req/s | p50 ms | p99 ms | writes/req | throttled |', '|---|---|---:|---:|---:|---:|---:|---:|',
    ...cells.map((c) => `| ${c.server} | ${c.operation} | ${c.concurrency} | ${c.result.rps.toFixed(0)} | ${c.result.p50Ms.toFixed(2)} | ${c.result.p99Ms.toFixed(2)} | ${c.writesPerRequest?.toFixed(3) ?? ''} | ${pctOf(c.result)} |`),
    '', ...(ONLY === '' ? [`Coffer Encrypt (c=16) is ${(ratios.ofMinimal * 100).toFixed(0)}% of the minimal pipeline and ${(ratios.ofBare * 100).toFixed(0)}% of bare node:http.`, ''] : []),
    ...(over?.lines ?? []),
    ...(comp?.lines ?? []),
    ...(stor?.lines ?? []),
    ...(hsmCells?.lines ?? []),
    ...(starts?.lines ?? []),
    ...(fileCells?.lines ?? []),
    ...(hot?.lines ?? []),
    ...(auditMd?.lines ?? []),
    '| Target | Measured | Met |', '|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.value} | ${t.met ? 'yes' : 'NO'} |`), '',
  ].join('\n');
  writeFileSync(join(OUT, 'latest.md'), md);
  console.log(`\n${md}`);
  console.log(`Wrote ${join('bench-results', 'latest.json')} and ${join('bench-results', 'latest.md')}.`);
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGKILL');
}
