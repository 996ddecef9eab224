/**
 * Input and output of `coffer encrypt|decrypt`. A file given as `--out` is written under a
 * temporary name beside it (same folder, so the rename is atomic) and renamed only when the whole
 * message was processed: a failure (a tampered byte, a wrong context, a refused key, Ctrl-C) leaves
 * no partial output at `--out`. `-` is stdin or stdout, streamed as it comes.
 */
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Read in 1 MiB pieces: the ESDK's framing costs a tick per piece it receives, so bigger pieces go faster. */
const READ_CHUNK = 1024 * 1024;

export interface Input {
  readonly stream: Readable;
  /** The size in bytes when the input is a regular file (for the progress bar). */
  readonly size: number | undefined;
}

export function openInput(path: string): Input {
  if (path === '-') return { stream: process.stdin, size: undefined };
  const s = statSync(path); // throws ENOENT with the path in its message
  if (s.isDirectory()) throw new Error(`${path} is a folder`);
  return { stream: createReadStream(path, { highWaterMark: READ_CHUNK }), size: s.isFile() ? s.size : undefined };
}

export interface Output {
  readonly stream: Writable;
  /** After success: moves the temporary file to its name. */
  commit(): void;
  /** After a failure: removes the temporary file (never the existing `--out`). */
  discard(): void;
}

/** `mode`: the new file's permissions (0600 for plaintext). */
export function openOutput(path: string, mode: number): Output {
  if (path === '-') return { stream: process.stdout, commit: () => undefined, discard: () => undefined };
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.coffer-tmp`);
  const stream = createWriteStream(tmp, { flags: 'wx', mode, highWaterMark: READ_CHUNK });
  let done = false;
  const discard = () => {
    if (done) return;
    done = true;
    stream.destroy();
    rmSync(tmp, { force: true });
  };
  // Interrupted: leave nothing behind, and stop as a signal would.
  const onSignal = (signal: NodeJS.Signals) => {
    discard();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const release = () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  };
  return {
    stream,
    commit: () => {
      release();
      if (done) return;
      done = true;
      renameSync(tmp, path);
    },
    discard: () => {
      release();
      discard();
    },
  };
}
