/**
 * The root key and its "seal". Development: a 32-byte random key file (0600).
 * Production: a passphrase stretched with scrypt over a stored random salt.
 * Files are created exclusively ('wx') so two starting processes cannot both
 * generate a key, and refused when group/world accessible or of the wrong
 * size. Error messages name the path, never the content.
 */
import { createHmac, scryptSync, timingSafeEqual } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes, zero } from './bytes.ts';
import { SealError } from './errors.ts';

export const ROOT_KEY_LENGTH = 32;
export const SALT_LENGTH = 16;
export const PASSPHRASE_SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KCV_LABEL = 'coffer/v1/root-key-check';

export interface ScryptParams { N: number; r: number; p: number; keyLength: number; maxmem: number }

/** Raw scrypt (RFC 7914) via OpenSSL with explicit parameters; exported for the RFC vectors. */
export function scryptRaw(password: Buffer | string, salt: Buffer, q: ScryptParams): Buffer {
  return scryptSync(password, salt, q.keyLength, { N: q.N, r: q.r, p: q.p, maxmem: q.maxmem });
}

/** scrypt(N=2^15, r=8, p=1) of the NFC-normalised UTF-8 passphrase, so the same text typed anywhere gives the same key. */
export function deriveRootKeyFromPassphrase(passphrase: string, salt: Buffer): Buffer {
  if (passphrase.length === 0) throw new SealError('root passphrase must not be empty');
  if (salt.length < SALT_LENGTH) throw new SealError(`seal salt must be at least ${SALT_LENGTH} bytes`);
  const pw = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  try {
    return scryptRaw(pw, salt, { ...PASSPHRASE_SCRYPT, keyLength: ROOT_KEY_LENGTH });
  } finally {
    zero(pw);
  }
}

/** HMAC-SHA256(rootKey, label): stored at first start, compared later to detect a wrong passphrase/key file. */
export function keyCheckValue(rootKey: Buffer): Buffer {
  return createHmac('sha256', rootKey).update(KCV_LABEL, 'utf8').digest();
}

/** Constant-time comparison against a stored key check value; throws SealError on mismatch. */
export function assertKeyCheckValue(rootKey: Buffer, stored: Buffer): void {
  const kcv = keyCheckValue(rootKey);
  if (stored.length !== kcv.length || !timingSafeEqual(kcv, stored)) {
    throw new SealError('root key does not match the stored key check value (wrong passphrase or key file?)');
  }
}

export function loadOrCreateKeyFileSeal(path: string): { rootKey: Buffer; created: boolean } {
  const { bytes, created } = loadOrCreateSecretFile(path, ROOT_KEY_LENGTH, 'root key file');
  return { rootKey: bytes, created };
}

export function loadOrCreatePassphraseSeal(saltPath: string, passphrase: string): { rootKey: Buffer; created: boolean } {
  if (passphrase.length === 0) throw new SealError('root passphrase must not be empty');
  const { bytes: salt, created } = loadOrCreateSecretFile(saltPath, SALT_LENGTH, 'seal salt file');
  return { rootKey: deriveRootKeyFromPassphrase(passphrase, salt), created };
}

const errCode = (e: unknown): string =>
  typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : 'unknown error';

function loadOrCreateSecretFile(path: string, length: number, what: string): { bytes: Buffer; created: boolean } {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if (errCode(e) !== 'EEXIST') throw new SealError(`cannot create ${what} ${path}: ${errCode(e)}`);
    return { bytes: readSecretFile(path, length, what), created: false };
  }
  const bytes = randomBytes(length);
  try {
    fchmodSync(fd, 0o600);
    let done = 0;
    while (done < length) done += writeSync(fd, bytes, done, length - done);
    fsyncSync(fd);
  } catch (e) {
    zero(bytes);
    closeSync(fd);
    try { unlinkSync(path); } catch { /* best effort: a partial file is refused on next start anyway */ }
    throw new SealError(`cannot write ${what} ${path}: ${errCode(e)}`);
  }
  closeSync(fd);
  return { bytes, created: true };
}

function readSecretFile(path: string, length: number, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SealError(`cannot open ${what} ${path}: ${errCode(e)}`);
  }
  try {
    const st = fstatSync(fd); // on the open descriptor: no check-then-open race
    if (!st.isFile()) throw new SealError(`${what} ${path} is not a regular file`);
    // POSIX permission bits; Windows does not report them meaningfully.
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new SealError(`${what} ${path} is accessible by group or others (mode ${mode}); run: chmod 600 ${path}`);
    }
    if (st.size !== length) throw new SealError(`${what} ${path} has the wrong size (expected ${length} bytes)`);
    const bytes = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, bytes, done, length - done, done);
      if (n === 0) break;
      done += n;
    }
    if (done !== length) {
      zero(bytes);
      throw new SealError(`${what} ${path} has the wrong size (expected ${length} bytes)`);
    }
    return bytes;
  } catch (e) {
    if (e instanceof SealError) throw e;
    throw new SealError(`cannot read ${what} ${path}: ${errCode(e)}`);
  } finally {
    closeSync(fd);
  }
}
