/** Reads COFFER_SEED_FILE, bounded in size, and parses it (parse.ts). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { SEED_LIMITS, SeedError, type Seed } from './model.ts';
import { parseSeed, type SeedContext } from './parse.ts';

export function readSeedFile(path: string, ctx: SeedContext): Seed {
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size > SEED_LIMITS.fileBytes) throw new SeedError(`COFFER_SEED_FILE ${path}: ${size} bytes, more than the ${SEED_LIMITS.fileBytes} a seed file may have`);
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buf, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    text = buf.subarray(0, read).toString('utf8');
    buf.fill(0);
  } catch (e) {
    if (e instanceof SeedError) throw e;
    throw new SeedError(`COFFER_SEED_FILE ${path} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return parseSeed(path, text, ctx);
}
