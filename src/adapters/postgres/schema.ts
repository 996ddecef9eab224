/**
 * The PostgreSQL schema and its versions. `schema_version` holds one row, the version the
 * database is at; `migrate` (run by openPostgres) applies the missing steps of MIGRATIONS in one
 * transaction under a transaction-scoped advisory lock, so that two Coffer processes starting
 * together neither race to create tables nor apply a step twice; a database at a version above
 * SCHEMA_VERSION (written by a newer Coffer) is refused.
 *
 * The tables mirror the SQLite ones (storage/sqlite-keys.ts, sqlite-identity.ts,
 * audit/sqlite-audit.ts), with these differences: text columns that are ordered or compared with
 * `>` use the "C" collation (byte order, as SQLite's BINARY, whatever the database's locale);
 * `ord` identity columns stand for SQLite's rowid where the order of first insertion is read; and
 * the audit tables carry a `chain` (each Coffer process appends to its own hash chain).
 */
import type pg from 'pg';
import { SchemaTooNew } from '../../errors/schema-version.ts';
import { pgCall } from './errors.ts';
import { rollback, withConnection } from './checkout.ts';

/** The key of the advisory lock migrations hold (an arbitrary constant: "coffer" in ASCII). */
const MIGRATION_LOCK = 0x636f66666572;

const T = 'TEXT COLLATE "C"';

/** Step N (index N-1) brings a database from version N-1 to N. Never edit a released step: add one. */
const MIGRATIONS: readonly string[] = [
  `
CREATE TABLE meta (name ${T} PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE domain_keys (id ${T} PRIMARY KEY, wrapped BYTEA NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE keys (
  arn ${T} PRIMARY KEY, ord BIGINT GENERATED ALWAYS AS IDENTITY, key_id ${T} NOT NULL, account_id ${T} NOT NULL,
  region ${T} NOT NULL, doc TEXT NOT NULL, deletion_date BIGINT, next_rotation BIGINT, material_expiry BIGINT,
  revision BIGINT NOT NULL DEFAULT 0);
CREATE INDEX keys_by_id ON keys (key_id, region);
CREATE INDEX keys_by_scope ON keys (account_id, region, arn);
CREATE INDEX keys_by_deletion ON keys (deletion_date) WHERE deletion_date IS NOT NULL;
CREATE INDEX keys_by_rotation ON keys (next_rotation) WHERE next_rotation IS NOT NULL;
CREATE INDEX keys_by_material_expiry ON keys (material_expiry) WHERE material_expiry IS NOT NULL;
CREATE TABLE key_materials (
  key_arn ${T} NOT NULL REFERENCES keys(arn) ON DELETE CASCADE, material_id ${T} NOT NULL,
  ord BIGINT GENERATED ALWAYS AS IDENTITY, domain_key_id TEXT NOT NULL, wrapped BYTEA NOT NULL,
  created_at BIGINT NOT NULL, rotation_type TEXT, PRIMARY KEY (key_arn, material_id));
CREATE TABLE aliases (
  account_id ${T} NOT NULL, region ${T} NOT NULL, name ${T} NOT NULL,
  target_key_arn ${T} NOT NULL REFERENCES keys(arn) ON DELETE CASCADE,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (account_id, region, name));
CREATE INDEX aliases_by_key ON aliases (target_key_arn);
CREATE TABLE grants (
  grant_id ${T} PRIMARY KEY, key_arn ${T} NOT NULL REFERENCES keys(arn) ON DELETE CASCADE,
  retiring_principal ${T}, doc TEXT NOT NULL);
CREATE INDEX grants_by_key ON grants (key_arn, grant_id);
CREATE INDEX grants_by_retiring ON grants (retiring_principal, grant_id) WHERE retiring_principal IS NOT NULL;
CREATE TABLE key_usage (
  key_arn ${T} PRIMARY KEY REFERENCES keys(arn) ON DELETE CASCADE,
  operation TEXT NOT NULL, ts BIGINT NOT NULL, request_id TEXT NOT NULL);

CREATE TABLE iam_accounts (account_id ${T} PRIMARY KEY, created_at BIGINT NOT NULL);
CREATE TABLE iam_users (
  user_id ${T} PRIMARY KEY, account_id ${T} NOT NULL, name_lc ${T} NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, name_lc));
CREATE TABLE iam_access_keys (
  access_key_id ${T} PRIMARY KEY, account_id ${T} NOT NULL, owner ${T} NOT NULL, secret TEXT NOT NULL,
  status TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX iam_access_keys_by_owner ON iam_access_keys (account_id, owner, created_at);
CREATE TABLE iam_roles (
  role_id ${T} PRIMARY KEY, account_id ${T} NOT NULL, name_lc ${T} NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, name_lc));
CREATE TABLE iam_groups (
  group_id ${T} PRIMARY KEY, account_id ${T} NOT NULL, name_lc ${T} NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, name_lc));
CREATE TABLE iam_group_members (
  group_id ${T} NOT NULL REFERENCES iam_groups(group_id) ON DELETE CASCADE,
  user_id ${T} NOT NULL REFERENCES iam_users(user_id) ON DELETE CASCADE, PRIMARY KEY (group_id, user_id));
CREATE INDEX iam_group_members_by_user ON iam_group_members (user_id);
CREATE TABLE iam_inline_policies (
  principal_id ${T} NOT NULL, name_lc ${T} NOT NULL, name TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (principal_id, name_lc));
CREATE TABLE iam_managed_policies (
  arn ${T} PRIMARY KEY, account_id ${T} NOT NULL, name_lc ${T} NOT NULL, doc TEXT NOT NULL, UNIQUE (account_id, name_lc));
CREATE TABLE iam_policy_attachments (
  principal_id ${T} NOT NULL, policy_arn ${T} NOT NULL REFERENCES iam_managed_policies(arn),
  PRIMARY KEY (principal_id, policy_arn));
CREATE INDEX iam_policy_attachments_by_policy ON iam_policy_attachments (policy_arn);
CREATE TABLE sts_sessions (
  access_key_id ${T} PRIMARY KEY, account_id ${T} NOT NULL, secret TEXT NOT NULL, token_hash BYTEA NOT NULL,
  role_id TEXT NOT NULL, role_name TEXT NOT NULL, role_arn TEXT NOT NULL, session_name TEXT NOT NULL,
  expiration BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX sts_sessions_by_expiration ON sts_sessions (expiration);

CREATE TABLE audit_records (
  chain ${T} NOT NULL, seq BIGINT NOT NULL, event_time BIGINT NOT NULL, event_id TEXT NOT NULL, event_name TEXT NOT NULL,
  event_source TEXT NOT NULL, read_only SMALLINT NOT NULL, username TEXT, access_key_id TEXT,
  account_id TEXT NOT NULL, owner_account_id TEXT, resources TEXT NOT NULL,
  record TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (chain, seq));
CREATE INDEX audit_records_by_time ON audit_records (event_time DESC, chain DESC, seq DESC);
CREATE TABLE audit_digests (
  chain ${T} NOT NULL, seq_to BIGINT NOT NULL, seq_from BIGINT NOT NULL, last_hash TEXT NOT NULL, first_time BIGINT NOT NULL,
  last_time BIGINT NOT NULL, created_at BIGINT NOT NULL, prev_digest_hash TEXT NOT NULL, key_id TEXT NOT NULL,
  signature TEXT NOT NULL, PRIMARY KEY (chain, seq_to));
CREATE TABLE audit_anchors (chain ${T} PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE audit_signing_keys (
  id ${T} PRIMARY KEY, public_key BYTEA NOT NULL, domain_key_id TEXT NOT NULL, wrapped BYTEA NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE storage_state (name ${T} PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE leases (name ${T} PRIMARY KEY, holder ${T} NOT NULL, expires_at BIGINT NOT NULL);
`,
  // 2: HSM clusters (CloudHSMv2 control plane), as storage/sqlite-clusters.ts.
  `
CREATE TABLE hsm_clusters (
  cluster_id ${T} PRIMARY KEY, account_id ${T} NOT NULL, region ${T} NOT NULL, doc TEXT NOT NULL,
  due BIGINT, revision BIGINT NOT NULL);
CREATE INDEX hsm_clusters_by_scope ON hsm_clusters (account_id, region, cluster_id);
CREATE INDEX hsm_clusters_by_due ON hsm_clusters (due) WHERE due IS NOT NULL;
`,
  // 3: AWS_CLOUDHSM custom key stores, as storage/sqlite-custom-key-stores.ts.
  `
CREATE TABLE custom_key_stores (
  id ${T} PRIMARY KEY, account_id ${T} NOT NULL, region ${T} NOT NULL, name ${T} NOT NULL, doc TEXT NOT NULL,
  due BOOLEAN NOT NULL, revision BIGINT NOT NULL);
CREATE UNIQUE INDEX custom_key_stores_by_name ON custom_key_stores (account_id, region, name);
CREATE INDEX custom_key_stores_by_scope ON custom_key_stores (account_id, region, id);
`,
  // 4: the records of state changes indexed by name and by time (partial: nothing for a read-only call's record), for LookupEvents.
  `
CREATE INDEX audit_records_changes_by_name ON audit_records (event_name, event_time DESC, chain DESC, seq DESC) WHERE read_only = 0;
CREATE INDEX audit_records_changes_by_time ON audit_records (event_time DESC, chain DESC, seq DESC) WHERE read_only = 0;
`,
];

/** The version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to SCHEMA_VERSION (see the module comment); refuses a newer one with SchemaTooNew. */
export async function migrate(pool: pg.Pool): Promise<void> {
  await withConnection(pool, async (client) => {
    await pgCall(async () => {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    });
    const rows = (await pgCall(() => client.query<{ version: number }>('SELECT version FROM schema_version'))).rows;
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) throw new SchemaTooNew('the PostgreSQL database\'s', current, SCHEMA_VERSION);
    await pgCall(async () => {
      for (let v = current + 1; v <= SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v - 1] as string);
      if (rows.length === 0) await client.query('INSERT INTO schema_version (version) VALUES ($1)', [SCHEMA_VERSION]);
      else await client.query('UPDATE schema_version SET version = $1', [SCHEMA_VERSION]);
      await client.query('COMMIT');
    });
  }, rollback);
}
