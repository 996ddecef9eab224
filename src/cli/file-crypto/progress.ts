/**
 * A progress bar on stderr for `coffer encrypt|decrypt` (cli-progress), only when stderr is a
 * terminal: a script that captures stderr, or CI, sees nothing. The command tells it the input
 * bytes done after each frame (no stream stage of its own); with an input of unknown size (stdin)
 * it shows bytes and speed without a bar.
 */

const MiB = 1024 * 1024;
const size = (n: number): string => (n >= 10 * MiB ? `${(n / MiB).toFixed(0)} MiB` : `${(n / 1024).toFixed(0)} KiB`);

export interface Meter {
  /** The input bytes done so far (called once per frame). */
  update(done: number): void;
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
  let shown = 0;
  const payload = () => {
    const seconds = (performance.now() - started) / 1000;
    return { done: size(done), all: size(total ?? 0), speed: seconds > 0 ? `${(done / MiB / seconds).toFixed(0)} MiB/s` : '' };
  };
  bar.start(known ? total : 1, 0, payload());
  let stopped = false;
  return {
    update: (n) => {
      done = n;
      const now = performance.now();
      if (now - shown < 100) return; // the bar redraws at 8 fps at most; no need to build its payload per frame
      shown = now;
      bar.update(known ? done : 0, payload());
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
