/**
 * The file-encryption cells of `npm run bench` (BENCH_ONLY=files runs them alone): `coffer encrypt`
 * and `coffer decrypt` (src/cli/file-crypto/) on a file of BENCH_FILE_MIB MiB (default 1024) against
 * a running Coffer, as a user runs them: the build's CLI as its own process pinned to core 1, from
 * spawn to exit (the start-up, the one GenerateDataKey or Decrypt call, reading and writing the
 * files), with the process's peak resident memory (VmHWM) and the output checked. The files are in
 * BENCH_FILE_DIR, by default /dev/shm (tmpfs) where it exists: on this kind of machine a 1 GiB write
 * to the disk's file system costs `cp` itself several seconds of kernel time, which would measure
 * the disk, not the command; `cp` of the same file in the same folder is a cell of its own, the
 * ceiling of any command that reads and writes it. An empty file gives the fixed cost of a run.
 * BENCH_FILE_ROUNDS (default 3) alternating rounds; each run's median. Each round also runs
 * `openssl speed -evp aes-256-gcm -bytes 16384 -seconds 3` on the same core (the machine's AES-GCM
 * ceiling in this very run, for the ratio of issue #16), and encrypts and decrypts a file of
 * BENCH_FILE_SMALL_MIB MiB (default 256): the peak RSS must not grow with the file's size.
 *
 * Before them, the choice behind the defaults: the ESDK's streaming encrypt and decrypt alone (a
 * raw AES keyring, no KMS, no files: in-memory source and sink, BENCH_FILE_MATRIX_MIB MiB, default
 * 256, 0 to skip), for both committing suites and frames of 4 KiB (the ESDK's default), 64 KiB and
 * 1 MiB, each cell its own process pinned to core 1 (`node --import tsx bench/files.ts cell <json>`):
 * the ceiling of the ESDK's own stream code, which is why coffer runs the frame loop itself
 * (src/cli/file-crypto/message.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cofferArgs } from '../scripts/server-command.ts';

const ROOT = resolve(import.meta.dirname, '..');
const MiB = 1024 * 1024;
const SUITES = { unsigned: 0x0478, signed: 0x0578 } as const; // ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY[_ECDSA_P384]
const FRAMES = [4096, 65536, MiB] as const;

export interface MatrixCell { readonly suite: keyof typeof SUITES; readonly frameLength: number; readonly encryptMBps: number; readonly decryptMBps: number }
/** One kind of run: the median of its rounds' wall times (each round's in `samples`), the highest peak RSS. */
export interface RunCell { readonly run: string; readonly bytes: number; readonly seconds: number; readonly MBps: number; readonly peakRssMiB: number; readonly samples: readonly number[] }
export interface FilesResult { readonly matrixMiB: number; readonly matrix: MatrixCell[]; readonly fileMiB: number; readonly smallMiB: number; readonly fileDir: string; readonly runs: RunCell[]; readonly opensslMBps: readonly number[] }

export interface FilesDeps {
  /** A Coffer to run against: its port, root credentials, and how to stop it. */
  readonly startCoffer: () => Promise<{ port: number; stop: () => Promise<void> }>;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly call: (port: number, target: string, body: object) => Promise<Record<string, unknown>>;
  /** Pins a command to core 1 (the server runs on core 0). */
  readonly pin: (cmd: string[]) => string[];
}

/** One matrix cell, in this process: encrypt `mib` MiB from memory, then decrypt the result. */
async function cell(spec: { suite: keyof typeof SUITES; frameLength: number; mib: number }): Promise<MatrixCell> {
  const { buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier } = await import('@aws-crypto/client-node');
  const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({ keyName: 'bench', keyNamespace: 'bench', unencryptedMasterKey: randomBytes(32), wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING });
  const block = randomBytes(MiB);
  const total = spec.mib * MiB;
  let left = total;
  const source = new Readable({ highWaterMark: MiB, read() { const n = Math.min(MiB, left); left -= n; this.push(n > 0 ? block.subarray(0, n) : null); } });
  const cipher: Buffer[] = [];
  let t = performance.now();
  await pipeline(source, esdk.encryptStream(keyring, { suiteId: SUITES[spec.suite], frameLength: spec.frameLength }), new Writable({ write(c: Buffer, _e, cb) { cipher.push(c); cb(); } }));
  const encryptMBps = total / 1e6 / ((performance.now() - t) / 1000);
  let plain = 0;
  t = performance.now();
  await pipeline(Readable.from(cipher), esdk.decryptStream(keyring), new Writable({ write(c: Buffer, _e, cb) { plain += c.length; cb(); } }));
  const decryptMBps = total / 1e6 / ((performance.now() - t) / 1000);
  if (plain !== total) throw new Error(`decrypted ${plain} of ${total} bytes`);
  return { suite: spec.suite, frameLength: spec.frameLength, encryptMBps, decryptMBps };
}

/** Runs `args` of the CLI pinned to core 1; resolves with the wall time and the peak RSS. */
async function timedCli(d: FilesDeps, port: number, args: string[]): Promise<{ seconds: number; peakRssMiB: number }> {
  return timed(d, [process.execPath, ...cofferArgs('cli', { from: 'build' }), ...args, '--endpoint-url', `http://127.0.0.1:${port}`]);
}

/** Runs `cmd` pinned to core 1; resolves with the wall time and the peak RSS. */
async function timed(d: FilesDeps, cmd: string[]): Promise<{ seconds: number; peakRssMiB: number }> {
  const [bin = '', ...rest] = d.pin(cmd);
  const started = performance.now();
  const child = spawn(bin, rest, {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), AWS_ACCESS_KEY_ID: d.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: d.credentials.secretAccessKey, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' },
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  let peakKiB = 0;
  // The pinned process may be taskset, which execs node: same pid.
  const sample = setInterval(() => {
    try { peakKiB = Math.max(peakKiB, Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0)); } catch { /* exited */ }
  }, 25);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearInterval(sample);
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}: ${stderr}`);
  return { seconds: (performance.now() - started) / 1000, peakRssMiB: peakKiB / 1024 };
}

/** `openssl speed -evp aes-256-gcm` for 16 KiB blocks over 3 s, pinned like the CLI: MB/s (10^6 bytes). */
function opensslSpeed(d: FilesDeps): number {
  const [bin = '', ...args] = d.pin(['openssl', 'speed', '-evp', 'aes-256-gcm', '-bytes', '16384', '-seconds', '3']);
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  // The result line: "AES-256-GCM    4136833.32k" (thousands of bytes per second).
  const line = r.stdout.split('\n').find((l) => l.trim().toUpperCase().startsWith('AES-256-GCM'));
  const k = Number(line?.trim().split(/\s+/).at(-1)?.replace(/k$/, '') ?? 'NaN');
  if (r.status !== 0 || !Number.isFinite(k)) throw new Error(`openssl speed failed: ${r.stderr}${r.stdout}`);
  return k / 1000;
}

const sha256 = async (file: string): Promise<string> => {
  const h = createHash('sha256');
  await pipeline(createReadStream(file, { highWaterMark: MiB }), h);
  return h.digest('hex');
};

export async function runFilesBench(d: FilesDeps): Promise<FilesResult> {
  const matrixMiB = Number(process.env.BENCH_FILE_MATRIX_MIB ?? '256');
  const fileMiB = Number(process.env.BENCH_FILE_MIB ?? '1024');
  const smallMiB = Number(process.env.BENCH_FILE_SMALL_MIB ?? '256');
  const matrix: MatrixCell[] = [];
  for (const suite of matrixMiB > 0 ? Object.keys(SUITES) as (keyof typeof SUITES)[] : []) {
    for (const frameLength of FRAMES) {
      const [bin = '', ...args] = d.pin([process.execPath, '--import', 'tsx', 'bench/files.ts', 'cell', JSON.stringify({ suite, frameLength, mib: matrixMiB })]);
      const r = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
      if (r.status !== 0) throw new Error(`files matrix cell failed: ${r.stderr}`);
      const c = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as MatrixCell;
      matrix.push(c);
      console.log(`files    ESDK ${suite.padEnd(8)} frame ${String(frameLength).padStart(7)}  encrypt ${c.encryptMBps.toFixed(0).padStart(5)} MB/s  decrypt ${c.decryptMBps.toFixed(0).padStart(5)} MB/s`);
    }
  }

  const fileDir = process.env.BENCH_FILE_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  const dir = mkdtempSync(join(fileDir, 'coffer-bench-files-'));
  const coffer = await d.startCoffer();
  const runs: RunCell[] = [];
  const opensslMBps: number[] = [];
  try {
    const key = ((await d.call(coffer.port, 'CreateKey', {})).KeyMetadata as { Arn: string }).Arn;
    const plain = join(dir, 'plain.bin');
    const small = join(dir, 'small.bin');
    const block = randomBytes(MiB);
    for (const [path, mib] of [[plain, fileMiB], [small, smallMiB]] as const) {
      const fd = openSync(path, 'w');
      for (let i = 0; i < mib; i++) { block.writeUInt32LE(i, 0); writeSync(fd, block); }
      closeSync(fd);
    }
    const empty = join(dir, 'empty.bin');
    closeSync(openSync(empty, 'w'));
    const rounds = Number(process.env.BENCH_FILE_ROUNDS ?? '3');
    const samples = new Map<string, { bytes: number; seconds: number[]; peakRssMiB: number }>();
    const record = (run: string, bytes: number, t: { seconds: number; peakRssMiB: number }): void => {
      const s = samples.get(run) ?? { bytes, seconds: [], peakRssMiB: 0 };
      s.seconds.push(t.seconds);
      s.peakRssMiB = Math.max(s.peakRssMiB, t.peakRssMiB);
      samples.set(run, s);
      console.log(`files    ${run.padEnd(46)} ${t.seconds.toFixed(2).padStart(6)} s  ${bytes > 0 ? `${(bytes / 1e6 / t.seconds).toFixed(0).padStart(5)} MB/s` : '          '}  peak RSS ${t.peakRssMiB.toFixed(0)} MiB`);
    };
    const bytes = statSync(plain).size;
    // Alternating rounds, so that a busy moment of the shared machine does not fall on one run only.
    for (let round = 0; round < rounds; round++) {
      opensslMBps.push(opensslSpeed(d));
      console.log(`files    openssl speed -evp aes-256-gcm, 16 KiB blocks          ${opensslMBps.at(-1)?.toFixed(0).padStart(5)} MB/s`);
      record('coffer encrypt, empty file (fixed cost)', 0, await timedCli(d, coffer.port, ['encrypt', '--key-id', key, '--in', empty, '--out', `${empty}.enc`]));
      record(`cp, ${fileMiB} MiB file (the file system's ceiling)`, bytes, await timed(d, ['cp', plain, `${plain}.copy`]));
      rmSync(`${plain}.copy`);
      for (const signed of [false, true]) {
        const flag = signed ? ['--signed'] : [];
        const name = signed ? ' --signed' : '';
        rmSync(`${plain}.enc`, { force: true });
        record(`coffer encrypt${name}, ${fileMiB} MiB file`, bytes, await timedCli(d, coffer.port, ['encrypt', '--key-id', key, '--in', plain, '--out', `${plain}.enc`, ...flag]));
        record(`coffer decrypt${name}, ${fileMiB} MiB file`, bytes, await timedCli(d, coffer.port, ['decrypt', '--in', `${plain}.enc`, '--out', `${plain}.out`]));
        if (round === 0 && await sha256(plain) !== await sha256(`${plain}.out`)) throw new Error('the decrypted file differs from the plaintext');
        rmSync(`${plain}.out`);
      }
      // The same command on a smaller file: its peak RSS should be the same (memory bounded).
      const smallBytes = statSync(small).size;
      rmSync(`${small}.enc`, { force: true });
      record(`coffer encrypt, ${smallMiB} MiB file`, smallBytes, await timedCli(d, coffer.port, ['encrypt', '--key-id', key, '--in', small, '--out', `${small}.enc`]));
      record(`coffer decrypt, ${smallMiB} MiB file`, smallBytes, await timedCli(d, coffer.port, ['decrypt', '--in', `${small}.enc`, '--out', `${small}.out`]));
      rmSync(`${small}.out`);
    }
    for (const [run, s] of samples) {
      const sorted = [...s.seconds].sort((a, b) => a - b);
      const seconds = sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
      runs.push({ run, bytes: s.bytes, seconds, MBps: s.bytes / 1e6 / seconds, peakRssMiB: s.peakRssMiB, samples: s.seconds });
    }
  } finally {
    await coffer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { matrixMiB, matrix, fileMiB, smallMiB, fileDir, runs, opensslMBps };
}

export function filesMarkdown(r: FilesResult): { lines: string[]; targets: { target: string; value: string; met: boolean }[] } {
  const kib = (n: number) => (n >= MiB ? `${n / MiB} MiB` : `${n / 1024} KiB`);
  const lines = [
    `## File encryption (coffer encrypt / decrypt)`, '',
    `The ESDK alone (raw AES keyring, ${r.matrixMiB} MiB in memory, one core), MB/s (10^6 bytes):`, '',
    '| Suite | Frame | Encrypt MB/s | Decrypt MB/s |', '|---|---:|---:|---:|',
    ...(r.matrix.length === 0 ? ['| (not run: BENCH_FILE_MATRIX_MIB=0) | | | |'] : []),
    ...r.matrix.map((c) => `| ${c.suite === 'signed' ? 'COMMIT_KEY_ECDSA_P384' : 'COMMIT_KEY'} | ${kib(c.frameLength)} | ${c.encryptMBps.toFixed(0)} | ${c.decryptMBps.toFixed(0)} |`), '',
    `The command on a ${r.fileMiB} MiB file in ${r.fileDir} (spawn to exit, against a running Coffer; MB/s counts the plaintext; median of the rounds):`, '',
    '| Run | Seconds (rounds) | MB/s | Peak RSS MiB |', '|---|---:|---:|---:|',
    ...r.runs.map((c) => `| ${c.run} | ${c.seconds.toFixed(2)} (${c.samples.map((x) => x.toFixed(2)).join(', ')}) | ${c.bytes > 0 ? c.MBps.toFixed(0) : ''} | ${c.peakRssMiB.toFixed(0)} |`), '',
  ];
  const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;
  const openssl = median(r.opensslMBps);
  const find = (prefix: string, signed: boolean, mib: number) => r.runs.find((c) => c.run.startsWith(prefix) && c.run.includes('--signed') === signed && c.run.includes(`, ${mib} MiB`));
  const enc = find('coffer encrypt', false, r.fileMiB);
  const dec = find('coffer decrypt', false, r.fileMiB);
  const signedEnc = find('coffer encrypt', true, r.fileMiB);
  const signedDec = find('coffer decrypt', true, r.fileMiB);
  const rssOf = (mib: number) => Math.max(...r.runs.filter((c) => c.run.startsWith('coffer') && !c.run.includes('--signed') && c.run.includes(`, ${mib} MiB`)).map((c) => c.peakRssMiB));
  const [rssBig, rssSmall] = [rssOf(r.fileMiB), rssOf(r.smallMiB)];
  const coffer = r.runs.filter((c) => c.run.startsWith('coffer'));
  const maxRss = Math.max(...coffer.map((c) => c.peakRssMiB));
  const pct = (c: RunCell | undefined) => `${(((c?.MBps ?? Number.NaN) / openssl) * 100).toFixed(0)}%`;
  lines.push(
    `openssl speed -evp aes-256-gcm, 16 KiB blocks, same core, same run: ${openssl.toFixed(0)} MB/s (median of ${r.opensslMBps.map((x) => x.toFixed(0)).join(', ')}).`, '',
    '| Command (median MB/s) | MB/s | % of openssl 16 KiB |', '|---|---:|---:|',
    ...[['encrypt (COMMIT_KEY)', enc], ['decrypt (COMMIT_KEY)', dec], ['encrypt --signed (COMMIT_KEY_ECDSA_P384)', signedEnc], ['decrypt of the signed message', signedDec]].map(([name, c]) => `| ${name as string} | ${(c as RunCell | undefined)?.MBps.toFixed(0) ?? '?'} | ${pct(c as RunCell | undefined)} |`), '',
    `Peak RSS of coffer encrypt/decrypt (unsigned): ${rssSmall.toFixed(0)} MiB on ${r.smallMiB} MiB, ${rssBig.toFixed(0)} MiB on ${r.fileMiB} MiB.`, '',
  );
  const targets = [
    { target: `coffer encrypt of a ${r.fileMiB} MiB file ≥ 500 MB/s`, value: `${enc?.MBps.toFixed(0) ?? '?'} MB/s`, met: (enc?.MBps ?? 0) >= 500 },
    { target: `coffer decrypt of a ${r.fileMiB} MiB file ≥ 500 MB/s`, value: `${dec?.MBps.toFixed(0) ?? '?'} MB/s`, met: (dec?.MBps ?? 0) >= 500 },
    { target: 'coffer encrypt ≥ 40% of openssl speed -evp aes-256-gcm (16 KiB) in the same run', value: `${pct(enc)} (${enc?.MBps.toFixed(0) ?? '?'} of ${openssl.toFixed(0)} MB/s)`, met: (enc?.MBps ?? 0) >= 0.4 * openssl },
    { target: 'coffer encrypt/decrypt peak RSS < 200 MiB whatever the file size', value: `${maxRss.toFixed(0)} MiB`, met: maxRss < 200 },
    { target: `peak RSS does not grow with the file (${r.smallMiB} → ${r.fileMiB} MiB, within 16 MiB)`, value: `${rssSmall.toFixed(0)} → ${rssBig.toFixed(0)} MiB`, met: rssBig - rssSmall <= 16 },
  ];
  return { lines, targets };
}

if (process.argv[2] === 'cell') console.log(JSON.stringify(await cell(JSON.parse(process.argv[3] ?? '{}') as { suite: keyof typeof SUITES; frameLength: number; mib: number })));
