/**
 * The only reader of process.env. Every setting is declared once in SETTINGS (name, default,
 * parser, description); the README's configuration table is this table. A bad value stops
 * start-up with a message that names the variable.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseManagementQuotas, resolveKmsQuotas, type KmsQuota, type ManagementQuotaSetting } from './kms-quotas.ts';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly region: string;
  /**
   * The regions served besides COFFER_REGION: `any` (every region name of the aws partition) or
   * the list COFFER_REGIONS gives, with COFFER_REGION first.
   */
  readonly regions: 'any' | readonly string[];
  readonly accountId: string;
  readonly rootAccessKeyId: string | undefined;
  readonly rootSecretAccessKey: string | undefined;
  readonly rootPassphrase: string | undefined;
  /** Which root seal: `auto` is the passphrase seal when a passphrase is set, else the key file. */
  readonly seal: 'auto' | 'key-file' | 'passphrase' | 'pkcs11';
  readonly sealPkcs11TokenLabel: string | undefined;
  readonly sealPkcs11Pin: string | undefined;
  readonly sealPkcs11KeyLabel: string;
  readonly schedulerIntervalMs: number;
  readonly testMode: boolean;
  /** Test mode only: the HSM module CloudHSM clusters use ('memory': an in-memory test module). */
  readonly testHsm: 'none' | 'memory';
  readonly hsmProbeMs: number;
  /** Failed HSM logins in a row after which an HSM user is locked out (an admin's change-password unlocks it). */
  readonly hsmLoginAttempts: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly auditFlushMs: number;
  readonly auditDigestIntervalSeconds: number;
  readonly auditRetentionDays: number;
  readonly auditEnabled: boolean;
  readonly auditOnFailure: 'refuse' | 'continue';
  readonly auditQueueMaxRecords: number;
  readonly auditQueueMaxSeconds: number;
  readonly storageIntegrityCheck: 'quick' | 'full' | 'off';
  readonly auditDigestLog: string | undefined;
  readonly maxConnections: number;
  readonly headersTimeoutSeconds: number;
  readonly requestTimeoutSeconds: number;
  readonly keepAliveTimeoutSeconds: number;
  readonly admissionQueueMs: number;
  readonly quotaCryptoRps: number;
  readonly quotaAsymmetricRps: number;
  readonly quotaCreateKeyRps: number;
  readonly quotaCustomKeyStoreRps: number;
  readonly quotaManagement: ManagementQuotaSetting;
  /** PostgreSQL connection URL; undefined: SQLite in the data folder. */
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  /** Serving processes on one port: a number, or 0 for one per core (`auto`). */
  readonly workers: number;
  /** Set by the primary process for each of its workers (1..N); 0 in a process that is not a worker. */
  readonly workerIndex: number;
  /** This node's name among the nodes sharing one database (its audit chain's name); derived when empty. */
  readonly nodeId: string | undefined;
  readonly coherencePollMs: number;
  /** The HSM pool file (absolute path; adapters/hsm/pool-file.ts reads it at start-up); undefined: none. */
  readonly hsmPool: string | undefined;
  /** The PKCS#11 module (shared library path) of the HSM tier; undefined: none on this machine. */
  readonly pkcs11Module: string | undefined;
  /** HTTPS: the PEM certificate (chain) file, absolute; undefined (with tlsKey): plain HTTP. Re-read on SIGHUP. */
  readonly tlsCert: string | undefined;
  /** HTTPS: the PEM private key file of tlsCert, absolute. */
  readonly tlsKey: string | undefined;
  /** The seed file (absolute; YAML or JSON by extension) applied at start-up (src/seed/); undefined: none. */
  readonly seedFile: string | undefined;
  /** Derived from the quota settings: each KMS operation's request quota (absent: none). */
  readonly kmsQuotas: ReadonlyMap<string, KmsQuota>;
}

export class ConfigError extends Error {}

type Parser<T> = (raw: string, name: string) => T;

const optional: Parser<string | undefined> = (raw) => (raw === '' ? undefined : raw);
const int = (min: number, max: number): Parser<number> => (raw, name) => {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
};
const matching = (re: RegExp, what: string): Parser<string> => (raw, name) => {
  if (!re.test(raw)) throw new ConfigError(`${name} must be ${what}, got '${raw}'`);
  return raw;
};
const REGION = /^([a-z]+-){2,3}\d+$/;
/** A comma-separated list of region names (may be empty). */
const regionList: Parser<'any' | readonly string[]> = (raw, name) => {
  if (raw === 'any') return 'any';
  const list = raw.split(',').map((r) => r.trim()).filter((r) => r !== '');
  const bad = list.find((r) => !REGION.test(r));
  if (bad !== undefined) throw new ConfigError(`${name} must be \`any\` or comma-separated AWS region names such as us-west-2, got '${bad}'`);
  return list;
};
const bool: Parser<boolean> = (raw, name) => {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0' || raw === '') return false;
  throw new ConfigError(`${name} must be true or false, got '${raw}'`);
};
/** Requests a second (fractions allowed, e.g. 0.5 for one every two seconds); 0 for no quota. */
const rate: Parser<number> = (raw, name) => {
  if (!/^\d{1,9}(\.\d{1,3})?$/.test(raw)) throw new ConfigError(`${name} must be a rate in requests a second (0 for none), got '${raw}'`);
  return Number(raw);
};
const managementQuotas: Parser<ManagementQuotaSetting> = (raw, name) => {
  const parsed = parseManagementQuotas(raw);
  if (typeof parsed === 'string') throw new ConfigError(`${name} ${parsed}`);
  return parsed;
};
/** A postgres:// or postgresql:// URL (the password in it is never echoed). */
const databaseUrl: Parser<string | undefined> = (raw, name) => {
  if (raw === '') return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL such as postgres://user:password@host:5432/database`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new ConfigError(`${name} must be a postgres:// URL, got a ${u.protocol} URL`);
  if (u.hostname === '' || u.pathname.length < 2) throw new ConfigError(`${name} must name a host and a database (postgres://user:password@host:5432/database)`);
  return raw;
};
/** Debian's SoftHSM2 (package softhsm2), the module used when COFFER_PKCS11_MODULE is unset. */
export const DEFAULT_PKCS11_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
/** An absolute path to an existing file; unset: the SoftHSM2 default when it is installed. */
const pkcs11Module: Parser<string | undefined> = (raw, name) => {
  if (raw === '') return existsSync(DEFAULT_PKCS11_MODULE) ? DEFAULT_PKCS11_MODULE : undefined;
  if (!isAbsolute(raw)) throw new ConfigError(`${name} must be the absolute path of a PKCS#11 module (a .so file), got '${raw}'`);
  if (!existsSync(raw) || !statSync(raw).isFile()) throw new ConfigError(`${name} names no file: '${raw}'`);
  return raw;
};
/** An absolute path to an existing file, or unset. */
const existingFile: Parser<string | undefined> = (raw, name) => {
  if (raw === '') return undefined;
  if (!isAbsolute(raw)) throw new ConfigError(`${name} must be an absolute path, got '${raw}'`);
  if (!existsSync(raw) || !statSync(raw).isFile()) throw new ConfigError(`${name} names no file: '${raw}'`);
  return raw;
};
/** A file path, made absolute (a SIGHUP re-reads the same file); its content is checked where it is read (server/tls.ts). */
const filePath: Parser<string | undefined> = (raw) => (raw === '' ? undefined : resolve(raw));
/** The seed file: an existing .yaml, .yml or .json file, made absolute; its content is checked where it is read (seed/file.ts). */
const seedFile: Parser<string | undefined> = (raw, name) => {
  if (raw === '') return undefined;
  const path = resolve(raw);
  if (!/\.(ya?ml|json)$/i.test(path)) throw new ConfigError(`${name} must name a .yaml, .yml or .json file, got '${raw}'`);
  if (!existsSync(path) || !statSync(path).isFile()) throw new ConfigError(`${name} names no file: '${raw}'`);
  return path;
};
const workerCount: Parser<number> = (raw, name) => (raw === 'auto' ? 0 : int(1, 256)(raw, name));
const oneOf = <T extends string>(values: readonly T[]): Parser<T> => (raw, name) => {
  if ((values as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${name} must be one of ${values.join(', ')}, got '${raw}'`);
};

interface Setting<K extends keyof Config> {
  readonly key: K;
  readonly env: string;
  readonly fallback: string;
  readonly parse: Parser<Config[K]>;
  readonly doc: string;
}
const s = <K extends keyof Config>(x: Setting<K>): Setting<K> => x;

/** The configuration table (also rendered in the README). */
export const SETTINGS = [
  s({ key: 'host', env: 'COFFER_HOST', fallback: '127.0.0.1', parse: matching(/^[\w.:-]+$/, 'a host name or address'), doc: 'Address to listen on.' }),
  s({ key: 'port', env: 'COFFER_PORT', fallback: '8400', parse: int(0, 65535), doc: 'TCP port (0 picks a free one).' }),
  s({ key: 'dataDir', env: 'COFFER_DATA_DIR', fallback: './data', parse: matching(/\S/, 'a folder path'), doc: 'Data folder (created with mode 0700): database, root-key seal, generated credentials.' }),
  s({ key: 'region', env: 'COFFER_REGION', fallback: 'us-east-1', parse: matching(/^([a-z]+-){2,3}\d+$/, 'an AWS region name such as us-east-1'), doc: 'Region this server answers for (the SigV4 scope and every ARN).' }),
  s({ key: 'regions', env: 'COFFER_REGIONS', fallback: 'any', parse: regionList, doc: 'Regions served from the same endpoint besides COFFER_REGION (always served): `any` serves every region name of the aws partition (`eu-central-1`, `ap-southeast-4`, …; China, GovCloud and other partitions only when listed); a comma-separated list serves only those (empty: COFFER_REGION alone), and a request signed for another region is refused. The region of a request is its SigV4 credential scope; keys, aliases and grants are per region.' }),
  s({ key: 'accountId', env: 'COFFER_ACCOUNT_ID', fallback: '111122223333', parse: matching(/^\d{12}$/, 'a 12-digit account id'), doc: 'The default account.' }),
  s({ key: 'rootAccessKeyId', env: 'COFFER_ROOT_ACCESS_KEY_ID', fallback: '', parse: (r, n) => (r === '' ? undefined : matching(/^\w{1,128}$/, '1-128 letters, digits or underscores')(r, n)), doc: "Account root's access key id (1 to 128 letters, digits or underscores: `test` as local tooling uses is accepted when set here); generated into the data folder when unset." }),
  s({ key: 'rootSecretAccessKey', env: 'COFFER_ROOT_SECRET_ACCESS_KEY', fallback: '', parse: (r, n) => (r === '' ? undefined : matching(/^[\x21-\x7e]{1,128}$/, '1-128 printable characters without spaces')(r, n)), doc: "Account root's secret access key; set together with the id. One shorter than 16 characters (such as `test`) is accepted for test environments, with a warning at start-up." }),
  s({ key: 'rootPassphrase', env: 'COFFER_ROOT_PASSPHRASE', fallback: '', parse: optional, doc: 'Seal the root key with this passphrase (scrypt) instead of the development key file.' }),
  s({ key: 'seal', env: 'COFFER_SEAL', fallback: 'auto', parse: oneOf(['auto', 'key-file', 'passphrase', 'pkcs11'] as const), doc: 'The root seal, which wraps the domain keys: `key-file` (`root.key` in the data folder, for development), `passphrase` (scrypt of COFFER_ROOT_PASSPHRASE), `pkcs11` (a non-extractable AES key inside a PKCS#11 token: COFFER_PKCS11_MODULE, COFFER_SEAL_PKCS11_*) or `auto` (passphrase when COFFER_ROOT_PASSPHRASE is set, else key file). `npm run coffer -- seal migrate` moves a data folder from one to another.' }),
  s({ key: 'sealPkcs11TokenLabel', env: 'COFFER_SEAL_PKCS11_TOKEN_LABEL', fallback: '', parse: (r, n) => (r === '' ? undefined : matching(/^.{1,32}$/, 'a token label of 1-32 characters')(r, n)), doc: 'With COFFER_SEAL=pkcs11: the label of the (initialised) token that keeps the root key.' }),
  s({ key: 'sealPkcs11Pin', env: 'COFFER_SEAL_PKCS11_PIN', fallback: '', parse: optional, doc: "With COFFER_SEAL=pkcs11: the token's user PIN." }),
  s({ key: 'sealPkcs11KeyLabel', env: 'COFFER_SEAL_PKCS11_KEY_LABEL', fallback: 'coffer-root-key', parse: matching(/^.{1,64}$/, 'a key label of 1-64 characters'), doc: 'With COFFER_SEAL=pkcs11: the label (and CKA_ID) of the root key in the token; created there, non-extractable, on first start.' }),
  s({ key: 'schedulerIntervalMs', env: 'COFFER_SCHEDULER_INTERVAL_MS', fallback: '60000', parse: int(100, 86_400_000), doc: 'How often scheduled deletion and rotation run.' }),
  s({ key: 'hsmProbeMs', env: 'COFFER_HSM_PROBE_MS', fallback: '10000', parse: int(100, 3_600_000), doc: 'How often the HSM clusters\' tokens are probed (an HSM whose token is gone becomes DEGRADED, and ACTIVE again when it is back).' }),
  s({ key: 'hsmLoginAttempts', env: 'COFFER_HSM_LOGIN_ATTEMPTS', fallback: '5', parse: int(1, 1000), doc: 'Failed logins in a row (a wrong password in the HSM credentials of a `coffer hsm` call) after which an HSM user of a cluster is locked out; an admin unlocks it with `coffer hsm user change-password`. CloudHSM\'s own threshold is not published.' }),
  s({ key: 'testMode', env: 'COFFER_TEST_MODE', fallback: 'false', parse: bool, doc: 'Enables test-only endpoints (clock offset). Never in production.' }),
  s({ key: 'testHsm', env: 'COFFER_TEST_HSM', fallback: 'none', parse: oneOf(['none', 'memory'] as const), doc: 'Test mode only (ignored otherwise): `memory` gives CloudHSM clusters an in-memory HSM module, for tests. Never in production.' }),
  s({ key: 'logLevel', env: 'COFFER_LOG_LEVEL', fallback: 'info', parse: oneOf(['debug', 'info', 'warn', 'error', 'silent'] as const), doc: 'Log level: debug, info, warn, error or silent.' }),
  s({ key: 'auditFlushMs', env: 'COFFER_AUDIT_FLUSH_MS', fallback: '250', parse: int(1, 1000), doc: 'Audit records of read-only calls (Encrypt, Decrypt, Describe…) are group-committed at most this long after the call (at most 1000); state changes commit with their record.' }),
  s({ key: 'auditDigestIntervalSeconds', env: 'COFFER_AUDIT_DIGEST_INTERVAL_S', fallback: '60', parse: int(1, 86_400), doc: 'How often a signed digest of the new audit records is written (also every 10000 records and at shutdown).' }),
  s({ key: 'auditRetentionDays', env: 'COFFER_AUDIT_RETENTION_DAYS', fallback: '0', parse: int(0, 36_500), doc: 'Audit records older than this are pruned (up to a signed digest, so verification still works); 0 keeps every record.' }),
  s({ key: 'auditEnabled', env: 'COFFER_AUDIT', fallback: 'true', parse: bool, doc: 'The audit trail. Set to false only to measure its cost (`npm run bench` does); calls then go unrecorded.' }),
  s({ key: 'auditOnFailure', env: 'COFFER_AUDIT_ON_FAILURE', fallback: 'refuse', parse: oneOf(['refuse', 'continue'] as const), doc: 'When audit records cannot be written (a full disk): `refuse` answers new calls with a retryable error (KMSInternalException, 500) once the queue of waiting records is full; `continue` keeps serving and drops the records that do not fit, marking the gap with one AuditRecordsDropped record when writing works again (availability over audit).' }),
  s({ key: 'auditQueueMaxRecords', env: 'COFFER_AUDIT_QUEUE_MAX_RECORDS', fallback: '10000', parse: int(100, 1_000_000), doc: 'The audit queue is full at this many records waiting to be written…' }),
  s({ key: 'auditQueueMaxSeconds', env: 'COFFER_AUDIT_QUEUE_MAX_S', fallback: '5', parse: int(1, 600), doc: '…or when its oldest record has waited this many seconds.' }),
  s({ key: 'storageIntegrityCheck', env: 'COFFER_STORAGE_INTEGRITY_CHECK', fallback: 'quick', parse: oneOf(['quick', 'full', 'off'] as const), doc: "SQLite's check of the database at start-up: `quick` (quick_check: pages and records), `full` (integrity_check: also every index against its table; slower on large databases) or `off`. A damaged database stops start-up with what SQLite found." }),
  s({ key: 'auditDigestLog', env: 'COFFER_AUDIT_DIGEST_LOG', fallback: '', parse: optional, doc: 'A second audit digest log: each signed digest is appended (and fsynced) to this file as well as to `<data>/audit-digests.jsonl`. Put it on another disk, out of reach of whoever can write the database; `audit verify` reads it.' }),
  s({ key: 'maxConnections', env: 'COFFER_MAX_CONNECTIONS', fallback: '512', parse: int(1, 1_000_000), doc: 'Open client connections at most; start-up refuses a value above the open-file limit (`ulimit -n`) less 64. At the cap a new connection closes the least recently used idle one; only when every connection has a request in progress is the new one refused at once.' }),
  s({ key: 'headersTimeoutSeconds', env: 'COFFER_HEADERS_TIMEOUT_S', fallback: '10', parse: int(1, 300), doc: "A client must send a request's headers within this many seconds (of connecting, or of starting the next request on a kept-alive connection); a silent or trickling client is answered 408 and disconnected." }),
  s({ key: 'requestTimeoutSeconds', env: 'COFFER_REQUEST_TIMEOUT_S', fallback: '30', parse: int(1, 3600), doc: 'A client must send a whole request, headers and body, within this many seconds (at least COFFER_HEADERS_TIMEOUT_S); also the longest a shutdown waits for requests in progress.' }),
  s({ key: 'keepAliveTimeoutSeconds', env: 'COFFER_KEEP_ALIVE_TIMEOUT_S', fallback: '65', parse: int(1, 3600), doc: 'An idle kept-alive connection is closed after this many seconds (longer than the 60 s idle timeout of common load balancers, so that they close first).' }),
  s({ key: 'admissionQueueMs', env: 'COFFER_ADMISSION_QUEUE_MS', fallback: '25', parse: int(0, 10_000), doc: 'Admission control: once the event loop has spent this many milliseconds on the requests of one turn, the requests still waiting behind them are answered ThrottlingException at once, before authentication (see Overload); 0 turns it off. /health and /metrics are always answered.' }),
  s({ key: 'quotaCryptoRps', env: 'COFFER_QUOTA_CRYPTO_RPS', fallback: '10000', parse: rate, doc: 'Request quota of each account and region shared by the symmetric cryptographic operations (Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateMac, VerifyMac, GenerateRandom), in requests a second; 0 for none. Calls over a quota are answered ThrottlingException.' }),
  s({ key: 'quotaAsymmetricRps', env: 'COFFER_QUOTA_ASYMMETRIC_RPS', fallback: '1000', parse: rate, doc: 'Request quota of each account and region shared by Sign, Verify and DeriveSharedSecret, in requests a second; 0 for none.' }),
  s({ key: 'quotaCreateKeyRps', env: 'COFFER_QUOTA_CREATE_KEY_RPS', fallback: '5', parse: rate, doc: 'Request quota of each account and region for CreateKey, in requests a second; 0 for none.' }),
  s({ key: 'quotaCustomKeyStoreRps', env: 'COFFER_QUOTA_CUSTOM_KEY_STORE_RPS', fallback: '1800', parse: rate, doc: "Request quota of each AWS_CLOUDHSM custom key store, shared by the cryptographic operations on its keys (AWS's quota: 1,800 a second), in requests a second; 0 for none." }),
  s({ key: 'quotaManagement', env: 'COFFER_QUOTA_MANAGEMENT_RPS', fallback: 'aws', parse: managementQuotas, doc: "Request quotas of the management operations (DescribeKey, CreateAlias, PutKeyPolicy, …), each its own per account and region: `aws` for AWS's default of each (listed under Overload), a rate for every one, 0 for none; `Operation=rate` items after it change single operations, e.g. `aws,DescribeKey=500`." }),
  s({ key: 'databaseUrl', env: 'COFFER_DATABASE_URL', fallback: '', parse: databaseUrl, doc: 'Keep keys, identities and the audit trail in this PostgreSQL database (`postgres://user:password@host:5432/db`; `?sslmode=require` for TLS) instead of SQLite in the data folder. Every node with the same URL and the same seal serves the same keys (see Running several nodes).' }),
  s({ key: 'databasePoolSize', env: 'COFFER_DATABASE_POOL_SIZE', fallback: '10', parse: int(1, 1000), doc: 'PostgreSQL connections each serving process keeps at most.' }),
  s({ key: 'workers', env: 'COFFER_WORKERS', fallback: '1', parse: workerCount, doc: 'Serving processes sharing the port (`auto`: one per core), on SQLite and on PostgreSQL alike; changes made through one reach the others within COFFER_COHERENCE_POLL_MS.' }),
  s({ key: 'workerIndex', env: 'COFFER_WORKER_INDEX', fallback: '0', parse: int(0, 256), doc: 'Set by Coffer for its own worker processes; never set it yourself.' }),
  s({ key: 'nodeId', env: 'COFFER_NODE_ID', fallback: '', parse: (r, n) => (r === '' ? undefined : matching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, '1-63 letters, digits, dots, dashes or underscores')(r, n)), doc: "This node's name among the nodes sharing a PostgreSQL database: its audit records form the hash chain of that name (default: the host name and the port). Keep it stable across restarts, and unique." }),
  s({ key: 'coherencePollMs', env: 'COFFER_COHERENCE_POLL_MS', fallback: '200', parse: int(10, 10_000), doc: 'Where several processes share the storage (workers, nodes), how often each reads the others\' change notices: a change made through one takes effect in all within this time plus a read.' }),
  s({ key: 'pkcs11Module', env: 'COFFER_PKCS11_MODULE', fallback: '', parse: pkcs11Module, doc: 'The PKCS#11 module (absolute path of its .so) whose tokens are the HSM tier\'s HSMs and partitions. Unset: `/usr/lib/softhsm/libsofthsm2.so` (Debian\'s `softhsm2`) when that file exists, else none. Loading it needs the optional `pkcs11js` package (built by `npm ci`).' }),
  s({ key: 'hsmPool', env: 'COFFER_HSM_POOL', fallback: '', parse: existingFile, doc: 'The HSM pool file (absolute path, JSON, not readable by group or others since it holds SO PINs): the subnets clusters may use and, in each, the tokens an operator provisioned (serial and SO PIN) or free slots, one HSM each (README: "Tokens an operator provisions"). Unset: every well-formed subnet, each HSM a token Coffer initialises on a free slot of COFFER_PKCS11_MODULE.' }),
  s({ key: 'tlsCert', env: 'COFFER_TLS_CERT', fallback: '', parse: filePath, doc: 'Serve HTTPS (HTTP/1.1, TLS 1.2 or later) instead of HTTP: the PEM file of the server certificate, followed by any intermediate certificates. Set together with COFFER_TLS_KEY; both files are read again on SIGHUP, so a renewed certificate needs no restart (see TLS). Policies then see `aws:SecureTransport` true.' }),
  s({ key: 'tlsKey', env: 'COFFER_TLS_KEY', fallback: '', parse: filePath, doc: "With COFFER_TLS_CERT: the PEM file of the certificate's private key (unencrypted; keep it readable by Coffer's user only)." }),
  s({ key: 'seedFile', env: 'COFFER_SEED_FILE', fallback: '', parse: seedFile, doc: 'A seed file (YAML or JSON, by its extension; at most 1 MiB) applied at every start before the server answers: accounts, IAM users with fixed access keys and their policies, KMS keys with fixed key ids (and optionally fixed key material), aliases, key policies, tags and grants (see Seeding a test environment). Applying it again changes nothing; a changed file updates what it names and deletes nothing. A malformed file stops start-up with its line and field.' }),
] as const;

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const raw = env[setting.env] ?? setting.fallback;
    out[setting.key] = (setting.parse as Parser<unknown>)(raw.trim(), setting.env);
  }
  if (out.regions !== 'any') out.regions = [...new Set([out.region, ...(out.regions as readonly string[])])];
  const cfg = out as unknown as Config;
  if ((cfg.rootAccessKeyId === undefined) !== (cfg.rootSecretAccessKey === undefined)) {
    throw new ConfigError('COFFER_ROOT_ACCESS_KEY_ID and COFFER_ROOT_SECRET_ACCESS_KEY must be set together');
  }
  if ((cfg.tlsCert === undefined) !== (cfg.tlsKey === undefined)) {
    const [set, unset] = cfg.tlsCert === undefined ? ['COFFER_TLS_KEY', 'COFFER_TLS_CERT'] : ['COFFER_TLS_CERT', 'COFFER_TLS_KEY'];
    throw new ConfigError(`${set} is set but ${unset} is not: HTTPS needs both the certificate and its key (PEM files), plain HTTP neither`);
  }
  if (cfg.seal === 'pkcs11') {
    for (const [value, name] of [[cfg.pkcs11Module, 'COFFER_PKCS11_MODULE'], [cfg.sealPkcs11TokenLabel, 'COFFER_SEAL_PKCS11_TOKEN_LABEL'], [cfg.sealPkcs11Pin, 'COFFER_SEAL_PKCS11_PIN']] as const) {
      if (value === undefined) throw new ConfigError(`COFFER_SEAL=pkcs11 needs ${name}`);
    }
  }
  if (cfg.seal === 'passphrase' && cfg.rootPassphrase === undefined) throw new ConfigError('COFFER_SEAL=passphrase needs COFFER_ROOT_PASSPHRASE');
  if (cfg.requestTimeoutSeconds < cfg.headersTimeoutSeconds) {
    throw new ConfigError(`COFFER_REQUEST_TIMEOUT_S (${cfg.requestTimeoutSeconds}) must be at least COFFER_HEADERS_TIMEOUT_S (${cfg.headersTimeoutSeconds})`);
  }
  out.kmsQuotas = resolveKmsQuotas({ crypto: cfg.quotaCryptoRps, asymmetric: cfg.quotaAsymmetricRps, createKey: cfg.quotaCreateKeyRps, management: cfg.quotaManagement });
  return Object.freeze(cfg);
}
