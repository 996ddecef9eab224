/**
 * What the admin commands share: the configuration, the data folder, and the storage opened on it
 * (the data folder's SQLite database, whose owner lock the command takes so the server must be
 * stopped, or COFFER_DATABASE_URL's PostgreSQL database, where nodes may be serving).
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type Config } from '../../config/config.ts';
import type { Backend } from '../../adapters/backend/backend.ts';
import { sealSettingsFromConfig } from '../../adapters/keystore/open.ts';
import { loadPkcs11Module } from '../../adapters/pkcs11/load.ts';
import { openCliBackend, openIdentities, type Identities } from '../backend.ts';

export const sealOf = (config: Config) => sealSettingsFromConfig(config, loadPkcs11Module);

/** The configuration (from the environment) and its data folder, resolved. */
export function dataFolder(env: Readonly<Record<string, string | undefined>> = process.env): { config: Config; dataDir: string } {
  const config = loadConfig(env);
  return { config, dataDir: resolve(config.dataDir) };
}

export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
}

/** Opens the configured backend for `body` and closes it after. */
export async function withBackend<T>(config: Config, dataDir: string, body: (backend: Backend) => Promise<T>): Promise<T> {
  privateDir(dataDir);
  const backend = await openCliBackend(config, dataDir, (message) => console.error(`coffer: warning: ${message}`));
  try {
    return await body(backend);
  } finally {
    await backend.close();
  }
}

/** Opens the identity store on the configured backend for `body` and closes both after. */
export async function withIdentities<T>(config: Config, dataDir: string, body: (ids: Identities) => Promise<T>): Promise<T> {
  return withBackend(config, dataDir, async (backend) => {
    const ids = await openIdentities(backend, dataDir, sealOf(config));
    try {
      return await body(ids);
    } finally {
      ids.close();
    }
  });
}

/** Help text for the commands that take the data folder's owner lock. */
export const SERVER_STOPPED = `Needs the Coffer server stopped when the storage is the data folder's SQLite database
(COFFER_DATA_DIR, default ./data: the server holds its owner lock); with COFFER_DATABASE_URL set it
works on that PostgreSQL database while nodes serve.`;

/**
 * Help text for the maintenance and disaster-recovery commands (migrate-storage, seal migrate,
 * backup restore): they work on the storage itself, never through the server's API, by design.
 */
export const MAINTENANCE = `Maintenance or disaster recovery: works on the data folder itself, with the Coffer server stopped
(it holds the data folder's owner lock); there is no way through the server's API, by design.`;
