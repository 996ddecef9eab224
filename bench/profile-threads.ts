/**
 * A diagnostic: one Coffer under Encrypt c=16 for BENCH_SECONDS, then the CPU seconds of each of its
 * threads over that time (main thread, libuv pool, V8 GC helpers, ...): where the CPU that the hot-path
 * cells count goes outside the main thread's profile. `npx tsx bench/profile-threads.ts [Operation]`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FastSigner } from './sign.ts';
import { cofferArgs } from '../scripts/server-command.ts';

const ROOT = resolve(import.meta.dirname, '..');
const creds = { accessKeyId: 'AKIABENCH0000000001', secretAccessKey: randomBytes(24).toString('base64') };
const seconds = Number(process.env.BENCH_SECONDS ?? '5');
const dataDir = mkdtempSync(join(tmpdir(), 'coffer-prof-'));
const extra = (process.env.NODE_EXTRA ?? '').split(' ').filter((x) => x !== '');
const proc = spawn('taskset', ['-c', '0', process.execPath, ...cofferArgs('main', { root: ROOT, nodeFlags: extra })], {
  cwd: ROOT, stdio: ['ignore', 'pipe', openSync(join(dataDir, '..', 'coffer-prof.log'), 'w')],
  env: { ...process.env, COFFER_HOST: '127.0.0.1', COFFER_PORT: '0', COFFER_DATA_DIR: dataDir, COFFER_ROOT_ACCESS_KEY_ID: creds.accessKeyId, COFFER_ROOT_SECRET_ACCESS_KEY: creds.secretAccessKey, COFFER_QUOTA_CRYPTO_RPS: '0', COFFER_QUOTA_CREATE_KEY_RPS: '0' },
});
const port = await new Promise<number>((ok) => {
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); const m = /listening on (?:https?:\/\/127\.0\.0\.1:)?(\d+)/.exec(out); if (m) ok(Number(m[1])); });
});
const call = async (target: string, body: object): Promise<Record<string, unknown>> => {
  const text = JSON.stringify(body);
  const r = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: new FastSigner(creds, 'us-east-1', 'kms', `127.0.0.1:${port}`).headers(`TrentService.${target}`, text), body: text });
  return (await r.json()) as Record<string, unknown>;
};
const key = ((await call('CreateKey', {})).KeyMetadata as { Arn: string }).Arn;
const op = process.argv[2] ?? 'Encrypt';
const body = op === 'CreateKey' ? '{}' : JSON.stringify({ KeyId: key, Plaintext: randomBytes(256).toString('base64') });
const load = (ms: number): string => spawnSync('taskset', ['-c', '1', process.execPath, '--import', 'tsx', 'bench/loadgen.ts', JSON.stringify({ port, credentials: creds, region: 'us-east-1', requests: [{ target: `TrentService.${op}`, body }], concurrency: 16, warmupMs: 0, durationMs: ms })], { cwd: ROOT, encoding: 'utf8' }).stdout.trim().split('\n').at(-1) ?? '';
load(2000);
const threads = (): Map<string, number> => {
  const m = new Map<string, number>();
  for (const t of readdirSync(`/proc/${proc.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${proc.pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = readFileSync(`/proc/${proc.pid}/task/${t}/comm`, 'utf8').trim();
      m.set(`${name}#${t}`, (Number(f[11]) + Number(f[12])) / 100);
      m.set(`${name}#${t}:sys`, Number(f[12]) / 100);
    } catch { /* gone */ }
  }
  return m;
};
const tracer = process.env.STRACE ? spawn('strace', ['-f', '-c', '-o', process.env.STRACE, '-p', String(proc.pid)], { stdio: 'ignore' }) : undefined;
if (tracer) await new Promise((r) => setTimeout(r, 500));
const before = threads();
const result = JSON.parse(load(seconds * 1000)) as { requests: number; rps: number; p99Ms: number };
const after = threads();
if (tracer) { tracer.kill('SIGINT'); await new Promise((r) => tracer.once('exit', r)); }
let total = 0;
const rows = [...after].map(([k, v]) => { const d = v - (before.get(k) ?? 0); if (!k.endsWith(':sys')) total += d; return [k, d] as const; }).filter(([, d]) => d > 0).sort((a, b) => b[1] - a[1]);
console.log(`${op} c=16: ${result.rps.toFixed(0)} req/s p99 ${result.p99Ms.toFixed(2)} ms; ${(total * 1e6 / result.requests).toFixed(1)} µs CPU/request`);
for (const [k, d] of rows) console.log(`  ${k.padEnd(24)} ${(d * 1e6 / result.requests).toFixed(1)} µs/request`);
proc.kill('SIGTERM');
await new Promise((r) => proc.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });
