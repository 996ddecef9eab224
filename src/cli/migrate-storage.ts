/**
 * `npm run coffer -- migrate-storage --to postgres://…`: copies a whole SQLite installation (the
 * data folder's coffer.db, its server stopped: the owner lock is taken) into an empty PostgreSQL
 * database, which the data folder's servers then use with COFFER_DATABASE_URL. The rules:
 *
 * - The target must be empty: no key, account, domain key or audit record, digest or anchor;
 *   otherwise nothing is written (a second run, or a database already in use, is refused).
 * - Everything is copied as stored, by blind writes (no expected revision or alias state) in
 *   batches of BATCH changes per commit: the key store's domain keys (so the same root key and seal
 *   unwrap every key material), keys with their materials, aliases, grants, usage and meta,
 *   accounts and IAM (users, roles, groups, memberships, inline and managed policies, attachments),
 *   access keys and the STS sessions not yet expired. Sealed secrets are opened with the data
 *   folder's SecretBox as the SQLite repository reads them and sealed again by the PostgreSQL
 *   storage with the same box.
 * - The audit trail is copied chain by chain with every column as it is (seq, hashes, event times,
 *   the record), with its digests, prune anchor and every signing key, so that `audit verify` on
 *   PostgreSQL passes. A PostgreSQL chain has a name: the first SQLite writer's chain '' becomes
 *   FIRST_CHAIN, and its digest logs (the data folder's and COFFER_AUDIT_DIGEST_LOG's) are copied
 *   to that chain's names beside them (a log already there must be the same). The other chains
 *   (workers' `w2`…) keep their names and their logs.
 *
 * What is printed names counts only, never a secret; the database URL is shown without its password.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase, closeDatabase } from '../adapters/storage/sqlite.ts';
import { createSqliteKeyRepository, sqliteDomainKeys, sqliteKeyTables } from '../adapters/storage/sqlite-keys.ts';
import { createSqliteIdentityRepository, sqliteIdentityTables } from '../adapters/storage/sqlite-identity.ts';
import { sqliteClusterRecords } from '../adapters/storage/sqlite-clusters.ts';
import { sqliteCustomKeyStoreRecords } from '../adapters/storage/sqlite-custom-key-stores.ts';
import { auditRowsOf, createSqliteAuditStore, sqliteAuditSigningKeys } from '../adapters/audit/sqlite-audit.ts';
import { chainLogPath, digestLogFileOf } from '../adapters/audit/digest-log.ts';
import { openSealedKeyStore, type SealSettings } from '../adapters/keystore/open.ts';
import { openPostgresBackend, redactedUrl } from '../adapters/backend/postgres-backend.ts';
import type { Backend } from '../adapters/backend/backend.ts';
import type { Change } from '../ports/changes.ts';
import type { AuditRow } from '../ports/audit.ts';
import type { SecretBox } from '../ports/secret-box.ts';
import type { Storage } from '../ports/storage.ts';
import { sqliteOpen } from './backend.ts';

/** Changes (or audit records) per commit. */
const BATCH = 500;
/** The PostgreSQL name of the SQLite installation's first chain (''): the origin name serve.ts gives that chain. */
export const FIRST_CHAIN = 'main';

export interface MigrateOptions {
  readonly dataDir: string;
  readonly to: string;
  readonly seal: SealSettings;
  /** COFFER_AUDIT_DIGEST_LOG. */
  readonly configuredDigestLog: string | undefined;
  readonly now: number;
  readonly warn: (message: string) => void;
}

/** The target holds data already: nothing was written. */
export class TargetNotEmpty extends Error {}

/** The chain's name on PostgreSQL. */
export const targetChain = (chain: string): string => (chain === '' ? FIRST_CHAIN : chain);

/** Commits changes in batches of BATCH, blind, counting what was written per kind. */
class BatchWriter {
  private pending: Change[] = [];
  readonly counts = new Map<string, number>();
  constructor(private readonly storage: Storage) {}

  async add(kind: string, change: Change): Promise<void> {
    this.pending.push(change);
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (this.pending.length >= BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const changes = this.pending;
    this.pending = [];
    await this.storage.commit({ changes });
  }
}

/** Why the target is not empty, or undefined when it is. */
async function whyNotEmpty(target: Backend, box: SecretBox): Promise<string | undefined> {
  const keys = (await target.keysByState()).reduce((a, c) => a + c.n, 0);
  if (keys > 0) return `it holds ${keys} key${keys === 1 ? '' : 's'}`;
  const accounts = (await target.identities(box).listAccounts()).length;
  if (accounts > 0) return `it holds ${accounts} account${accounts === 1 ? '' : 's'}`;
  const chains = await target.audit(FIRST_CHAIN).chains();
  if (chains.length > 0) return `it holds the audit trail of ${chains.length} chain${chains.length === 1 ? '' : 's'}`;
  const domainKeys = await target.withDomainKeys((table) => table.all().length);
  if (domainKeys > 0) return `it holds ${domainKeys} domain key${domainKeys === 1 ? '' : 's'} of a key store`;
  return undefined;
}

/** The digest logs to copy for the first chain: [from, to] pairs; throws when a different log is already where one goes. */
function digestLogCopies(o: MigrateOptions): [string, string][] {
  const pairs: [string, string][] = [[join(o.dataDir, digestLogFileOf('')), join(o.dataDir, digestLogFileOf(FIRST_CHAIN))]];
  if (o.configuredDigestLog !== undefined) {
    const p = resolve(o.configuredDigestLog);
    pairs.push([chainLogPath(p, ''), chainLogPath(p, FIRST_CHAIN)]);
  }
  const copies = pairs.filter(([from]) => existsSync(from));
  for (const [from, to] of copies) {
    if (existsSync(to) && !readFileSync(to).equals(readFileSync(from))) {
      throw new Error(`the digest log ${to} exists and is not a copy of ${from}: move it aside (keep it) and run the command again`);
    }
  }
  return copies;
}

/** Copies the installation (see the module comment); returns the lines to print. */
export async function migrateStorage(o: MigrateOptions): Promise<string[]> {
  if (!existsSync(join(o.dataDir, 'coffer.db'))) throw new Error(`there is no SQLite installation to copy: ${join(o.dataDir, 'coffer.db')} does not exist`);
  const logs = digestLogCopies(o);
  const db = sqliteOpen(o.dataDir, (file) => openDatabase(file));
  try {
    const domainKeys = sqliteDomainKeys(db);
    const store = await openSealedKeyStore(o.dataDir, o.seal, async (open) => db.transaction(() => open(domainKeys)).immediate(), () => o.now);
    try {
      const target = await openPostgresBackend(o.to, { poolSize: 4, onWarning: o.warn });
      try {
        const why = await whyNotEmpty(target, store.secrets);
        if (why !== undefined) throw new TargetNotEmpty(`the database ${redactedUrl(o.to)} is not empty (${why}): migrate-storage copies into an empty database only; nothing was written`);
        const lines = [`Copying ${join(o.dataDir, 'coffer.db')} to ${redactedUrl(o.to)}.`];
        try {
          lines.push(...await copy(db, store.secrets, target, o.now));
        } catch (e) {
          // Blind batches are committed one by one: a failure leaves part of the copy behind, which refuses a second run.
          const why = e instanceof Error ? e.message : String(e);
          throw new Error(`the copy stopped: ${why}. The database ${redactedUrl(o.to)} now holds part of the installation: drop it, create it empty and run the command again (the SQLite installation is unchanged)`);
        }
        for (const [from, to] of logs) {
          if (!existsSync(to)) copyFileSync(from, to);
          lines.push(`Digest log of chain '${FIRST_CHAIN}' (the first chain ''): ${to} (a copy of ${from}).`);
        }
        lines.push(`Done. Start Coffer on this data folder with COFFER_DATABASE_URL=${redactedUrl(o.to)}; run \`npm run coffer -- audit verify --offline\` with it to check the trail.`);
        return lines;
      } finally {
        await target.close();
      }
    } finally {
      store.close();
    }
  } finally {
    closeDatabase(db);
  }
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The copy itself, in dependency order (keys before their materials, users and groups before memberships, …). */
async function copy(db: Database.Database, box: SecretBox, target: Backend, now: number): Promise<string[]> {
  // The key store's domain keys first: every wrapped material and secret depends on them.
  const domainKeys = sqliteDomainKeys(db).all();
  await target.withDomainKeys((table) => { for (const k of domainKeys) table.add(k); });

  // Keys, identities: commits without audit records, on a chain of their own name (none is appended).
  const w = new BatchWriter(target.storage(box, FIRST_CHAIN));
  const keys = createSqliteKeyRepository(db);
  const keyTables = sqliteKeyTables(db);
  for (const arn of keyTables.arns()) {
    const key = await keys.getKey(arn);
    if (key === undefined) continue;
    await w.add('key', { kind: 'putKey', key });
    for (const material of await keys.getMaterials(arn)) await w.add('material', { kind: 'putMaterial', material });
  }
  for (const alias of keyTables.aliases()) await w.add('alias', { kind: 'putAlias', alias });
  for (const grant of keyTables.grants()) await w.add('grant', { kind: 'putGrant', grant });
  for (const u of keyTables.usage()) await w.add('usage', { kind: 'putUsage', records: [u] });
  for (const m of keyTables.meta()) await w.add('meta', { kind: 'setMeta', name: m.name, value: m.value });

  const ids = sqliteIdentityTables(db);
  const identities = createSqliteIdentityRepository(db, box);
  for (const account of ids.accounts()) await w.add('account', { kind: 'addAccount', account });
  for (const user of ids.users()) await w.add('user', { kind: 'putUser', user });
  for (const role of ids.roles()) await w.add('role', { kind: 'putRole', role });
  for (const group of ids.groups()) await w.add('group', { kind: 'putGroup', group });
  for (const m of ids.members()) await w.add('member', { kind: 'addGroupMember', groupId: m.groupId, userId: m.userId });
  for (const policy of ids.inlinePolicies()) await w.add('inline', { kind: 'putInlinePolicy', policy });
  for (const policy of ids.managedPolicies()) await w.add('managed', { kind: 'putManagedPolicy', policy });
  for (const a of ids.attachments()) await w.add('attachment', { kind: 'attachPolicy', principalId: a.principalId, policyArn: a.policyArn });
  for (const id of ids.accessKeyIds()) {
    const key = await identities.getAccessKey(id);
    if (key !== undefined) await w.add('accessKey', { kind: 'putAccessKey', key });
  }
  const sessionIds = ids.sessionIds(now);
  for (const id of sessionIds) {
    const session = await identities.getSession(id);
    if (session !== undefined) await w.add('session', { kind: 'putSession', session });
  }
  // HSM clusters (their PINs stay sealed under the domain keys copied above).
  for (const cluster of sqliteClusterRecords(db)) await w.add('cluster', { kind: 'putCluster', cluster });
  for (const store of sqliteCustomKeyStoreRecords(db)) await w.add('customKeyStore', { kind: 'putCustomKeyStore', store });
  await w.flush();
  const n = (kind: string): number => w.counts.get(kind) ?? 0;
  const lines = [
    `Copied ${plural(domainKeys.length, 'domain key')} of the key store.`,
    `Copied ${plural(n('key'), 'key')} with ${plural(n('material'), 'key material')}, ${plural(n('alias'), 'alias', 'aliases')}, ${plural(n('grant'), 'grant')}, ${plural(n('usage'), 'usage record')}, ${plural(n('meta'), 'meta value')}.`,
    `Copied ${plural(n('cluster'), 'HSM cluster')}, ${plural(n('customKeyStore'), 'custom key store')}.`,
    `Copied ${plural(n('account'), 'account')}, ${plural(n('user'), 'IAM user')}, ${plural(n('role'), 'role')}, ${plural(n('group'), 'group')}, ${plural(n('member'), 'group membership')}, ${plural(n('inline'), 'inline policy', 'inline policies')}, ${plural(n('managed'), 'managed policy', 'managed policies')}, ${plural(n('attachment'), 'policy attachment')}, ${plural(n('accessKey'), 'access key')}, ${plural(n('session'), 'unexpired STS session')}.`,
  ];

  // The audit trail: the signing keys (one table for every chain), then chain by chain.
  const signingKeys = sqliteAuditSigningKeys(db);
  const firstStore = target.audit(FIRST_CHAIN);
  for (const k of signingKeys) await firstStore.putSigningKey(k);
  lines.push(`Copied ${plural(signingKeys.length, 'audit signing key')}.`);
  for (const chain of await createSqliteAuditStore(db).chains()) {
    lines.push(await copyChain(db, box, target, chain));
  }
  return lines;
}

/** One chain: its prune anchor, its records as stored (in batches, each appended after the last), its digests. */
async function copyChain(db: Database.Database, box: SecretBox, target: Backend, chain: string): Promise<string> {
  const name = targetChain(chain);
  const source = createSqliteAuditStore(db, chain);
  const to = target.audit(name);
  const anchor = await source.anchor();
  // Nothing is stored at or before the anchor yet, so this prune only stores it.
  if (anchor !== undefined) await to.prune(anchor);
  const storage = target.storage(box, name);
  let records = 0;
  let batch: AuditRow[] = [];
  const flush = async (): Promise<void> => {
    const rows = batch;
    batch = [];
    // The rows are appended as they are: their positions and hashes are the trail's own.
    if (rows.length > 0) await storage.commit({ changes: [], records: () => rows });
  };
  for (const row of auditRowsOf(db, 1000, chain)) {
    if (row.malformedColumn !== undefined) {
      throw new Error(`audit record ${row.seq} of chain '${chain}' has a malformed ${row.malformedColumn} column: run \`npm run coffer -- audit verify --offline\` on the SQLite installation first`);
    }
    batch.push(row);
    records++;
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  const digests = await source.digests();
  for (const d of digests) await to.putDigest(d);
  const named = chain === '' ? `chain '' as '${name}'` : `chain '${name}'`;
  return `Copied audit ${named}: ${plural(records, 'record')}, ${plural(digests.length, 'signed digest')}${anchor ? `, pruned through record ${anchor.seq}` : ''}.`;
}
