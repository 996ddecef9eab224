/**
 * WAL checkpoints on a helper thread. A checkpoint copies the WAL's pages into the database and
 * syncs both files: on the event loop that is a stall of ~10 ms every few MB written (under load,
 * every half second, from the audit trail alone). Here a worker thread with its own connection
 * runs a PASSIVE checkpoint every `intervalMs` (writers are never blocked by it) at the lowest CPU
 * priority (nice 19, that thread only), so it works in the event loop's idle time. The main
 * connection keeps a large automatic-checkpoint threshold as a safety net should the helper fall
 * behind or fail.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

/** WAL pages after which the main connection checkpoints by itself (~40 MB): only if the helper falls behind. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

// Plain CommonJS evaluated in the worker (no TypeScript loader there); its inputs come in workerData.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
try { require('node:os').setPriority(19); } catch {}
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = FULL');
let failures = 0;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failures = 0;
  } catch (e) {
    if (failures++ === 0) parentPort.postMessage({ error: String(e && e.message) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the helper and closes its connection (before the main connection closes). */
  stop(): Promise<void>;
}

export function startCheckpointer(
  db: Database.Database, intervalMs: number, onError: (message: string) => void,
): Checkpointer {
  db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { driver, file: db.name, intervalMs } });
  worker.on('message', (m: { error?: string }) => { if (m.error !== undefined) onError(m.error); });
  worker.on('error', (e) => onError(e.message));
  worker.unref();
  let stopped: Promise<void> | undefined;
  return {
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        if (worker.threadId < 0) { resolve(); return; }
        worker.once('exit', () => resolve());
        worker.ref(); // waiting for it keeps the process up (it is unref'd while it runs)
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}
