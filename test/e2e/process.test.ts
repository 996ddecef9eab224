/**
 * How people and process managers run Coffer: `npm start` (npm, then `node dist/main.js`) stops
 * gracefully on SIGTERM or SIGINT sent to the npm process itself, leaving no server behind and the
 * data folder free for the next start; a start on a port another process holds says so and leaves
 * the data folder untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { newDataDir, REPO_ROOT, removeDataDir, testCredentials } from './harness.ts';
import { cofferArgs, ensureBuilt } from '../../scripts/server-command.ts';

const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();

const listen = (port = 0): Promise<Server> => new Promise((ok, fail) => {
  const s = createServer();
  s.once('error', fail);
  s.listen(port, '127.0.0.1', () => ok(s));
});
const portOf = (s: Server): number => {
  const a = s.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
};
async function freePort(): Promise<number> {
  const s = await listen();
  const p = portOf(s);
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`)).status === 200;
  } catch {
    return false;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} to the \`npm start\` process stops the server gracefully; the next start on the same folder works`, { timeout: 120_000 }, async () => {
    ensureBuilt();
    const dataDir = newDataDir();
    const port = await freePort();
    const c = testCredentials();
    const env = {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', COFFER_HOST: '127.0.0.1', COFFER_PORT: String(port), COFFER_DATA_DIR: dataDir,
      COFFER_ROOT_ACCESS_KEY_ID: c.accessKeyId, COFFER_ROOT_SECRET_ACCESS_KEY: c.secretAccessKey,
    };
    try {
      for (let round = 0; round < 2; round++) {
        const proc = spawn(npm, ['start', '--silent'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
        proc.stderr.on('data', (d: Buffer) => { out += d.toString(); });
        const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
        const started = Date.now();
        while (!(await healthy(port))) {
          assert.ok(Date.now() - started < 60_000 && proc.exitCode === null, `npm start did not serve:\n${out}`);
          await sleep(50);
        }
        proc.kill(signal); // to npm itself, as `kill $!` or a process manager does
        await exited;
        assert.match(out, new RegExp(`"signal":"${signal}".*"msg":"shutting down"`), `the server itself received ${signal}:\n${out}`);
        assert.equal(await healthy(port), false, 'nothing answers on the port any more');
      }
    } finally {
      removeDataDir(dataDir);
    }
  });
}

test('a port another process holds: start-up says so, naming COFFER_PORT, and leaves the data folder untouched', async () => {
  const holder = await listen();
  const parent = newDataDir();
  const dataDir = join(parent, 'data');
  try {
    const r = spawnSync(process.execPath, cofferArgs('main'), {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000,
      env: { PATH: process.env.PATH ?? '', COFFER_HOST: '127.0.0.1', COFFER_PORT: String(portOf(holder)), COFFER_DATA_DIR: dataDir },
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /127\.0\.0\.1:\d+ \(COFFER_HOST, COFFER_PORT\) is in use by another process; the data folder was not touched/);
    assert.equal(existsSync(dataDir), false, 'no data folder was made');
  } finally {
    await new Promise<void>((ok) => holder.close(() => ok()));
    removeDataDir(parent);
  }
});
