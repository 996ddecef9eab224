/**
 * Input and output of `coffer encrypt|decrypt`, as whole frames rather than streams: a Reader
 * hands out exactly the bytes asked for (fewer only at the end of the input), read straight into
 * one buffer per frame (a regular file) or gathered from stdin's chunks; a Writer writes a frame's
 * pieces with one writev. No stream stages, no per-chunk ticks, no copies beyond stdin's.
 *
 * A file given as `--out` is written under a temporary name beside it (same folder, so the rename
 * is atomic) and renamed only when the whole message was processed: a failure (a tampered byte, a
 * truncated message, a wrong context, a refused key, Ctrl-C) leaves no partial output at `--out`.
 * `-` is stdin or stdout, streamed as it comes. No fsync: the rename makes the file appear whole
 * to readers; durability across a power cut is the file system's (as for `cp`).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface Reader {
  /**
   * `n` bytes, fewer only when the input ends (an empty buffer at its end). With `upTo`, whatever
   * is there from 1 to `n` bytes (one read), empty at the end. With `into` (at least `n` bytes),
   * the bytes go there (a frame buffer used again and again: no new memory, no page faults) and
   * the answer is a view of it.
   */
  read(n: number, opts?: { upTo?: boolean; into?: Buffer }): Promise<Buffer>;
  /** Puts bytes back in front of the input (what a read took beyond a message part). */
  unread(bytes: Buffer): void;
}

export interface Writer {
  /** Writes the pieces in order; resolves when the destination took them. */
  write(parts: readonly Buffer[]): Promise<void>;
}

/** Builds a Reader over `pull`, which fills `into` from `offset` with at most `length` bytes and answers how many (0: the end). */
function reader(pull: (into: Buffer, offset: number, length: number) => Promise<number>): Reader {
  let pending: Buffer[] = [];
  let ended = false;
  return {
    async read(n, opts = {}) {
      const out = opts.into !== undefined && opts.into.length >= n ? opts.into.subarray(0, n) : Buffer.allocUnsafe(n);
      let filled = 0;
      while (pending.length > 0 && filled < n) {
        const first = pending[0] as Buffer;
        const take = Math.min(first.length, n - filled);
        first.copy(out, filled, 0, take);
        filled += take;
        if (take === first.length) pending.shift();
        else pending[0] = first.subarray(take);
      }
      while (filled < n && !ended && !(opts.upTo === true && filled > 0)) {
        const got = await pull(out, filled, n - filled);
        if (got === 0) ended = true;
        filled += got;
      }
      return filled === n ? out : out.subarray(0, filled);
    },
    unread(bytes) {
      if (bytes.length > 0) pending = [bytes, ...pending];
    },
  };
}

/** Reads a stream (stdin) chunk by chunk into the Reader's buffers. */
function streamPull(stream: Readable): (into: Buffer, offset: number, length: number) => Promise<number> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let current: Buffer = Buffer.alloc(0);
  return async (into, offset, length) => {
    while (current.length === 0) {
      const next = await chunks.next();
      if (next.done === true) return 0;
      current = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
    const take = Math.min(length, current.length);
    current.copy(into, offset, 0, take);
    current = current.subarray(take);
    return take;
  };
}

/** A Reader over a stream of buffers (stdin; tests). */
export function streamReader(stream: Readable): Reader {
  return reader(streamPull(stream));
}

export interface Input {
  readonly reader: Reader;
  /** The size in bytes when the input is a regular file (for the progress bar). */
  readonly size: number | undefined;
  close(): Promise<void>;
}

export async function openInput(path: string): Promise<Input> {
  if (path === '-') return { reader: streamReader(process.stdin), size: undefined, close: async () => undefined };
  const s = statSync(path); // throws ENOENT with the path in its message
  if (s.isDirectory()) throw new Error(`${path} is a folder`);
  const fh = await open(path, 'r');
  return {
    reader: reader(async (into, offset, length) => (await fh.read(into, offset, length, null)).bytesRead),
    size: s.isFile() ? s.size : undefined,
    close: () => fh.close(),
  };
}

export interface Output {
  readonly writer: Writer;
  /** After success: closes the temporary file and moves it to its name. */
  commit(): Promise<void>;
  /** After a failure: removes the temporary file (never the existing `--out`). */
  discard(): Promise<void>;
}

async function writeAll(fh: FileHandle, parts: readonly Buffer[]): Promise<void> {
  let rest = parts.filter((p) => p.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest);
    // A short write (rare on a regular file): drop what went out, go on with the rest.
    while (rest.length > 0 && bytesWritten >= (rest[0] as Buffer).length) bytesWritten -= (rest.shift() as Buffer).length;
    if (bytesWritten > 0 && rest.length > 0) rest = [(rest[0] as Buffer).subarray(bytesWritten), ...rest.slice(1)];
  }
}

function streamWriter(stream: Writable): Writer {
  return {
    write: (parts) => new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      stream.once('error', onError);
      let ok = true;
      for (const p of parts) if (p.length > 0) ok = stream.write(p);
      const done = () => { stream.off('error', onError); resolve(); };
      if (ok) done();
      else stream.once('drain', done);
    }),
  };
}

/** `mode`: the new file's permissions (0600 for plaintext). */
export async function openOutput(path: string, mode: number): Promise<Output> {
  if (path === '-') {
    return {
      writer: streamWriter(process.stdout),
      commit: async () => { await new Promise<void>((r) => process.stdout.write('', () => r())); },
      discard: async () => undefined,
    };
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.coffer-tmp`);
  const fh = await open(tmp, 'wx', mode);
  let done = false;
  // Interrupted: leave nothing behind, and stop as a signal would.
  const onSignal = (signal: NodeJS.Signals) => {
    if (!done) rmSync(tmp, { force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const release = () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  };
  return {
    writer: { write: (parts) => writeAll(fh, parts) },
    commit: async () => {
      if (done) return;
      done = true;
      try {
        await fh.close();
        renameSync(tmp, path);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      } finally {
        release();
      }
    },
    discard: async () => {
      if (done) return;
      done = true;
      release();
      await fh.close().catch(() => undefined);
      rmSync(tmp, { force: true });
    },
  };
}
