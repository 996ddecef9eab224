/**
 * The backup file: one file, so that nothing of a backup can be lost apart from the rest.
 *
 *   coffer-backup 1\n                      the format and its version
 *   {header JSON}\n                         when and what it was taken from, its entries (name, size, SHA-256)
 *   entry bytes, one after the other         the database copy, then the small files
 *   coffer-backup-sha256 <64 hex>\n         SHA-256 of every byte before this line
 *
 * It is written to a temporary file beside the destination (mode 0600), fsynced, then renamed over
 * it, so a reader never sees half a backup. Reading checks the closing checksum over the whole file
 * before anything in it is believed, then each entry's own checksum as it is extracted; entry
 * names are a fixed set (`allowed`), so no path from the file reaches the file system.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const BACKUP_FORMAT_VERSION = 1;
const MAGIC = `coffer-backup ${BACKUP_FORMAT_VERSION}\n`;
const TRAILER_PREFIX = 'coffer-backup-sha256 ';
const TRAILER_LENGTH = TRAILER_PREFIX.length + 64 + 1;
const MAX_HEADER = 1 << 20;
const CHUNK = 1 << 20;

export interface BackupEntry {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The header: when and where the backup was taken, what it holds, and which seal opens it. */
export interface BackupHeader {
  readonly format: 'coffer-backup';
  readonly version: number;
  readonly createdAt: string;
  readonly source: { readonly host: string; readonly dataDir: string };
  readonly database: { readonly schemaVersion: number; readonly keys: number; readonly auditRecords: number };
  /** The kind of root seal the data folder's domain keys are wrapped under: what a restore must bring. */
  readonly seal: 'key-file' | 'passphrase' | 'pkcs11' | 'unknown';
  readonly entries: readonly BackupEntry[];
}

/** The file is not a backup, is damaged or cut short: nothing from it may be used. */
export class BackupFileError extends Error {}

/** What goes into the file: small files by content, the database copy by path. */
export type EntrySource = { readonly name: string; readonly data: Buffer } | { readonly name: string; readonly path: string };

/** Calls `each` with the file's bytes from `start` for `length` bytes, chunk by chunk. */
function readRange(fd: number, start: number, length: number, each: (chunk: Buffer) => void): void {
  const buf = Buffer.alloc(Math.min(CHUNK, Math.max(1, length)));
  for (let done = 0; done < length;) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, length - done), start + done);
    if (n === 0) throw new BackupFileError('the file ended early');
    each(buf.subarray(0, n));
    done += n;
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done);
}

function fileDigest(path: string): { bytes: number; sha256: string } {
  const fd = openSync(path, 'r');
  try {
    const bytes = fstatSync(fd).size;
    const h = createHash('sha256');
    readRange(fd, 0, bytes, (c) => h.update(c));
    return { bytes, sha256: h.digest('hex') };
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename or a new file in `dir` durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes the backup file `out` atomically (temporary file, fsync, rename), mode 0600. */
export function writeBackupFile(out: string, header: Omit<BackupHeader, 'format' | 'version' | 'entries'>, sources: readonly EntrySource[]): BackupHeader {
  const entries = sources.map((s): BackupEntry => ('data' in s
    ? { name: s.name, bytes: s.data.length, sha256: createHash('sha256').update(s.data).digest('hex') }
    : { name: s.name, ...fileDigest(s.path) }));
  const full: BackupHeader = { format: 'coffer-backup', version: BACKUP_FORMAT_VERSION, ...header, entries };
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fd = openSync(tmp, 'wx', 0o600);
  let open = true;
  try {
    fchmodSync(fd, 0o600);
    const whole = createHash('sha256');
    const put = (b: Buffer): void => { whole.update(b); writeAll(fd, b); };
    put(Buffer.from(MAGIC + JSON.stringify(full) + '\n', 'utf8'));
    for (const s of sources) {
      if ('data' in s) { put(s.data); continue; }
      const src = openSync(s.path, 'r');
      try {
        const expected = entries.find((e) => e.name === s.name)?.bytes ?? 0;
        if (fstatSync(src).size !== expected) throw new Error(`${s.path} changed while the backup was written`);
        readRange(src, 0, expected, put);
      } finally {
        closeSync(src);
      }
    }
    writeAll(fd, Buffer.from(`${TRAILER_PREFIX}${whole.digest('hex')}\n`, 'utf8'));
    fsyncSync(fd);
    open = false;
    closeSync(fd);
    renameSync(tmp, out);
    syncDir(dirname(out));
  } catch (e) {
    if (open) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  return full;
}

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const SEALS = ['key-file', 'passphrase', 'pkcs11', 'unknown'] as const;

function parseHeader(text: string, allowed: (name: string) => boolean): BackupHeader {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BackupFileError('its header is not JSON');
  }
  const bad = (what: string): BackupFileError => new BackupFileError(`its header has no valid ${what}`);
  if (!isRecord(v) || v.format !== 'coffer-backup' || v.version !== BACKUP_FORMAT_VERSION) throw bad('format');
  const { createdAt, source, database, seal, entries } = v;
  if (typeof createdAt !== 'string') throw bad('createdAt');
  if (!isRecord(source) || typeof source.host !== 'string' || typeof source.dataDir !== 'string') throw bad('source');
  if (!isRecord(database) || !isCount(database.schemaVersion) || !isCount(database.keys) || !isCount(database.auditRecords)) throw bad('database');
  const sealKind = SEALS.find((s) => s === seal);
  if (sealKind === undefined) throw bad('seal');
  if (!Array.isArray(entries)) throw bad('entries');
  const list = entries.map((e: unknown): BackupEntry => {
    if (!isRecord(e) || typeof e.name !== 'string' || !allowed(e.name) || !isCount(e.bytes) || typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) throw bad('entry');
    return { name: e.name, bytes: e.bytes, sha256: e.sha256 };
  });
  if (new Set(list.map((e) => e.name)).size !== list.length) throw bad('entries (a name twice)');
  return {
    format: 'coffer-backup', version: BACKUP_FORMAT_VERSION, createdAt,
    source: { host: source.host, dataDir: source.dataDir },
    database: { schemaVersion: database.schemaVersion, keys: database.keys, auditRecords: database.auditRecords },
    seal: sealKind, entries: list,
  };
}

/** An open backup file whose checksum and layout were checked: its header, and its entries to extract. */
export interface BackupReader {
  readonly header: BackupHeader;
  /** Writes entry `name` to `path` (new file, mode 0600, fsynced), checking its own checksum. */
  extract(name: string, path: string): void;
  close(): void;
}

/**
 * Opens and checks a backup file: the closing checksum over every byte, then the header and that
 * the entries fill the file exactly. Throws BackupFileError saying what is wrong.
 */
export function openBackupFile(path: string, allowed: (name: string) => boolean): BackupReader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, MAGIC.length + MAX_HEADER));
    readSync(fd, head, 0, head.length, 0);
    if (!head.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) {
      throw new BackupFileError(head.subarray(0, 14).toString('latin1') === 'coffer-backup '
        ? `it is a Coffer backup of another format version than this Coffer reads (${BACKUP_FORMAT_VERSION})`
        : 'it is not a Coffer backup file');
    }
    if (size < MAGIC.length + TRAILER_LENGTH) throw new BackupFileError('it is cut short (no closing checksum)');
    const trailer = Buffer.alloc(TRAILER_LENGTH);
    readSync(fd, trailer, 0, TRAILER_LENGTH, size - TRAILER_LENGTH);
    const m = new RegExp(`^${TRAILER_PREFIX}([0-9a-f]{64})\\n$`).exec(trailer.toString('latin1'));
    if (m === null) throw new BackupFileError('it is cut short or damaged (no closing checksum at its end)');
    const whole = createHash('sha256');
    readRange(fd, 0, size - TRAILER_LENGTH, (c) => whole.update(c));
    if (whole.digest('hex') !== m[1]) throw new BackupFileError('its checksum does not match its contents (the file was changed or damaged after it was written)');
    const end = head.indexOf(0x0a, MAGIC.length);
    if (end < 0) throw new BackupFileError('its header is too long');
    const header = parseHeader(head.subarray(MAGIC.length, end).toString('utf8'), allowed);
    const offsets = new Map<string, { start: number; entry: BackupEntry }>();
    let at = end + 1;
    for (const entry of header.entries) {
      offsets.set(entry.name, { start: at, entry });
      at += entry.bytes;
    }
    if (at !== size - TRAILER_LENGTH) throw new BackupFileError('its entries do not fill it as its header says');
    return {
      header,
      extract(name, to) {
        const where = offsets.get(name);
        if (where === undefined) throw new BackupFileError(`it has no entry ${name}`);
        const h = createHash('sha256');
        const out = openSync(to, 'wx', 0o600);
        try {
          readRange(fd, where.start, where.entry.bytes, (c) => { h.update(c); writeAll(out, c); });
          fsyncSync(out);
        } finally {
          closeSync(out);
        }
        if (h.digest('hex') !== where.entry.sha256) throw new BackupFileError(`its entry ${name} does not match its checksum`);
      },
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
