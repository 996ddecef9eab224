/**
 * The `openssl` command line, for checking Coffer's signatures, ciphertexts and shared secrets
 * with a second, independent implementation. Tests that need it skip with "install openssl" when
 * it is missing, except under CI=true, where .ci/run installs it and a missing one is a failure.
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const present = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;

/** node:test's `skip` option for tests that drive openssl. */
export const opensslSkip: string | false = !present && process.env.CI !== 'true' ? 'install openssl' : false;

export interface OpensslRun { readonly status: number | null; readonly stdout: Buffer; readonly stderr: string }

/** A scratch folder for the files openssl reads and writes; `remove()` deletes it. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'coffer-openssl-'));
  private n = 0;

  /** Writes `data` to a new file and returns its path. */
  file(data: Uint8Array | string, name = `f${++this.n}.bin`): string {
    const path = join(this.dir, name);
    writeFileSync(path, data);
    return path;
  }

  /** A DER SubjectPublicKeyInfo as a PEM file (what every openssl command takes). */
  publicKeyPem(spki: Uint8Array): string {
    const pem = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' });
    return this.file(pem, `pub${++this.n}.pem`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function openssl(args: readonly string[]): OpensslRun {
  const r = spawnSync('openssl', args, { timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString() ?? '' };
}
