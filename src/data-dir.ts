/** The data folder, made private to Coffer's user before anything is written into it. */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export function openDataDir(dir: string): string {
  // Everything Coffer creates (database, WAL, seal, credentials, exports) is private to its user.
  process.umask(0o077);
  const path = resolve(dir);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
  return path;
}
