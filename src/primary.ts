/**
 * COFFER_WORKERS=N: the primary process of an installation. It holds the data folder's owner lock
 * (one installation per data folder), starts worker 1 (which creates what a first start creates:
 * the seal, the root credentials, the audit key) and, once it serves, the other workers, all
 * serving one port (node:cluster shares the listening socket). It restarts a worker that dies,
 * and on SIGTERM or SIGINT stops every worker gracefully (each finishes its requests and writes
 * its audit trail) before it exits itself.
 */
import cluster, { type Worker } from 'node:cluster';
import { join } from 'node:path';
import type { Config } from './config/config.ts';
import { takeOwnerLock } from './adapters/storage/sqlite.ts';
import { openDataDir } from './data-dir.ts';
import { readTlsCertificate } from './server/tls.ts';
import { announce } from './core/log.ts';

/** What a worker tells its primary once it serves. */
export interface ReadyMessage {
  readonly kind: 'coffer-ready';
  readonly lines: readonly string[];
  readonly port: number;
}

const isReady = (m: unknown): m is ReadyMessage =>
  typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'coffer-ready';

/** How long a restarted worker waits after its predecessor died (a crash loop stays slow). */
const RESTART_DELAY_MS = 1_000;

export async function runPrimary(config: Config, count: number): Promise<void> {
  // Each worker reads the certificate itself; checked here first so that a bad one stops the start at once.
  const tls = config.tlsCert !== undefined && config.tlsKey !== undefined ? readTlsCertificate({ certFile: config.tlsCert, keyFile: config.tlsKey }) : undefined;
  const dataDir = openDataDir(config.dataDir);
  const lock = takeOwnerLock(join(dataDir, 'coffer.db'));
  const workers = new Map<number, Worker>();
  let stopping = false;

  const start = (index: number): Promise<ReadyMessage> => new Promise((ok, fail) => {
    const w = cluster.fork({ COFFER_WORKER_INDEX: String(index), COFFER_WORKERS: String(count) });
    workers.set(index, w);
    let ready = false;
    w.on('message', (m: unknown) => {
      if (isReady(m) && !ready) { ready = true; ok(m); }
    });
    w.once('exit', (code, signal) => {
      if (workers.get(index) === w) workers.delete(index);
      if (!ready) { fail(new Error(`worker ${index} exited (${signal ?? code}) before it served`)); return; }
      if (stopping) return;
      console.error(`Coffer worker ${index} exited (${signal ?? code}); starting it again`);
      setTimeout(() => { if (!stopping) start(index).catch((e: unknown) => console.error(`Coffer worker ${index} did not start again: ${e instanceof Error ? e.message : String(e)}`)); }, RESTART_DELAY_MS);
    });
  });

  const stopAll = async (signal: NodeJS.Signals): Promise<number> => {
    stopping = true;
    const exits = [...workers.values()].map((w) => new Promise<number>((r) => {
      if (w.isDead()) { r(0); return; }
      w.once('exit', (code) => r(code ?? 1));
      w.process.kill(signal);
    }));
    const codes = await Promise.all(exits);
    lock.close();
    return codes.some((c) => c !== 0) ? 1 : 0;
  };
  let exiting = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (exiting) return;
    exiting = true;
    void stopAll(signal).then((code) => process.exit(code));
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGTERM'));
  // A renewed certificate: every worker reads the files again (each logs what it did).
  if (tls !== undefined) process.on('SIGHUP', () => { for (const w of workers.values()) if (!w.isDead()) w.process.kill('SIGHUP'); });

  try {
    const first = await start(1);
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 2)));
    for (const l of first.lines) announce(l);
    const ports = new Set([first.port, ...rest.map((r) => r.port)]);
    if (ports.size !== 1) throw new Error(`the workers listen on different ports (${[...ports].join(', ')})`);
    announce(`Coffer listening on ${tls !== undefined ? 'https' : 'http'}://${config.host}:${first.port} (region ${config.region}, data ${dataDir}${config.databaseUrl !== undefined ? ', PostgreSQL' : ''}, ${count} workers)`);
  } catch (e) {
    await stopAll('SIGTERM');
    throw e;
  }
}
