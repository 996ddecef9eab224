/**
 * Reads the HSM pool file (COFFER_HSM_POOL; its rules: domain/hsm-pool.ts) once at start-up. The
 * file holds SO PINs, so it must be a regular file that neither group nor others may read (as ssh
 * insists of a private key); a problem stops start-up with a message naming the setting and never
 * an SO PIN.
 */
import { readFileSync, statSync } from 'node:fs';
import { parseHsmPool, type HsmPool } from '../../domain/hsm-pool.ts';

export class HsmPoolFileError extends Error {
  override readonly name = 'HsmPoolFileError';
}

/** The pool of the file at `path` (1 MiB at most). */
export function readHsmPoolFile(path: string): HsmPool {
  const st = statSync(path);
  if (!st.isFile()) throw new HsmPoolFileError(`COFFER_HSM_POOL (${path}) is not a file`);
  if ((st.mode & 0o077) !== 0) {
    throw new HsmPoolFileError(`COFFER_HSM_POOL (${path}) may be read by group or others (mode ${(st.mode & 0o777).toString(8)}), and it holds SO PINs: chmod 600 it`);
  }
  if (st.size > 1 << 20) throw new HsmPoolFileError(`COFFER_HSM_POOL (${path}) is larger than 1 MiB`);
  const parsed = parseHsmPool(readFileSync(path, 'utf8'));
  if ('problem' in parsed) throw new HsmPoolFileError(`COFFER_HSM_POOL (${path}) ${parsed.problem}`);
  return parsed;
}
