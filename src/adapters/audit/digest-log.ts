/**
 * The audit digest logs: every signed digest, once its database transaction committed, is
 * appended as one JSON line (and fsynced) to `<data>/audit-digests.jsonl` and to the operator's
 * COFFER_AUDIT_DIGEST_LOG. Like CloudTrail's digest files they live outside the database, so a
 * trail whose tail was cut, or a database replaced whole, no longer matches them.
 *
 * A log is only ever appended to. At start each log is brought up to the database (the digests
 * newer than its last line: a crash can fall between the commit and the append), and a log whose
 * last digest the database does not hold stops the start (DigestLogMismatch): that is the cut tail
 * or the replaced database the log exists to reveal. A log that cannot be written (its disk gone)
 * does not stop anything: the error is reported and the next digest brings it up to date.
 */
import { closeSync, constants, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditDigest } from '../../ports/audit.ts';

export const DIGEST_LOG_FILE = 'audit-digests.jsonl';

/** The log's last digest is not in the database, or not as the database has it. */
export class DigestLogMismatch extends Error {
  constructor(what: string) {
    super(`${what}: the database's tail was cut, or the database was replaced or restored from an older copy. ` +
      'See what is missing with `npm run coffer -- audit verify --offline`; to go on with this database all the same, move the log aside (keep it) and start again');
  }
}

export interface LoggedDigest { readonly line: number; readonly digest: AuditDigest }

export interface DigestLogContents {
  readonly entries: readonly LoggedDigest[];
  /** Line numbers of lines that are not a digest. */
  readonly badLines: readonly number[];
  /** The file ends in a partial line: an append cut short by a crash (the next start drops it). */
  readonly torn: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** One line as written: the digest's fields in a fixed order. */
export const digestLine = (d: AuditDigest): string => `${JSON.stringify({
  seqFrom: d.seqFrom, seqTo: d.seqTo, lastHash: d.lastHash, firstTime: d.firstTime, lastTime: d.lastTime,
  createdAt: d.createdAt, prevDigestHash: d.prevDigestHash, keyId: d.keyId, signature: d.signature,
})}\n`;

export function parseDigestLine(text: string): AuditDigest | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Readonly<Record<string, unknown>>;
  const { seqFrom, seqTo, lastHash, firstTime, lastTime, createdAt, prevDigestHash, keyId, signature } = o;
  if (!int(seqFrom) || !int(seqTo) || !int(firstTime) || !int(lastTime) || !int(createdAt)) return undefined;
  if (typeof lastHash !== 'string' || !HEX64.test(lastHash) || typeof prevDigestHash !== 'string' || !HEX64.test(prevDigestHash)) return undefined;
  if (typeof keyId !== 'string' || typeof signature !== 'string' || !BASE64.test(signature)) return undefined;
  return { seqFrom, seqTo, lastHash, firstTime, lastTime, createdAt, prevDigestHash, keyId, signature };
}

/** The whole log, line by line (for `audit verify`). Throws when the file cannot be read. */
export function readDigestLog(path: string): DigestLogContents {
  const lines = readFileSync(path, 'utf8').split('\n');
  const tail = lines.pop() ?? '';
  const entries: LoggedDigest[] = [];
  const badLines: number[] = [];
  lines.forEach((text, i) => {
    const digest = parseDigestLine(text);
    if (digest === undefined) badLines.push(i + 1);
    else entries.push({ line: i + 1, digest });
  });
  return { entries, badLines, torn: tail !== '' };
}

export const sameDigest = (a: AuditDigest, b: AuditDigest): boolean => digestLine(a) === digestLine(b);

const TAIL_BYTES = 64 * 1024;

/** The last whole line of an open log, and where whole lines end (a crash may leave a partial one after). */
function lastLine(fd: number): { text: string | undefined; wholeLength: number; size: number } {
  const size = fstatSync(fd).size;
  const start = Math.max(0, size - TAIL_BYTES);
  const buf = Buffer.alloc(size - start);
  readSync(fd, buf, 0, buf.length, start);
  const end = buf.lastIndexOf(0x0a);
  if (end < 0) return { text: start === 0 ? undefined : '', wholeLength: start === 0 ? 0 : size, size };
  const from = buf.lastIndexOf(0x0a, end - 1) + 1;
  if (from === 0 && start > 0) return { text: '', wholeLength: start + end + 1, size }; // a line longer than the window: not a digest
  return { text: buf.subarray(from, end).toString('utf8'), wholeLength: start + end + 1, size };
}

/**
 * Appends to `path` the digests the database has after the log's last one, after checking that
 * the database has that one as logged. Creates the log (0600) when absent. Returns how many were
 * appended and whether the log was new.
 */
export function bringUpToDate(path: string, digestsFrom: (seqTo: number) => AuditDigest[]): { appended: number; created: boolean; last: number } {
  const created = !existsSync(path);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND, 0o600);
  try {
    const tail = lastLine(fd);
    let todo: AuditDigest[];
    let lastSeqTo = 0;
    if (tail.text === undefined) {
      todo = digestsFrom(0);
    } else {
      const logged = parseDigestLine(tail.text);
      if (logged === undefined) throw new DigestLogMismatch(`the last line of the digest log ${path} is not a digest`);
      const [held, ...after] = digestsFrom(logged.seqTo);
      if (held === undefined || held.seqTo !== logged.seqTo) {
        throw new DigestLogMismatch(`the database has no digest of records ${logged.seqFrom}..${logged.seqTo}, which the digest log ${path} ends with`);
      }
      if (!sameDigest(held, logged)) {
        throw new DigestLogMismatch(`the database's digest of records ${logged.seqFrom}..${logged.seqTo} is not the one the digest log ${path} ends with`);
      }
      todo = after;
      lastSeqTo = logged.seqTo;
    }
    // A partial last line is an append a crash cut short: never a whole digest, so dropping it rewrites nothing.
    if (tail.wholeLength < tail.size) ftruncateSync(fd, tail.wholeLength);
    if (todo.length > 0) {
      writeSync(fd, todo.map(digestLine).join(''));
      fsyncSync(fd);
    }
    return { appended: todo.length, created, last: todo.at(-1)?.seqTo ?? lastSeqTo };
  } finally {
    closeSync(fd);
    if (created) syncDir(dirname(path));
  }
}

/** Makes a new file's directory entry durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Appends one digest to a log known to end with its predecessor. */
function appendOne(path: string, d: AuditDigest): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND);
  try {
    writeSync(fd, digestLine(d));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface DigestLogs {
  /** At start: brings every log up to the database. Throws DigestLogMismatch; reports other failures. */
  catchUp(): { path: string; appended: number; created: boolean }[];
  /** After a digest committed: appends it to every log (bringing a log that fell behind up to date). Never throws. */
  append(d: AuditDigest): void;
}

export interface DigestLogOptions {
  readonly paths: readonly string[];
  /** The database's digests whose last record is `seqTo` or later, oldest first. */
  readonly digestsFrom: (seqTo: number) => AuditDigest[];
  /** A log could not be written: reported (its path and the error), retried at the next digest. */
  readonly onError: (path: string, e: unknown) => void;
}

export function openDigestLogs(o: DigestLogOptions): DigestLogs {
  const paths = [...new Set(o.paths)];
  /** Per log, the last record its last digest covers; absent when unknown (never written, or a write failed). */
  const last = new Map<string, number>();
  const upToDate = (path: string): { appended: number; created: boolean } => {
    last.delete(path);
    const r = bringUpToDate(path, o.digestsFrom);
    last.set(path, r.last);
    return r;
  };
  return {
    catchUp() {
      const done: { path: string; appended: number; created: boolean }[] = [];
      for (const path of paths) {
        try {
          const { appended, created } = upToDate(path);
          done.push({ path, appended, created });
        } catch (e) {
          if (e instanceof DigestLogMismatch) throw e;
          o.onError(path, e);
        }
      }
      return done;
    },
    append(d) {
      for (const path of paths) {
        try {
          if (last.get(path) === d.seqFrom - 1) {
            last.delete(path);
            appendOne(path, d);
            last.set(path, d.seqTo);
          } else {
            upToDate(path);
          }
        } catch (e) {
          o.onError(path, e);
        }
      }
    },
  };
}

/** The data folder's digest log of a chain: `audit-digests.jsonl` for the first writer's (''), `audit-digests.<chain>.jsonl` for another's. */
export function digestLogFileOf(chain: string): string {
  return chain === '' ? DIGEST_LOG_FILE : DIGEST_LOG_FILE.replace(/\.jsonl$/, `.${chain}.jsonl`);
}

/** A configured digest log's path for a chain: the path itself for the first writer's, `<path>.<chain>` for another's. */
export function chainLogPath(path: string, chain: string): string {
  return chain === '' ? path : `${path}.${chain}`;
}
