/**
 * Structured logs: one JSON object per line on stderr, written by pino through a buffered
 * destination (no write system call per line on the request path; `flush` on shutdown). Callers
 * pass only non-secret fields (request id, principal ARN, operation, error code): no request or
 * answer body is ever logged (the audit-and-logs e2e test searches the logs for known secrets).
 */
import { fstatSync, writeSync } from 'node:fs';
import { pino, type Logger as Pino } from 'pino';

export type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Writes what is buffered (synchronously); call before the process exits. */
  flush?(): void;
}

/**
 * Lines are buffered up to 4 KiB before a write (so logging adds no write system call per request)
 * and written at least every LOG_FLUSH_MS, and synchronously by `flush`. To a regular file the
 * write is synchronous (the page cache takes 4 KiB in microseconds, cheaper than a hop to the
 * thread pool); to a pipe or terminal it is asynchronous, so a slow reader never stalls requests.
 */
const LOG_FLUSH_MS = 250;

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/** pino's isoTime, formatted once per millisecond (several requests share one under load). */
let lastMs = Number.NaN;
let lastTimeField = '';
function isoTimeField(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastTimeField = `,"time":"${new Date(ms).toISOString()}"`;
  }
  return lastTimeField;
}

const LEVEL_FIELDS: Readonly<Record<string, { readonly level: string }>> = Object.fromEntries(
  ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => [l, Object.freeze({ level: l })]),
);

export function createLogger(level: Level, destination: number = 2): Logger {
  const dest = pino.destination({ dest: destination, minLength: 4096, sync: isRegularFile(destination) });
  const timer = setInterval(() => { try { dest.flush(); } catch { /* not ready yet */ } }, LOG_FLUSH_MS);
  timer.unref();
  const p: Pino = pino({
    level,
    base: null,
    timestamp: isoTimeField,
    formatters: { level: (label) => LEVEL_FIELDS[label] ?? { level: label } },
  }, dest);
  const at = (l: Exclude<Level, 'silent'>) => (msg: string, fields: Record<string, unknown> = {}): void => { p[l](fields, msg); };
  return {
    debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    flush: () => { try { dest.flushSync(); } catch { /* nothing buffered, or not open yet */ } },
  };
}

/**
 * A start-up announcement (credentials file, audit key, "listening on"): a JSON line like the log's
 * (level info, time, msg), written at once to standard output, where whoever started Coffer
 * looks for it (the log itself is buffered, on standard error).
 */
export function announce(msg: string, fields: Record<string, unknown> = {}): void {
  writeSync(1, `${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg, ...fields })}\n`);
}
