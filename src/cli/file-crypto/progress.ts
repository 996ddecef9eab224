/**
 * A progress bar on stderr for `coffer encrypt|decrypt` (cli-progress), only when stderr is a
 * terminal: a script that captures stderr, or CI, sees nothing. It counts the input's bytes as
 * they pass (a pass-through Transform, so backpressure is untouched); with an input of unknown size
 * (stdin) it shows bytes and speed without a bar.
 */
import { Transform } from 'node:stream';

const MiB = 1024 * 1024;
const size = (n: number): string => (n >= 10 * MiB ? `${(n / MiB).toFixed(0)} MiB` : `${(n / 1024).toFixed(0)} KiB`);

export interface Meter {
  /** The pass-through stream to put after the input. */
  readonly stream: Transform;
  /** Stops the bar (call once, on success or failure). */
  stop(): void;
}

/** A meter for `label` over `total` bytes (undefined: unknown), or undefined when stderr is not a terminal. */
export async function progressMeter(label: string, total: number | undefined, tty: NodeJS.WriteStream = process.stderr): Promise<Meter | undefined> {
  if (!tty.isTTY) return undefined;
  const { SingleBar } = await import('cli-progress'); // loaded only for a terminal
  const started = performance.now();
  const known = total !== undefined && total > 0;
  const bar = new SingleBar({
    stream: tty,
    format: known ? `${label} [{bar}] {percentage}% | {done} of {all} | {speed}` : `${label} {done} | {speed}`,
    hideCursor: false, // a Ctrl-C (process.exit) would leave it hidden
    clearOnComplete: true,
    fps: 8,
  });
  let done = 0;
  const payload = () => {
    const seconds = (performance.now() - started) / 1000;
    return { done: size(done), all: size(total ?? 0), speed: seconds > 0 ? `${(done / MiB / seconds).toFixed(0)} MiB/s` : '' };
  };
  bar.start(known ? total : 1, 0, payload());
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      if (known) bar.update(done, payload());
      else bar.update(0, payload());
      callback(null, chunk);
    },
  });
  let stopped = false;
  return {
    stream,
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
