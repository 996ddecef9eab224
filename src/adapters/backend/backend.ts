/**
 * A storage backend as the composition root sees it: every adapter of the storage ports over one
 * database (SQLite in the data folder, or PostgreSQL), opened once per serving process. Each
 * writer sharing the database (a worker, a node) has its own audit chain, so the audit store and
 * the storage are made for a chain; the other ports are the database's.
 */
import type { KeyRepository, KeyCount } from '../../ports/key-repository.ts';
import type { IdentityRepository } from '../../ports/identity-repository.ts';
import type { ClusterRepository } from '../../ports/cluster-repository.ts';
import type { CustomKeyStoreRepository } from '../../ports/custom-key-store-repository.ts';
import type { AuditRow, AuditStore } from '../../ports/audit.ts';
import type { ChangeFeed, Leases, Storage } from '../../ports/storage.ts';
import type { SecretBox } from '../../ports/secret-box.ts';
import type { DomainKeyTable } from '../keystore/software.ts';

export interface Backend {
  readonly kind: 'sqlite' | 'postgres';
  /** What to say where the data is (the start-up line): a file, or the database URL without its password. */
  readonly where: string;
  readonly keys: KeyRepository;
  /** HSM clusters (CloudHSMv2 control plane). */
  readonly clusters: ClusterRepository;
  /** AWS_CLOUDHSM custom key stores. */
  readonly customKeyStores: CustomKeyStoreRepository;
  identities(box: SecretBox): IdentityRepository;
  audit(chain: string): AuditStore;
  storage(box: SecretBox, chain: string): Storage;
  /**
   * Runs `open` with the key store's domain-key table (read and added synchronously by the software
   * key store) and stores any key it added before resolving; processes starting together on one
   * database take turns, so they all end up with the same domain keys.
   */
  withDomainKeys<T>(open: (table: DomainKeyTable) => T): Promise<T>;
  feed(origin: string): ChangeFeed;
  readonly leases: Leases;
  /** Whether an error is a fault of the database itself (unreachable, full, failing) rather than of one record. */
  isFault(e: unknown): boolean;
  /** A small durable write; throws while the database cannot take one. */
  probe(): Promise<void>;
  /** What keeps the database from serving, noticed without a request (an unreachable server), for /health. */
  readonly problem?: (() => string | undefined) | undefined;
  /** Reads through the key and identity repositories so far (every backend; metrics). */
  readonly repositoryReads: () => number;
  /** Statements sent to a database server so far (PostgreSQL; SQLite reads its file in process): metrics. */
  readonly statements?: (() => { readonly reads: number; readonly writes: number }) | undefined;
  /** Keys by account, region and state (metrics). */
  keysByState(): Promise<readonly KeyCount[]>;
  /**
   * SQLite only: a chain's records in seq order, read lazily page by page (the admin command's
   * verify and export hold one page at a time); elsewhere readers page through `audit(chain).scan`.
   */
  readonly auditRows?: ((chain: string) => Iterable<AuditRow>) | undefined;
  /** Test mode, SQLite only: caps the database's pages as a full disk would. */
  readonly limitPages?: ((maxPageCount: number | null) => { pageCount: number; maxPageCount: number }) | undefined;
  close(): Promise<void>;
}
