/**
 * The storage the admin command works on, opened as the server opens it (serve.ts): PostgreSQL
 * when COFFER_DATABASE_URL is set, else the data folder's SQLite database with its owner lock, so
 * that the command refuses a data folder a running server holds. On PostgreSQL the command may run
 * while nodes serve: its commits carry a change notice (CLI_NOTICE) so that they drop what they
 * cached, and it writes no audit chain of its own.
 */
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import type { Backend } from '../adapters/backend/backend.ts';
import { openSqliteBackend } from '../adapters/backend/sqlite-backend.ts';
import { openPostgresBackend } from '../adapters/backend/postgres-backend.ts';
import { openSealedKeyStore, type SealSettings } from '../adapters/keystore/open.ts';
import type { IdentityRepository } from '../ports/identity-repository.ts';
import type { Storage, Work } from '../ports/storage.ts';
import type { AuditRow } from '../ports/audit.ts';
import type { StoredAuditSource } from './audit.ts';

/** Records read per query while a PostgreSQL chain is collected. */
const PAGE = 1000;

/**
 * The chain name the command passes where the backend wants one but nothing is appended: the
 * command's commits carry no records, and `chains()` reads every chain whatever store is asked.
 * SQLite's first chain is '', a PostgreSQL chain has a name.
 */
export const commandChain = (backend: Backend): string => (backend.kind === 'sqlite' ? '' : 'cli');

/**
 * The notice of a change the command commits, where servers may be running (PostgreSQL): the
 * identity topic of services/coherence.ts, so every node drops its cached credentials and accounts.
 */
export const CLI_NOTICE: NonNullable<Work['notice']> = { origin: 'cli', topics: ['identity'] };

/** Runs `open` on the data folder's SQLite database; the owner lock a running server holds is refused with what to do. */
export function sqliteOpen<T>(dataDir: string, open: (file: string) => T): T {
  try {
    return open(join(dataDir, 'coffer.db'));
  } catch (e) {
    if (e instanceof Error && /in use by another Coffer process/.test(e.message)) {
      throw new Error(`the data folder ${dataDir} is in use: a running Coffer server holds its owner lock. Stop the server, run this command, then start the server again.`);
    }
    throw e;
  }
}

/** Opens the configured backend (PostgreSQL through a small pool of its own). */
export async function openCliBackend(config: Config, dataDir: string, warn: (message: string) => void): Promise<Backend> {
  if (config.databaseUrl !== undefined) return openPostgresBackend(config.databaseUrl, { poolSize: 2, onWarning: warn });
  return sqliteOpen(dataDir, (file) => openSqliteBackend(file, { integrityCheck: config.storageIntegrityCheck, ownerLock: true, checks: true, onWarning: warn, onCheckpointError: (cause) => warn(`background WAL checkpoint failed: ${cause instanceof Error ? cause.message : String(cause)}`) }));
}

export interface Identities {
  readonly repo: IdentityRepository;
  readonly storage: Storage;
  /** The notice the command's commits carry (PostgreSQL), or none (SQLite: no server runs). */
  readonly notice: Work['notice'];
  close(): void;
}

/** The identity store; its secrets are sealed under the data folder's key hierarchy, opened with the server's seal. */
export async function openIdentities(backend: Backend, dataDir: string, seal: SealSettings): Promise<Identities> {
  const store = await openSealedKeyStore(dataDir, seal, (open) => backend.withDomainKeys(open), () => Date.now());
  return {
    repo: backend.identities(store.secrets),
    storage: backend.storage(store.secrets, commandChain(backend)),
    notice: backend.kind === 'postgres' ? CLI_NOTICE : undefined,
    close: () => store.close(),
  };
}

/**
 * Every chain of the backend as verification and export read it. SQLite's rows are read lazily
 * page by page; a PostgreSQL chain is collected into an array through `AuditStore.scan` in pages of
 * PAGE records (verification walks a synchronous iterable): the whole chain is held in memory while
 * it is read.
 */
export function backendAuditSource(backend: Backend): StoredAuditSource {
  return {
    // An empty database still has its first chain to report on (SQLite's '', as before chains).
    chains: async () => {
      const chains = await backend.audit(commandChain(backend)).chains();
      return chains.length > 0 ? chains : [commandChain(backend)];
    },
    store: (chain) => backend.audit(chain),
    rows: async (chain) => {
      if (backend.auditRows !== undefined) return backend.auditRows(chain);
      const store = backend.audit(chain);
      const all: AuditRow[] = [];
      for (let from = 0; ;) {
        const page = await store.scan(from, PAGE);
        all.push(...page);
        const last = page.at(-1);
        if (last === undefined || page.length < PAGE) return all;
        from = last.seq + 1;
      }
    },
  };
}
