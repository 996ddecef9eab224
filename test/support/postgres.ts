/**
 * Test harness: a fresh, empty PostgreSQL database per test case.
 *
 * Where the server comes from, in order:
 * 1. `COFFER_TEST_DATABASE_URL` (CI sets it): that server; each case gets `CREATE DATABASE t_<random>`,
 *    dropped when the case closes it (the URL's role needs CREATEDB).
 * 2. PostgreSQL binaries on this machine (`initdb` on PATH, else /usr/lib/postgresql/<newest>/bin): a
 *    throwaway cluster, started once per test process in a temporary folder, on a free 127.0.0.1 port,
 *    as an unprivileged user when we run as root (initdb refuses root), with a random password; it is
 *    stopped and its folder removed when the process exits (and killed with the process otherwise:
 *    setpriv's parent-death signal).
 * 3. Neither: with CI=true an error (no test may be skipped in CI); otherwise a skip reason, which
 *    the test files hand to `test(..., { skip })`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const NOT_INSTALLED = 'PostgreSQL not installed: apt-get install postgresql';

/** A fresh, empty database; `close` drops it. */
export interface TestDatabase {
  readonly url: string;
  close(): Promise<void>;
}

type Server = { readonly adminUrl: string } | { readonly skip: string };

let server: Promise<Server> | undefined;
let admin: pg.Pool | undefined;

/** Undefined when PostgreSQL is available to the tests, else why their cases are skipped (never in CI: it throws). */
export async function postgresSkip(): Promise<string | undefined> {
  const s = await getServer();
  return 'skip' in s ? s.skip : undefined;
}

/** A new empty database on the test server. */
export async function freshDatabase(): Promise<TestDatabase> {
  const s = await getServer();
  if ('skip' in s) throw new Error(s.skip);
  admin ??= new pg.Pool({ connectionString: s.adminUrl, max: 2, allowExitOnIdle: true, connectionTimeoutMillis: 10_000 });
  const pool = admin;
  // The name is ours (hex), never input: safe to put in the statement.
  const name = `t_${randomBytes(8).toString('hex')}`;
  await pool.query(`CREATE DATABASE ${name}`);
  const url = new URL(s.adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    close: async () => { await pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); },
  };
}

function getServer(): Promise<Server> {
  server ??= findServer();
  return server;
}

async function findServer(): Promise<Server> {
  const url = process.env.COFFER_TEST_DATABASE_URL;
  if (url !== undefined && url !== '') return { adminUrl: url };
  const bin = findBinaries();
  if (bin !== undefined) return { adminUrl: await startCluster(bin) };
  if (process.env.CI === 'true') throw new Error(`CI=true and no PostgreSQL for the tests: set COFFER_TEST_DATABASE_URL or install it (${NOT_INSTALLED})`);
  return { skip: NOT_INSTALLED };
}

/** The folder holding initdb and postgres: initdb's (real) folder on PATH, else Debian's newest version. */
export function findBinaries(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '' || !existsSync(join(dir, 'initdb'))) continue;
    const real = dirname(realpathSync(join(dir, 'initdb')));
    if (existsSync(join(real, 'postgres'))) return real;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** The uid and gid of `nobody`, which runs the cluster when we are root. */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Runs a command as the cluster's user (setpriv when root), with the parent-death signal for long-lived ones. */
function asUser(user: { uid: number; gid: number } | undefined, cmd: string, args: readonly string[], pdeathsig?: string): [string, string[]] {
  if (user === undefined) return [cmd, [...args]];
  return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', ...(pdeathsig ? [`--pdeathsig=${pdeathsig}`] : []), '--', cmd, ...args]];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function startCluster(bin: string): Promise<string> {
  const c = await clusterIn(bin);
  process.once('exit', () => c.destroySync());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => { c.destroySync(); process.exit(128 + (signal === 'SIGTERM' ? 15 : 2)); });
  return c.adminUrl;
}

/** A PostgreSQL cluster of the test's own, which it may stop and start again (outage tests). */
export interface PrivateCluster {
  readonly adminUrl: string;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): void;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  destroySync(): void;
}

/** A cluster of the caller's own (never the shared COFFER_TEST_DATABASE_URL one): undefined without PostgreSQL binaries. */
export async function privateCluster(options: { readonly durable?: boolean } = {}): Promise<PrivateCluster | undefined> {
  const bin = findBinaries();
  if (bin === undefined) {
    if (process.env.CI === 'true') throw new Error(`CI=true and no PostgreSQL binaries (${NOT_INSTALLED})`);
    return undefined;
  }
  const c = await clusterIn(bin, options.durable === true);
  process.once('exit', () => c.destroySync());
  return c;
}

/** `durable`: PostgreSQL's own defaults (fsync on), as a benchmark against SQLite's synchronous=FULL needs. */
async function clusterIn(bin: string, durable = false): Promise<PrivateCluster> {
  const user = unprivileged();
  const dir = mkdtempSync(join(tmpdir(), 'coffer-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(18).toString('hex');
  writeFileSync(join(dir, 'pw'), password, { mode: 0o600 });
  mkdirSync(data, { mode: 0o700 });
  if (user) for (const p of [dir, data, join(dir, 'pw')]) chownSync(p, user.uid, user.gid);
  let child: ChildProcess | undefined;
  const stop = () => {
    if (child?.exitCode === null) {
      const [cmd, args] = asUser(user, join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w', '-t', '20']);
      spawnSync(cmd, args, { stdio: 'ignore' });
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  };

  // -N: initdb does not fsync its files; the folder is thrown away with the process.
  const [icmd, iargs] = asUser(user, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${join(dir, 'pw')}`, '-E', 'UTF8', '--locale=C', '-N']);
  const init = spawnSync(icmd, iargs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr.slice(-2000)}`);

  const launch = async (port: number): Promise<boolean> => {
    const stderr: string[] = [];
    // fsync=off and full_page_writes=off ONLY here, in the throwaway test cluster, for speed: a crash
    // of this cluster loses nothing anyone keeps. Coffer itself never asks for them.
    const [cmd, args] = asUser(user, join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`, ...(durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']), '-c', 'max_connections=200'], 'KILL');
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr?.on('data', (b: Buffer) => { stderr.push(b.toString()); if (stderr.length > 50) stderr.shift(); });
    c.unref();
    (c.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && c.exitCode === null) {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.end();
        return true;
      } catch {
        await client.end().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (c.exitCode === null) c.kill('SIGKILL');
    lastError = stderr.join('').slice(-2000);
    return false;
  };
  let lastError = '';
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    if (await launch(port)) {
      return {
        adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
        stop,
        start: async () => {
          if (!await launch(port)) throw new Error(`the test PostgreSQL did not start again: ${lastError}`);
        },
        destroySync: () => {
          stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (attempt >= 2) throw new Error(`the test PostgreSQL did not start: ${lastError}`);
  }
}
