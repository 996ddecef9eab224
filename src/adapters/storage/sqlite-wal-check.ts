/**
 * A look at the write-ahead log before SQLite opens it. SQLite recovers silently from a WAL that
 * ends early: it replays the frames up to the last intact commit and drops the rest, so a WAL cut
 * short by a damaged disk, a bad copy or a careless hand loses acknowledged changes without a
 * word. This reads the WAL the way SQLite does (https://www.sqlite.org/fileformat2.html#walformat:
 * a 32-byte header, then frames of a 24-byte header and a page, salted and chained by a running
 * checksum) and says what SQLite will drop:
 * - a file that ends inside a frame (SQLite only ever writes whole frames), or
 * - frames of the current generation after the last commit (an unfinished transaction: normal
 *   only after a crash in the middle of a write), or
 * - a break in the checksum chain followed by more frames of the current generation (damage).
 * Frames of an earlier generation (other salts) after the valid ones are normal: SQLite reuses
 * the file after a checkpoint without truncating it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface WalReport {
  readonly bytes: number;
  /** Frames SQLite will replay (up to and including the last intact commit frame). */
  readonly committedFrames: number;
  /** Why frames or bytes will be dropped; empty when nothing unusual was found. */
  readonly problems: readonly string[];
}

const HEADER = 32;
const FRAME_HEADER = 24;

/** SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from [s0, s1]. */
function checksum(data: Buffer, bigEndian: boolean, s: [number, number]): [number, number] {
  let [s0, s1] = s;
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = readSync(fd, b, 0, length, offset);
  return n === length ? b : b.subarray(0, n);
}

/** Reads `<db>-wal` if it exists; undefined when there is none (or it is empty). */
export function checkWal(dbFile: string): WalReport | undefined {
  const file = `${dbFile}-wal`;
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return undefined;
  }
  if (size === 0) return undefined;
  const fd = openSync(file, 'r');
  try {
    return scan(fd, size);
  } finally {
    closeSync(fd);
  }
}

function scan(fd: number, size: number): WalReport {
  const problems: string[] = [];
  const header = readAt(fd, 0, HEADER);
  const magic = header.length === HEADER ? header.readUInt32BE(0) : 0;
  if (magic !== 0x377f0682 && magic !== 0x377f0683) {
    return { bytes: size, committedFrames: 0, problems: [`the WAL (${size} bytes) has no valid header: SQLite will ignore all of it`] };
  }
  const bigEndian = (magic & 1) === 1;
  const pageSize = header.readUInt32BE(8);
  const salt1 = header.readUInt32BE(16);
  const salt2 = header.readUInt32BE(20);
  let sums = checksum(header.subarray(0, 24), bigEndian, [0, 0]);
  if (sums[0] !== header.readUInt32BE(24) || sums[1] !== header.readUInt32BE(28)) {
    return { bytes: size, committedFrames: 0, problems: [`the WAL header's checksum is wrong: SQLite will ignore all ${size} bytes`] };
  }
  const frameSize = FRAME_HEADER + pageSize;
  if ((size - HEADER) % frameSize !== 0) {
    problems.push(`the WAL ends inside a frame (${(size - HEADER) % frameSize} of ${frameSize} bytes): it was cut short`);
  }
  let frames = 0;
  let committed = 0;
  let broken = false;
  for (let offset = HEADER; offset + frameSize <= size; offset += frameSize) {
    const frame = readAt(fd, offset, frameSize);
    const current = frame.readUInt32BE(8) === salt1 && frame.readUInt32BE(12) === salt2;
    if (!current) continue; // an earlier generation's frame: after the valid ones, ignored as usual
    if (broken) {
      problems.push(`the WAL's checksum chain breaks at frame ${frames + 1} but frames of the same generation follow: it is damaged`);
      break;
    }
    const next = checksum(frame.subarray(FRAME_HEADER), bigEndian, checksum(frame.subarray(0, 8), bigEndian, sums));
    if (next[0] !== frame.readUInt32BE(16) || next[1] !== frame.readUInt32BE(20)) {
      broken = true;
      continue;
    }
    sums = next;
    frames++;
    if (frame.readUInt32BE(4) !== 0) committed = frames;
  }
  if (frames > committed) {
    problems.push(`the WAL ends with ${frames - committed} frame(s) of a transaction that never committed (normal only after a crash during a write)`);
  }
  return { bytes: size, committedFrames: committed, problems };
}
