/**
 * One serving process, composed: opens the storage backend (SQLite in the data folder, or
 * PostgreSQL), unseals the root key, builds the adapters and wires them into the server. With
 * several writers on one storage (COFFER_WORKERS, nodes on one PostgreSQL) each process writes its
 * own audit chain, reads the others' change notices to keep its caches coherent, and runs the
 * scheduled work only while it holds the database's lease. main.ts decides whether this process
 * serves alone or as one of a primary's workers.
 */
import { join, resolve } from 'node:path';
import { openDataDir } from './data-dir.ts';
import type { Config } from './config/config.ts';
import { checkOpenFileLimit, readOpenFileLimit } from './config/open-file-limit.ts';
import { OffsetClock, systemClock } from './core/clock.ts';
import { Authenticator } from './auth/authenticator.ts';
import { loadRootCredentials } from './adapters/credentials/root-credentials.ts';
import { openSqliteBackend } from './adapters/backend/sqlite-backend.ts';
import type { Backend } from './adapters/backend/backend.ts';
import { openSealedKeyStore, sealSettingsFromConfig } from './adapters/keystore/open.ts';
import { loadPkcs11Module } from './adapters/pkcs11/load.ts';
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
import { readTlsCertificate, type TlsFiles } from './server/tls.ts';
import { announce, createLogger, type Logger } from './core/log.ts';
import { createPipeline, type PipelineDeps } from './server/pipeline.ts';
import { kmsCodec } from './server/kms-codec.ts';
import { queryCodec } from './server/query-codec.ts';
import { cloudTrailCodec } from './server/cloudtrail-codec.ts';
import { cloudHsmCodec } from './server/cloudhsm-codec.ts';
import { adminCodec } from './server/admin-codec.ts';
import { COFFER_ADMIN_OPERATIONS } from './operations/coffer/operations.ts';
import type { AdminAudit } from './operations/coffer/admin-audit.ts';
import { CLOUDHSM_OPERATIONS } from './operations/cloudhsm/registry.ts';
import { createCloudHsmContextFactory } from './operations/cloudhsm/factory.ts';
import { ClusterJobs } from './services/cluster-jobs.ts';
import type { HsmModule } from './ports/hsm.ts';
import { openMemoryHsmModule } from './adapters/hsm/memory-module.ts';
import { lazyPkcs11Module } from './adapters/pkcs11/load.ts';
import { buildClusterCsr, checkClusterInitialization } from './crypto/cluster-certificates.ts';
import { createRouter } from './server/route.ts';
import { Mutex } from './core/mutex.ts';
import { servesRegion, type ServedRegions } from './core/regions.ts';
import { notifyingStorage } from './services/committer.ts';
import { AwsManagedKeys } from './services/aws-managed-keys.ts';
import { unrecordedSink } from './audit/unrecorded.ts';
import { createMetrics } from './server/metrics.ts';
import { loadConsoleFiles } from './server/console-files.ts';
import { createRequestQuotas } from './server/request-quotas.ts';
import { chainLogPath, digestLogFileOf, openDigestLogs } from './adapters/audit/digest-log.ts';
import { pinPublicKeyFile, PUBLIC_KEY_FILE } from './adapters/audit/public-key-file.ts';
import { loadOrCreateSigningKey } from './audit/signing-key.ts';
import { AuditWriter } from './audit/writer.ts';
import { pruneTrail } from './audit/prune.ts';
import { healthReport, StorageHealth } from './server/health.ts';
import { Coherence, topicsOf } from './services/coherence.ts';
import type { AuditDigest } from './ports/audit.ts';
import { hostname } from 'node:os';
import { CustomKeyStores } from './services/custom-key-stores.ts';
import { routeTokenMaterial } from './services/token-key-store.ts';
import { readHsmPoolFile } from './adapters/hsm/pool-file.ts';
import { createClusterKeyService } from './services/cluster-keys.ts';
import { KEY_STATES } from './domain/key-states.ts';
import { readSeedFile } from './seed/file.ts';
import { SeedApplier } from './seed/apply.ts';
import { zeroSeedMaterial } from './seed/model.ts';

/** How this process serves: alone, or as worker `index` of `count` started by a primary process. */
export interface Role {
  readonly index: number;
  readonly count: number;
  /** Told once the process serves: what it would print (credential and key file lines). */
  readonly onReady?: ((lines: readonly string[], port: number) => void) | undefined;
}

/**
 * This process's audit chain and change-notice origin. On SQLite the first worker keeps the chain
 * '' (the one a data folder had before workers), the others `w<i>`; on PostgreSQL a node's chain is
 * its COFFER_NODE_ID (default host-port), and its workers' `<node>.w<i>`.
 */
export function chainOf(config: Config, role: Role): string {
  const worker = role.index > 1 ? `w${role.index}` : '';
  if (config.databaseUrl === undefined) return worker;
  // A node on a fixed port keeps its chain across restarts; one on a port picked at start (0) has no stable name but its process.
  const node = config.nodeId ?? `${hostname()}-${config.port === 0 ? `p${process.pid}` : config.port}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63);
  return worker === '' ? node : `${node}.${worker}`;
}

async function openBackend(config: Config, dataDir: string, role: Role, log: Logger): Promise<Backend> {
  if (config.databaseUrl !== undefined) {
    const { openPostgresBackend } = await import('./adapters/backend/postgres-backend.ts');
    return openPostgresBackend(config.databaseUrl, { poolSize: config.databasePoolSize, onWarning: (message) => log.warn('database', { problem: message }) });
  }
  return openSqliteBackend(join(dataDir, 'coffer.db'), {
    integrityCheck: config.storageIntegrityCheck,
    // A worker's primary holds the owner lock; the first worker checks the database for them all.
    ownerLock: role.count <= 1,
    checks: role.index <= 1,
    onWarning: (message) => log.warn('write-ahead log', { problem: message }),
    onCheckpointError: (cause) => log.warn('background WAL checkpoint failed', { cause }),
  });
}


export async function serve(config: Config, role: Role = { index: 1, count: 1 }): Promise<void> {
  checkOpenFileLimit(config.maxConnections, readOpenFileLimit());
  const log = createLogger(config.logLevel);
  // HTTPS: a certificate that cannot serve stops the start before the data folder is touched.
  const tlsFiles: TlsFiles | undefined = config.tlsCert !== undefined && config.tlsKey !== undefined ? { certFile: config.tlsCert, keyFile: config.tlsKey } : undefined;
  const tls = tlsFiles === undefined ? undefined : readTlsCertificate(tlsFiles);
  const served: ServedRegions = { home: config.region, only: config.regions === 'any' ? undefined : config.regions };
  // The seed file is read and checked as a whole before the data folder is touched; only the
  // first process applies it (workers after it find it applied).
  const seed = config.seedFile !== undefined && role.index <= 1
    ? readSeedFile(config.seedFile, { homeAccountId: config.accountId, region: config.region, servesRegion: (r) => servesRegion(served, r), ...(config.rootAccessKeyId !== undefined ? { rootAccessKeyId: config.rootAccessKeyId } : {}) })
    : undefined;
  const dataDir = openDataDir(config.dataDir);
  const clock = config.testMode ? new OffsetClock() : undefined;
  const now = clock ?? systemClock;

  const backend = await openBackend(config, dataDir, role, log);
  const chain = chainOf(config, role);
  // Several writers share the storage: each one's commits leave notices the others read.
  const shared = role.count > 1 || backend.kind === 'postgres';
  const origin = shared ? (chain === '' ? 'main' : chain) : undefined;
  const storageHealth = new StorageHealth(() => backend.probe(), (e: unknown) => backend.isFault(e));
  const repo = backend.keys;
  const auditStore = backend.audit(chain);
  // The audit public key exported at first start must still be the database's: checked before
  // anything is unsealed, so a replaced database (or key file) stops here with that said.
  const auditKeyFile = join(dataDir, PUBLIC_KEY_FILE);
  const auditKeyPinned = pinPublicKeyFile(auditKeyFile, await auditStore.signingKey(), backend.where);
  const store = await openSealedKeyStore(dataDir, sealSettingsFromConfig(config, loadPkcs11Module), (open) => backend.withDomainKeys(open), () => now.now());
  const auditSigner = await loadOrCreateSigningKey(auditStore, store, now.now());
  const auditKeyExported = auditKeyPinned === 'created' || pinPublicKeyFile(auditKeyFile, await auditStore.signingKey(), backend.where) === 'created';
  // The digest logs outside the database, brought up to it (a crash may have come between a
  // digest's commit and its append); one that disagrees with the database stops the start. Only
  // this process makes its chain's digests, so the list read now and each new one is all there is.
  const chainDigests: AuditDigest[] = await auditStore.digests();
  const digestLogs = openDigestLogs({
    paths: [join(dataDir, digestLogFileOf(chain)), ...(config.auditDigestLog !== undefined ? [chainLogPath(resolve(config.auditDigestLog), chain)] : [])],
    digestsFrom: (seqTo) => chainDigests.filter((d) => d.seqTo >= seqTo),
    onError: (path, e) => log.error('audit digest log not written; retried at the next digest', { path, cause: e instanceof Error ? e.message : String(e) }),
  });
  for (const l of digestLogs.catchUp()) {
    if (l.created && l.appended > 0) log.warn('audit digest log was missing: started it with the digests the database holds', { path: l.path, digests: l.appended });
  }

  const stateLock = new Mutex();
  const hsmPool = config.hsmPool !== undefined ? readHsmPoolFile(config.hsmPool) : undefined;
  const hsmModule: HsmModule | undefined = config.testMode && config.testHsm === 'memory' ? openMemoryHsmModule()
    : config.pkcs11Module !== undefined ? lazyPkcs11Module(config.pkcs11Module) : undefined;
  // What AWS_CLOUDHSM custom key stores use of the HSM clusters (ports/cluster-keys.ts).
  const clusterKeyService = createClusterKeyService({ clusters: backend.clusters, module: hsmModule, log });
  // AWS_CLOUDHSM custom key stores: their keys' material lives in the cluster's tokens (the KeyStore
  // below sends `cks:` material there); their state is derived for every key-state check.
  const customKeyStores = new CustomKeyStores({
    repo: backend.customKeyStores, clusters: clusterKeyService, secrets: store.secrets, lock: stateLock, log,
    // Every key version of a store (its blob under the cluster key), for HSMs added to the cluster.
    materialsOf: async (s) => {
      const out: { keyArn: string; materialId: string; blob: Buffer }[] = [];
      let after: string | undefined;
      for (;;) {
        const batch = await repo.listKeys(s.accountId, s.region, after, 1000);
        for (const k of batch.filter((x) => x.customKeyStoreId === s.id)) {
          for (const m of await repo.getMaterials(k.arn)) out.push({ keyArn: k.arn, materialId: m.materialId, blob: m.wrapped });
        }
        if (batch.length < 1000) return out;
        after = batch.at(-1)?.arn;
      }
    },
    commit: (changes) => stateLock.run(() => sink.commit(changes, undefined)),
  });
  const keyring = new Keyring(repo, routeTokenMaterial(store, (id) => customKeyStores.sessionsFor(id), { perSecond: config.quotaCustomKeyStoreRps, nowMs: () => performance.now() }), now);
  keyring.shownState = (k) => customKeyStores.stateOf(k);
  const root = loadRootCredentials(dataDir, { accessKeyId: config.rootAccessKeyId, secretAccessKey: config.rootSecretAccessKey });
  if (config.rootSecretAccessKey !== undefined && config.rootSecretAccessKey.length < 16) {
    log.warn('COFFER_ROOT_SECRET_ACCESS_KEY is shorter than 16 characters: fit for a test environment only', { length: config.rootSecretAccessKey.length });
  }
  // Identities: accounts, IAM, STS sessions. Every SigV4 lookup goes through the resolver.
  const identities = backend.identities(store.secrets);
  const credentials = new CredentialResolver(identities, { accountId: config.accountId, accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey });
  // Every commit (a request's change set with its record, a scheduler pass, a usage flush) tells the caches once it is durable.
  const storage = notifyingStorage(backend.storage(store.secrets, chain), [(c) => keyring.applyCommitted(c), (c) => credentials.applyCommitted(c), (c) => customKeyStores.applyCommitted(c)], origin);
  const coherence = origin === undefined ? undefined : new Coherence({
    feed: backend.feed(origin), listeners: [keyring, credentials, customKeyStores], intervalMs: config.coherencePollMs,
    onError: (e) => { log.warn('change notices could not be read', { cause: e instanceof Error ? e.message : String(e) }); storageHealth.report(e); },
  });
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
    onDigest: (d) => { chainDigests.push(d); digestLogs.append(d); },
    // Alone on its storage, a process may let a change be seen before its fsync: every answer
    // waits for it (audit/group-sync.ts). Where others read the storage, they could not wait.
    groupCommit: !shared,
  });
  const sink = config.auditEnabled ? audit : unrecordedSink(storage);
  const metrics = createMetrics({
    keysByState: () => backend.keysByState(), keyStates: KEY_STATES,
    cache: () => ({ hits: keyring.cacheHits, misses: keyring.cacheMisses }),
    audit: () => audit.stats(),
    http: () => http.stats(),
    database: backend.statements,
    repositoryReads: () => backend.repositoryReads(),
  });
  // State changes run one at a time (reads never wait): a change reads and writes a state no other change moves.
  const lock = stateLock;
  // Where the storage is shared, one process runs the due work: the lease's holder, which renews
  // it each pass; another takes over once it expires (a dead holder's after SCHEDULER_LEASE_MS).
  const leaseMs = 2 * config.schedulerIntervalMs + 5_000;
  // The HSM tier's module: COFFER_PKCS11_MODULE's library, loaded when an HSM is first used (so a
  // server that uses none never loads it); test mode may use an in-memory one (COFFER_TEST_HSM=memory).
  if (!config.testMode && config.testHsm !== 'none') log.warn('COFFER_TEST_HSM is ignored outside test mode');
  // The cluster jobs commit without a call record, like a scheduler pass.
  const clusterJobs = new ClusterJobs({
    clusters: backend.clusters, module: hsmModule, secrets: store.secrets, lock, clock: now, log,
    buildCsr: buildClusterCsr,
    commit: (changes) => lock.run(() => sink.commit(changes, undefined)),
    probeMs: config.hsmProbeMs,
    // An HSM's partitions are wiped only once the custom key stores' sessions on them are closed.
    closeSessions: (clusterId) => customKeyStores.closeCluster(clusterId),
  });
  const scheduler = new Scheduler({
    // Cluster jobs, then custom key stores' connect/disconnect steps (each runs even if the other failed).
    jobs: {
      run: async () => {
        const [clusters, stores] = [await clusterJobs.run().catch((e: unknown) => e), await customKeyStores.run()];
        if (typeof clusters !== 'number') throw clusters;
        return clusters + stores;
      },
    },
    onTokenKeysDeleted: (keys) => void customKeyStores.destroyTokenKeys(keys),
    keyring, usage, audit: sink, lock, log,
    lease: origin === undefined ? undefined : () => backend.leases.acquire('scheduler', origin, leaseMs),
    onEvent: (event) => metrics.observeSchedulerEvent(event),
    onRun: (seconds, failed) => metrics.observeSchedulerRun(seconds, failed),
  });

  const verifier = new Authenticator<Caller>({
    service: (s) => s === 'kms' || s === 'iam' || s === 'sts' || s === 'cloudtrail' || s === 'cloudhsm' || s === 'coffer',
    // IAM is global: clients sign it (and the global STS endpoint) for us-east-1 whatever the region.
    // A request for a region not served (COFFER_REGIONS) is InvalidSignatureException, as AWS answers a wrong scope.
    isRegionAllowed: (r, service) => (service === 'iam'
      ? r === 'us-east-1' || r === served.home || (served.only?.includes(r) ?? false)
      : servesRegion(served, r) || (service !== 'kms' && r === 'us-east-1')),
    now: () => Date.now(),
    resolve: (akid) => credentials.resolveAccessKey(akid),
    domainNow: () => now.now(),
  });
  const authorizer = new Authorizer(keyring, credentials, now);
  const awsManagedKeys = new AwsManagedKeys({ keyring, lock, audit: sink, clock: now });
  // The seed, applied before the server answers: each change committed with its audit record.
  let seedChanges: number | undefined;
  if (seed !== undefined) {
    try {
      seedChanges = await new SeedApplier(seed, { keyring, identities, audit: sink, lock, clock: now }).run();
    } finally {
      zeroSeedMaterial(seed);
    }
    log.info('seed applied', { file: seed.file, changes: seedChanges });
  }
  const services: KmsServices = { regions: served, keyring, clock: now, usage, authorizer, customKeyStores, kick: () => scheduler.kick(), awsManagedKeys };
  const quota = createRequestQuotas(config.kmsQuotas);
  const pipeline: PipelineDeps = {
    verifier, audit: sink, lock, log, region: config.region, onUnexpected: (cause) => storageHealth.report(cause),
    // Another writer changed what this change set read: drop it from the caches before running again.
    onConflict: (changes) => { const topics = topicsOf(changes); keyring.invalidate(topics); credentials.invalidate(topics); },
    // AWS's request quotas are KMS's (IAM, STS and CloudTrail have none here).
    quota: (service, accountId, region, operation) => { if (service === 'kms') quota(accountId, region, operation); },
    onRefusedAuthentication: (r) => {
      // Logged (warn) and counted: whoever probes with keys that do not work shows up in both.
      log.warn('authentication refused', { accessKeyId: r.accessKeyId, operation: r.operation, error: r.code, sourceIp: r.sourceIp });
      metrics.observeRefusedAuthentication(r.accessKeyId, r.operation, r.code);
    },
  };
  const kmsHandle = createPipeline(pipeline, kmsCodec(KMS_OPERATIONS,
    (caller, region, requestId, request, resources, uow) => new KmsRequestContext(services, caller, region, requestId, request, resources, uow)));
  const queryHandle = createPipeline(pipeline, queryCodec(QUERY_OPERATIONS, createQueryContextFactory({ identities, credentials, clock: now })));
  const cloudTrailHandle = createPipeline(pipeline, cloudTrailCodec((caller, region, request) => ({
    caller, region, store: auditStore, flush: () => audit.flush(),
    authorize: (action) => authorizer.authorizeAccount(caller, request, action, '*'),
  })));
  const cloudHsmHandle = createPipeline(pipeline, cloudHsmCodec(CLOUDHSM_OPERATIONS, createCloudHsmContextFactory({
    authorizer, clusters: backend.clusters, secrets: store.secrets, clock: now, hsmModule: hsmModule !== undefined, hsmPool, module: hsmModule, loginAttempts: config.hsmLoginAttempts,
    checkCertificates: (csrPem, signedCertPem, trustAnchorPem, at) => checkClusterInitialization({ csrPem, signedCertPem, trustAnchorPem, now: at }),
    kick: () => scheduler.kick(),
  })));
  // Coffer's admin API (accounts, the audit trail): the home account's principals, authorized by their IAM policies.
  // The trail is every chain of the storage (each writer's), as the offline `coffer audit` reads it.
  const trailChains = async (): Promise<string[]> => { const c = await auditStore.chains(); return c.includes(chain) ? c : [chain, ...c]; };
  const chainStore = (c: string) => (c === chain ? auditStore : backend.audit(c));
  const adminAudit: AdminAudit = {
    chains: trailChains,
    store: chainStore,
    flush: () => audit.flush(),
    prune: async (beforeMs) => pruneTrail(await trailChains(), chainStore, beforeMs),
  };
  const adminHandle = createPipeline(pipeline, adminCodec(COFFER_ADMIN_OPERATIONS, (caller, request, uow) => ({
    caller, request, uow, homeAccountId: config.accountId, accounts: identities, audit: adminAudit, now: () => now.now(),
    authorizeAccount: (action, resource) => authorizer.authorizeAccount(caller, request, action, resource),
  })));
  const handle = createRouter({ kms: kmsHandle, query: queryHandle, cloudtrail: cloudTrailHandle, cloudhsm: cloudHsmHandle, coffer: adminHandle });
  let state: 'starting' | 'ready' | 'stopping' = 'starting';
  const http = createHttpServer({
    handle,
    health: () => healthReport(state, [() => backend.problem?.(), () => storageHealth.problem(), () => (config.auditEnabled ? audit.problem() : undefined)]),
    log,
    metrics: () => metrics.render(),
    // dist/console, whether this runs as dist/main.js or as src/serve.ts through tsx.
    console: loadConsoleFiles(resolve(import.meta.dirname, '..', 'dist', 'console')),
    onAnswer: (a, seconds) => metrics.observeRequest(a.operation, a.errorCode, seconds),
    limits: {
      maxConnections: config.maxConnections, headersTimeoutMs: config.headersTimeoutSeconds * 1000,
      requestTimeoutMs: config.requestTimeoutSeconds * 1000, keepAliveTimeoutMs: config.keepAliveTimeoutSeconds * 1000,
      admissionQueueMs: config.admissionQueueMs,
    },
    ...(tls !== undefined ? { tls } : {}),
    ...(clock
      ? {
        advanceClock: async (seconds: number) => { clock.advance(seconds * 1000); return { offsetSeconds: clock.offset / 1000, ...await scheduler.tick() }; },
        ...(backend.limitPages !== undefined ? { limitStorage: backend.limitPages } : {}),
      }
      : {}),
  });

  // SIGHUP reads the certificate and key again (a renewal needs no restart); a pair that cannot
  // serve is logged and the one in use stays. Without TLS, SIGHUP keeps Node's default (exit).
  if (tlsFiles !== undefined) {
    process.on('SIGHUP', () => {
      try {
        const c = readTlsCertificate(tlsFiles);
        http.setCertificate(c);
        log.info('TLS certificate reloaded', { subject: c.subject, serialNumber: c.serialNumber, validTo: c.validTo });
      } catch (e) {
        log.error('TLS certificate not reloaded: the one in use stays', { cause: e instanceof Error ? e.message : String(e) });
      }
    });
  }
  await new Promise<void>((ok, fail) => {
    http.server.once('error', fail);
    http.server.listen(config.port, config.host, () => ok());
  });
  scheduler.start(config.schedulerIntervalMs);
  // The HSM health probe runs with the cluster jobs (on the lease holder): a kick at its interval.
  const probeTimer = hsmModule === undefined ? undefined : setInterval(() => scheduler.kick(), config.hsmProbeMs);
  probeTimer?.unref();
  audit.start();
  coherence?.start();
  state = 'ready';
  const addr = http.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const lines = [
    ...(root.file ? [`Root credentials (account ${config.accountId}): ${root.file}${root.created ? ' (generated)' : ''}`] : []),
    ...(auditKeyExported ? [`Audit public key: ${auditKeyFile} (keep a copy off this machine; \`audit verify --public-key\` pins it)`] : []),
    ...(seed !== undefined ? [`Seed ${seed.file}: ${seedChanges === 0 ? 'nothing to change' : `${seedChanges} change${seedChanges === 1 ? '' : 's'} applied`}`] : []),
    ...(config.testMode ? ['TEST MODE: the clock can be moved forward through /_coffer/test/clock. Never use in production.'] : []),
  ];
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
    await step('stopping the scheduler', () => { if (probeTimer !== undefined) clearInterval(probeTimer); scheduler.stop(); });
    await step('stopping change notices', () => coherence?.stop());
    await step('finishing requests', () => http.stop());
    await step('writing key usage', () => usage.flush());
    await step('writing the audit trail', () => audit.close());
    await step('closing custom key store sessions', () => customKeyStores.closeAll());
    await step('closing the HSM module', () => hsmModule?.close());
    await step('closing the key store', () => store.close());
    await step('releasing the scheduler lease', () => (origin !== undefined ? backend.leases.release('scheduler', origin) : undefined));
    await step('closing the database', () => backend.close());
    storageHealth.stop();
    if (failures > 0) log.error('shut down with failures: records or usage not yet written are lost', { failures });
    log.flush?.();
    process.exit(failures > 0 ? 1 : 0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Announced only once a signal would stop the server gracefully.
  if (role.onReady !== undefined) {
    role.onReady(lines, port);
    return;
  }
  for (const l of lines) announce(l);
  announce(`Coffer listening on ${tls !== undefined ? 'https' : 'http'}://${config.host}:${port} (region ${config.region}, data ${dataDir}${backend.kind === 'postgres' ? `, database ${backend.where}` : ''})`);
}

