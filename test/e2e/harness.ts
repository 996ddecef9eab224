/**
 * Starts a real Coffer server process on a free port with a temporary data folder, and hands
 * out clients for it. Every process started here is stopped by `stop()` / `kill9()`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freshDatabase, type TestDatabase } from '../support/postgres.ts';
import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent as HttpsAgent } from 'node:https';
import { KMSClient } from '@aws-sdk/client-kms';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { cofferArgs } from '../../scripts/server-command.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const ACCOUNT_ID = '111122223333';
export const REGION = 'us-east-1';

export interface Credentials { accessKeyId: string; secretAccessKey: string }

export interface StartOptions {
  dataDir?: string;
  env?: Record<string, string>;
  credentials?: Credentials;
  /**
   * Start the server with this open-file limit (`ulimit -n`, hard: Node raises its soft limit to the
   * hard one). Loading the modules opens many files at once (a limit under ~100 fails start-up now
   * and then with EMFILE), so keep it high; openFileLimitAfterStart tests a low one.
   */
  openFileLimit?: number;
  /** Lower the running server's open-file limit to this (`prlimit`) once it listens. */
  openFileLimitAfterStart?: number;
  /**
   * The storage: SQLite in the data folder, or a fresh PostgreSQL database for the data folder
   * (the same one again on a restart); default COFFER_TEST_BACKEND's. `env.COFFER_DATABASE_URL` wins.
   */
  backend?: 'sqlite' | 'postgres';
  /**
   * The CA (PEM) that `client()` trusts when the server speaks HTTPS (env COFFER_TLS_CERT/KEY);
   * `raw()` and `advanceClock()` speak plain HTTP only.
   */
  ca?: string;
}

export interface Coffer {
  readonly endpoint: string;
  readonly port: number;
  readonly dataDir: string;
  readonly credentials: Credentials;
  /** The server's process id (tests stop and continue it to line requests up). */
  readonly pid: number;
  readonly output: () => string;
  client(region?: string, credentials?: Credentials): KMSClient;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill9(): Promise<void>;
  /** Test mode only: moves the server's clock forward and runs the scheduler once. */
  advanceClock(seconds: number): Promise<{ deleted: number; rotated: number; offsetSeconds: number }>;
  /** Sends a raw request, signed with SigV4 unless `sign` is false. */
  raw(opts: RawRequest): Promise<{ status: number; headers: Headers; body: string }>;
}

export interface RawRequest {
  target?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  sign?: boolean;
  region?: string;
  service?: string;
  credentials?: Credentials;
  signingDate?: Date;
  method?: string;
  path?: string;
}

/** Settings that turn request quotas and admission control off (overload.test.ts turns them on). */
export const NO_THROTTLING: Readonly<Record<string, string>> = {
  COFFER_QUOTA_CRYPTO_RPS: '0', COFFER_QUOTA_ASYMMETRIC_RPS: '0', COFFER_QUOTA_CREATE_KEY_RPS: '0', COFFER_QUOTA_MANAGEMENT_RPS: '0',
  COFFER_ADMISSION_QUEUE_MS: '0',
};

export const newDataDir = (): string => mkdtempSync(join(tmpdir(), 'coffer-test-'));

export const testCredentials = (): Credentials => ({
  accessKeyId: 'AKIATESTROOT0000001',
  secretAccessKey: 'test-secret-key-0123456789abcdefghijklmnop',
});

/**
 * COFFER_TEST_BACKEND=postgres runs the servers of the end-to-end suites on PostgreSQL: each data
 * folder gets a fresh database of the test server (test/support/postgres.ts), the same one again
 * when a test restarts a server on that folder.
 */
const testBackend = process.env.COFFER_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';
const databases = new Map<string, TestDatabase>();

/** The database URL a server on `dataDir` uses under COFFER_TEST_BACKEND=postgres, or on the backend named (undefined on SQLite). */
export async function databaseFor(dataDir: string, backend: 'sqlite' | 'postgres' = testBackend): Promise<string | undefined> {
  if (backend !== 'postgres') return undefined;
  let db = databases.get(dataDir);
  if (db === undefined) {
    db = await freshDatabase();
    databases.set(dataDir, db);
  }
  return db.url;
}

export async function startCoffer(opts: StartOptions = {}): Promise<Coffer> {
  const dataDir = opts.dataDir ?? newDataDir();
  const databaseUrl = opts.env?.COFFER_DATABASE_URL ?? await databaseFor(dataDir, opts.backend);
  const credentials = opts.credentials ?? testCredentials();
  const node = [process.execPath, ...cofferArgs('main')];
  // `exec` keeps the process id, so signals reach the server itself.
  const [bin = process.execPath, ...args] = opts.openFileLimit === undefined ? node : ['/bin/sh', '-c', `ulimit -n ${opts.openFileLimit} && exec "$0" "$@"`, ...node];
  const proc: ChildProcess = spawn(bin, args, {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      COFFER_HOST: '127.0.0.1',
      COFFER_PORT: '0',
      COFFER_DATA_DIR: dataDir,
      COFFER_ROOT_ACCESS_KEY_ID: credentials.accessKeyId,
      COFFER_ROOT_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      COFFER_LOG_LEVEL: 'warn',
      // AWS's request quotas (CreateKey: 5 a second) and admission control are off unless a test
      // turns them on: the suites make calls as fast as they can, with SDK retries off.
      ...NO_THROTTLING,
      ...(databaseUrl !== undefined ? { COFFER_DATABASE_URL: databaseUrl } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('close', (code) => r(code)));

  let scheme = 'http';
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`Coffer did not start within 30 s:\n${out}`)), 30_000);
    const check = (): void => {
      const m = /listening on (https?):\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); scheme = m[1] ?? 'http'; ok(Number(m[2])); }
    };
    proc.stdout?.on('data', check);
    void exited.then((code) => { clearTimeout(timer); fail(new Error(`Coffer exited with ${code} before listening:\n${out}`)); });
  });
  if (opts.openFileLimitAfterStart !== undefined) {
    const n = opts.openFileLimitAfterStart;
    const r = spawnSync('prlimit', ['--pid', String(proc.pid), `--nofile=${n}:${n}`], { encoding: 'utf8' });
    if (r.status !== 0) {
      proc.kill('SIGKILL');
      throw new Error(`prlimit (util-linux) could not lower the server's open-file limit to ${n}: ${r.error?.message ?? r.stderr}`);
    }
  }
  const endpoint = `${scheme}://127.0.0.1:${port}`;
  const httpsAgent = scheme === 'https' ? new HttpsAgent({ ca: opts.ca, keepAlive: true }) : undefined;

  const clients: KMSClient[] = [];
  const signer = (region: string, service: string, creds: Credentials) =>
    new SignatureV4({ credentials: creds, region, service, sha256: Sha256 });

  const coffer: Coffer = {
    endpoint, port, dataDir, credentials, output: () => out, pid: proc.pid ?? 0,
    client(region = REGION, creds = credentials) {
      const c = new KMSClient({ endpoint, region, credentials: creds, maxAttempts: 1, ...(httpsAgent !== undefined ? { requestHandler: { httpsAgent } } : {}) });
      clients.push(c);
      return c;
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const code = await exited;
      for (const c of clients) c.destroy();
      httpsAgent?.destroy();
      return code;
    },
    async kill9() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
      for (const c of clients) c.destroy();
      httpsAgent?.destroy();
    },
    async advanceClock(seconds) {
      const r = await fetch(`${endpoint}/_coffer/test/clock`, { method: 'POST', body: JSON.stringify({ advanceSeconds: seconds }) });
      if (r.status !== 200) throw new Error(`clock endpoint answered ${r.status}`);
      return (await r.json()) as { deleted: number; rotated: number; offsetSeconds: number };
    },
    async raw(o) {
      const body = o.body ?? '{}';
      const headers: Record<string, string> = {
        host: `127.0.0.1:${port}`,
        'content-type': 'application/x-amz-json-1.1',
        ...(o.target !== undefined ? { 'x-amz-target': `TrentService.${o.target}` } : {}),
        ...o.headers,
      };
      let sendHeaders = headers;
      if (o.sign !== false) {
        const signed = await signer(o.region ?? REGION, o.service ?? 'kms', o.credentials ?? credentials).sign(
          { method: o.method ?? 'POST', protocol: 'http:', hostname: '127.0.0.1', port, path: o.path ?? '/', headers, body },
          o.signingDate ? { signingDate: o.signingDate } : {},
        );
        sendHeaders = signed.headers as Record<string, string>;
      }
      const r = await fetch(`${endpoint}${o.path ?? '/'}`, { method: o.method ?? 'POST', headers: sendHeaders, body: typeof body === 'string' ? body : new Uint8Array(body) });
      return { status: r.status, headers: r.headers, body: await r.text() };
    },
  };
  return coffer;
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const db = databases.get(dir);
  databases.delete(dir);
  // The database goes with its folder (a test server's throwaway database: not waited for).
  db?.close().catch(() => undefined);
}

/** Asserts that a promise rejects with an AWS error of the given name; returns the error. */
export async function rejectsWith(p: Promise<unknown>, name: string, message?: RegExp | string): Promise<Error & { name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error;
    if (err.name !== name) throw new Error(`expected ${name}, got ${err.name}: ${err.message}`);
    if (message !== undefined) {
      const ok = typeof message === 'string' ? err.message === message : message.test(err.message);
      if (!ok) throw new Error(`${name} message was: ${err.message}`);
    }
    return err;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}

/**
 * One server for a whole test file: started before its first test (then `started` sees it),
 * stopped and its data folder removed after its last.
 */
export function serverForFile(opts: StartOptions, started: (coffer: Coffer) => void): void {
  let coffer: Coffer | undefined;
  before(async () => {
    coffer = await startCoffer(opts);
    started(coffer);
  });
  after(async () => {
    if (!coffer) return;
    await coffer.stop();
    removeDataDir(coffer.dataDir);
  });
}

/** An SDK blob as a Buffer (an absent one as empty). */
export const bytes = (b: Uint8Array | undefined): Buffer => Buffer.from(b ?? new Uint8Array());

/** A signed IAM Query call (Version 2010-05-08) to `coffer` as `creds`: asserts a 200 and returns the XML answer. */
export async function iamQuery(coffer: Coffer, creds: Credentials, params: Record<string, string>): Promise<string> {
  const r = await coffer.raw({
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(), service: 'iam', credentials: creds,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  });
  assert.equal(r.status, 200, `${params.Action}: ${r.body}`);
  return r.body;
}

/** The text of an XML answer's first `<tag>` element (`tag` is always a test's own constant), or a failed assertion. */
export const xmlText = (text: string, tag: string): string =>
  new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1] ?? assert.fail(`no <${tag}> in ${text}`);
