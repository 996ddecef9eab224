/**
 * The account root's credentials: from the environment, or generated once into the data folder
 * (mode 0600). Only the file's path is ever printed, never the secret.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RootCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The file they were read from or written to; undefined when they came from the environment. */
  readonly file: string | undefined;
  readonly created: boolean;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function newAccessKeyId(prefix = 'AKIA'): string {
  return prefix + Array.from(randomBytes(16), (b) => BASE32[b % 32]).join('');
}

export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

export function loadRootCredentials(dataDir: string, fromEnv: { accessKeyId: string | undefined; secretAccessKey: string | undefined }): RootCredentials {
  if (fromEnv.accessKeyId !== undefined && fromEnv.secretAccessKey !== undefined) {
    return { accessKeyId: fromEnv.accessKeyId, secretAccessKey: fromEnv.secretAccessKey, file: undefined, created: false };
  }
  const file = join(dataDir, 'root-credentials.json');
  if (existsSync(file)) {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed && typeof parsed === 'object' && 'accessKeyId' in parsed && 'secretAccessKey' in parsed
      && typeof parsed.accessKeyId === 'string' && typeof parsed.secretAccessKey === 'string') {
      return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey, file, created: false };
    }
    throw new Error(`${file} is not a Coffer credentials file`);
  }
  const creds = { accessKeyId: newAccessKeyId(), secretAccessKey: newSecretAccessKey() };
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { ...creds, file, created: true };
}
