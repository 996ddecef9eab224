/**
 * The connection cap must fit in the process's open-file limit, or a connection flood makes the
 * database, the logs and the listener fail with EMFILE. Node has no getrlimit without a native
 * addon, so the limit is read from /proc/self/limits (Linux); elsewhere it is not checked. Node
 * raises its soft limit to the hard one at start, so read in the process this is the hard limit.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './config.ts';

/** Descriptors kept for everything but client connections: stdio, the listener, SQLite (database, WAL, shared memory, on two threads), the owner lock, the log, libuv's own. */
export const RESERVED_FILES = 64;

/** The soft RLIMIT_NOFILE (the one that applies) from the text of /proc/self/limits; undefined when unlimited or not found. */
export function parseOpenFileLimit(limitsText: string): number | undefined {
  const line = limitsText.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined;
}

export function readOpenFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Stops start-up when COFFER_MAX_CONNECTIONS leaves fewer than RESERVED_FILES descriptors of `limit`. */
export function checkOpenFileLimit(maxConnections: number, limit: number | undefined): void {
  if (limit === undefined || maxConnections <= limit - RESERVED_FILES) return;
  throw new ConfigError(
    `COFFER_MAX_CONNECTIONS (${maxConnections}) must leave ${RESERVED_FILES} of the open-file limit (ulimit -n: ${limit}) to the server: `
    + `set it to at most ${Math.max(0, limit - RESERVED_FILES)}, or raise the limit`,
  );
}
