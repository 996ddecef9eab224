/**
 * The composition root: reads the configuration, opens the data folder, unseals the root key,
 * builds the adapters and wires them into the server. The only file that knows every adapter.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config/config.ts';
import { checkOpenFileLimit, readOpenFileLimit } from './config/open-file-limit.ts';
import { OffsetClock, systemClock } from './core/clock.ts';
import { Authenticator } from './auth/authenticator.ts';
import { loadRootCredentials } from './adapters/credentials/root-credentials.ts';
import { closeDatabase, limitPages, openDatabase, probeWrite } from './adapters/storage/sqlite.ts';
import { createSqliteKeyRepository, sqliteDomainKeys } from './adapters/storage/sqlite-keys.ts';
import { createSqliteStorage } from './adapters/storage/sqlite-storage.ts';
import { startCheckpointer } from './adapters/storage/sqlite-checkpointer.ts';
import { createSqliteIdentityRepository } from './adapters/storage/sqlite-identity.ts';
import { openSealedKeyStore } from './adapters/keystore/open.ts';
import { Keyring } from './services/keyring.ts';
import { Authorizer } from './services/authorizer.ts';
import { UsageTracker } from './services/usage.ts';
import { CredentialResolver } from './services/credentials.ts';
import { KMS_OPERATIONS } from './operations/registry.ts';
import { QUERY_OPERATIONS } from './operations/query-registry.ts';
import { createQueryContextFactory } from './operations/identity-authorization.ts';
import type { Caller } from './operations/context.ts';
import { KmsRequestContext, type KmsServices } from './operations/kms-context.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { createHttpServer } from './server/http.ts';
import { createLogger } from './core/log.ts';
import { createPipeline, type PipelineDeps } from './server/pipeline.ts';
import { kmsCodec } from './server/kms-codec.ts';
import { queryCodec } from './server/query-codec.ts';
import { cloudTrailCodec } from './server/cloudtrail-codec.ts';
import { createRouter } from './server/route.ts';
import { Mutex } from './core/mutex.ts';
import { notifyingStorage } from './services/committer.ts';
import { unrecordedSink } from './audit/unrecorded.ts';
import { createMetrics } from './server/metrics.ts';
import { createRequestQuotas } from './server/request-quotas.ts';
import { createSqliteAuditStore, sqliteDigestsFrom } from './adapters/audit/sqlite-audit.ts';
import { DIGEST_LOG_FILE, openDigestLogs } from './adapters/audit/digest-log.ts';
import { pinPublicKeyFile, PUBLIC_KEY_FILE } from './adapters/audit/public-key-file.ts';
import { createKeyStateCounter } from './adapters/storage/sqlite-stats.ts';
import { loadOrCreateSigningKey } from './audit/signing-key.ts';
import { AuditWriter } from './audit/writer.ts';
import { healthReport, StorageHealth } from './server/health.ts';

/** How often the helper thread checkpoints the WAL into the database. */
const CHECKPOINT_INTERVAL_MS = 100;

function openDataDir(dir: string): string {
  // Everything Coffer creates (database, WAL, seal, credentials, exports) is private to its user.
  process.umask(0o077);
  const path = resolve(dir);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
  return path;
}

async function main(config: Config): Promise<void> {
  checkOpenFileLimit(config.maxConnections, readOpenFileLimit());
  const log = createLogger(config.logLevel);
  const dataDir = openDataDir(config.dataDir);
  const clock = config.testMode ? new OffsetClock() : undefined;
  const now = clock ?? systemClock;

  const db = openDatabase(join(dataDir, 'coffer.db'), {
    integrityCheck: config.storageIntegrityCheck,
    onWarning: (message) => log.warn('write-ahead log', { problem: message }),
  });
  const storageHealth = new StorageHealth(() => probeWrite(db));
  const checkpointer = startCheckpointer(db, CHECKPOINT_INTERVAL_MS, (cause) => log.warn('background WAL checkpoint failed', { cause }));
  const repo = createSqliteKeyRepository(db);
  const auditStore = createSqliteAuditStore(db);
  // The audit public key exported at first start must still be the database's: checked before
  // anything is unsealed, so a replaced database (or key file) stops here with that said.
  const auditKeyFile = join(dataDir, PUBLIC_KEY_FILE);
  const auditKeyPinned = pinPublicKeyFile(auditKeyFile, await auditStore.signingKey(), join(dataDir, 'coffer.db'));
  const store = openSealedKeyStore(dataDir, config.rootPassphrase, sqliteDomainKeys(db), () => now.now());
  const auditSigner = await loadOrCreateSigningKey(auditStore, store, now.now());
  const auditKeyExported = auditKeyPinned === 'created' || pinPublicKeyFile(auditKeyFile, await auditStore.signingKey(), join(dataDir, 'coffer.db')) === 'created';
  // The digest logs outside the database, brought up to it (a crash may have come between a
  // digest's commit and its append); one that disagrees with the database stops the start.
  const digestLogs = openDigestLogs({
    paths: [join(dataDir, DIGEST_LOG_FILE), ...(config.auditDigestLog !== undefined ? [resolve(config.auditDigestLog)] : [])],
    digestsFrom: sqliteDigestsFrom(db),
    onError: (path, e) => log.error('audit digest log not written; retried at the next digest', { path, cause: e instanceof Error ? e.message : String(e) }),
  });
  for (const l of digestLogs.catchUp()) {
    if (l.created && l.appended > 0) log.warn('audit digest log was missing: started it with the digests the database holds', { path: l.path, digests: l.appended });
  }

  const keyring = new Keyring(repo, store, now);
  const root = loadRootCredentials(dataDir, { accessKeyId: config.rootAccessKeyId, secretAccessKey: config.rootSecretAccessKey });
  // Identities: accounts, IAM, STS sessions. Every SigV4 lookup goes through the resolver.
  const identities = createSqliteIdentityRepository(db, store.secrets);
  const credentials = new CredentialResolver(identities, { accountId: config.accountId, accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey });
  // Every commit (a request's change set with its record, a scheduler pass, a usage flush) tells the caches once it is durable.
  const storage = notifyingStorage(createSqliteStorage(db, store.secrets), [(c) => keyring.applyCommitted(c), (c) => credentials.applyCommitted(c)]);
  await storage.commit({
    changes: [
      { kind: 'addAccount', account: { accountId: config.accountId, createDate: now.now() } },
      ...(await repo.getMeta('usage_tracking_start') === undefined ? [{ kind: 'setMeta' as const, name: 'usage_tracking_start', value: String(now.now()) }] : []),
    ],
  });
  const usage = new UsageTracker(repo, storage);
  // The audit trail: state changes commit with their record; read-only calls are group-committed.
  const audit = await AuditWriter.open({
    store: auditStore, storage, signer: auditSigner, clock: now, defaultAccountId: config.accountId,
    flushMs: config.auditFlushMs, digestEveryRecords: 10_000, digestIntervalMs: config.auditDigestIntervalSeconds * 1000,
    retentionDays: config.auditRetentionDays,
    onError: (what, e) => { log.error(what, { cause: e instanceof Error ? e.message : String(e) }); storageHealth.report(e); },
    onFailure: config.auditOnFailure, maxQueueRecords: config.auditQueueMaxRecords, maxQueueAgeMs: config.auditQueueMaxSeconds * 1000,
    onDigest: (d) => digestLogs.append(d),
  });
  const sink = config.auditEnabled ? audit : unrecordedSink(storage);
  const metrics = createMetrics({
    keysByState: createKeyStateCounter(db),
    cache: () => ({ hits: keyring.cacheHits, misses: keyring.cacheMisses }),
    audit: () => audit.stats(),
    http: () => http.stats(),
  });
  // State changes run one at a time (reads never wait): a change reads and writes a state no other change moves.
  const lock = new Mutex();
  const scheduler = new Scheduler({
    keyring, usage, audit: sink, lock, log,
    onEvent: (event) => metrics.observeSchedulerEvent(event),
    onRun: (seconds, failed) => metrics.observeSchedulerRun(seconds, failed),
  });

  const verifier = new Authenticator<Caller>({
    service: (s) => s === 'kms' || s === 'iam' || s === 'sts' || s === 'cloudtrail',
    // IAM is global: clients sign it (and the global STS endpoint) for us-east-1 whatever the region.
    // A KMS request for a region not in COFFER_REGIONS is InvalidSignatureException, as AWS answers a wrong scope.
    isRegionAllowed: (r, service) => config.regions.includes(r) || (service !== 'kms' && r === 'us-east-1'),
    now: () => Date.now(),
    resolve: (akid) => credentials.resolveAccessKey(akid),
    domainNow: () => now.now(),
  });
  const authorizer = new Authorizer(keyring, credentials, now);
  const services: KmsServices = { regions: config.regions, keyring, clock: now, usage, authorizer };
  const quota = createRequestQuotas(config.kmsQuotas);
  const pipeline: PipelineDeps = {
    verifier, audit: sink, lock, log, region: config.region, onUnexpected: (cause) => storageHealth.report(cause),
    // AWS's request quotas are KMS's (IAM, STS and CloudTrail have none here).
    quota: (service, accountId, region, operation) => { if (service === 'kms') quota(accountId, region, operation); },
  };
  const kmsHandle = createPipeline(pipeline, kmsCodec(KMS_OPERATIONS,
    (caller, region, requestId, request, resources, uow) => new KmsRequestContext(services, caller, region, requestId, request, resources, uow)));
  const queryHandle = createPipeline(pipeline, queryCodec(QUERY_OPERATIONS, createQueryContextFactory({ identities, credentials, clock: now })));
  const cloudTrailHandle = createPipeline(pipeline, cloudTrailCodec((caller, request) => ({
    caller, store: auditStore, flush: () => audit.flush(),
    authorize: (action) => authorizer.authorizeAccount(caller, request, action, '*'),
  })));
  const handle = createRouter({ kms: kmsHandle, query: queryHandle, cloudtrail: cloudTrailHandle });
  let state: 'starting' | 'ready' | 'stopping' = 'starting';
  const http = createHttpServer({
    handle,
    health: () => healthReport(state, [() => storageHealth.problem(), () => (config.auditEnabled ? audit.problem() : undefined)]),
    log,
    metrics: () => metrics.render(),
    onAnswer: (a, seconds) => metrics.observeRequest(a.operation, a.errorCode, seconds),
    limits: {
      maxConnections: config.maxConnections, headersTimeoutMs: config.headersTimeoutSeconds * 1000,
      requestTimeoutMs: config.requestTimeoutSeconds * 1000, keepAliveTimeoutMs: config.keepAliveTimeoutSeconds * 1000,
      admissionQueueMs: config.admissionQueueMs,
    },
    ...(clock
      ? {
        advanceClock: async (seconds: number) => { clock.advance(seconds * 1000); return { offsetSeconds: clock.offset / 1000, ...await scheduler.tick() }; },
        limitStorage: (maxPageCount: number | null) => limitPages(db, maxPageCount),
      }
      : {}),
  });

  await new Promise<void>((ok, fail) => {
    http.server.once('error', fail);
    http.server.listen(config.port, config.host, () => ok());
  });
  scheduler.start(config.schedulerIntervalMs);
  audit.start();
  state = 'ready';
  const addr = http.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  if (root.file) console.log(`Root credentials (account ${config.accountId}): ${root.file}${root.created ? ' (generated)' : ''}`);
  if (auditKeyExported) console.log(`Audit public key: ${auditKeyFile} (keep a copy off this machine; \`audit verify --public-key\` pins it)`);
  if (config.testMode) console.log('TEST MODE: the clock can be moved forward through /_coffer/test/clock. Never use in production.');
  let stopping = false;
  // Every step runs whatever the ones before it did (a full disk fails the usage flush and the
  // audit's last flush): the process always finishes its shutdown, and says what failed.
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    state = 'stopping';
    log.info('shutting down', { signal });
    let failures = 0;
    const step = async (what: string, fn: () => unknown): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        failures++;
        log.error(`shutdown: ${what} failed`, { cause: e instanceof Error ? e.message : String(e) });
      }
    };
    await step('stopping the scheduler', () => scheduler.stop());
    await step('finishing requests', () => http.stop());
    await step('writing key usage', () => usage.flush());
    await step('writing the audit trail', () => audit.close());
    await step('closing the key store', () => store.close());
    await step('stopping the checkpointer', () => checkpointer.stop());
    await step('closing the database', () => closeDatabase(db));
    storageHealth.stop();
    if (failures > 0) log.error('shut down with failures: records or usage not yet written are lost', { failures });
    log.flush?.();
    process.exit(failures > 0 ? 1 : 0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Announced only once a signal would stop the server gracefully.
  console.log(`Coffer listening on http://${config.host}:${port} (region ${config.region}, data ${dataDir})`);
}

try {
  await main(loadConfig());
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`Configuration error: ${e.message}`);
  } else {
    console.error(`Coffer failed to start: ${e instanceof Error ? e.message : String(e)}`);
  }
  process.exit(1);
}
