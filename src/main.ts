/**
 * The composition root: reads the configuration, opens the data folder, unseals the root key,
 * builds the adapters and wires them into the server. The only file that knows every adapter.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config/config.ts';
import { accountRootArn, type Scope } from './core/arn.ts';
import { OffsetClock, systemClock } from './core/clock.ts';
import { SigV4Verifier } from './auth/sigv4.ts';
import { loadRootCredentials } from './adapters/credentials/root-credentials.ts';
import { createSqliteKeyRepository, openDatabase } from './adapters/storage/sqlite.ts';
import { openSoftwareKeyStore } from './adapters/keystore/software.ts';
import { loadOrCreateKeyFileSeal, loadOrCreatePassphraseSeal } from './crypto/seal.ts';
import { zero } from './crypto/bytes.ts';
import { Keyring } from './domain/keyring.ts';
import { UsageTracker } from './domain/usage.ts';
import { KMS_OPERATIONS } from './operations/registry.ts';
import type { Caller } from './operations/context.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { createHttpServer } from './server/http.ts';
import { createLogger } from './core/log.ts';
import { createPipeline } from './server/pipeline.ts';

function openDataDir(dir: string): string {
  const path = resolve(dir);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o700);
  return path;
}

async function main(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const dataDir = openDataDir(config.dataDir);
  const clock = config.testMode ? new OffsetClock() : undefined;
  const now = clock ?? systemClock;

  const seal = config.rootPassphrase !== undefined
    ? loadOrCreatePassphraseSeal(join(dataDir, 'root-key.salt'), config.rootPassphrase)
    : loadOrCreateKeyFileSeal(join(dataDir, 'root.key'));
  const db = openDatabase(join(dataDir, 'coffer.db'));
  const repo = createSqliteKeyRepository(db);
  const store = openSoftwareKeyStore(repo, seal.rootKey, () => now.now());
  zero(seal.rootKey);
  if (repo.getMeta('usage_tracking_start') === undefined) repo.transaction(() => repo.setMeta('usage_tracking_start', String(now.now())));

  const keyring = new Keyring(repo, store, now);
  const usage = new UsageTracker(repo);
  const scheduler = new Scheduler(keyring, usage, log);

  const root = loadRootCredentials(dataDir, { accessKeyId: config.rootAccessKeyId, secretAccessKey: config.rootSecretAccessKey });
  const rootCaller: Caller = {
    accountId: config.accountId, arn: accountRootArn({ partition: 'aws', accountId: config.accountId }), accessKeyId: root.accessKeyId,
    type: 'Root', userId: config.accountId, tags: {},
  };
  const verifier = new SigV4Verifier<Caller>({
    service: 'kms',
    isRegionAllowed: (r) => r === config.region,
    now: () => Date.now(),
    lookup: (akid) => (akid === root.accessKeyId ? { ...rootCaller, secretAccessKey: root.secretAccessKey } : undefined),
  });

  const handle = createPipeline({
    verifier,
    operations: KMS_OPERATIONS,
    log,
    context: (caller, region, requestId) => {
      const scope: Scope = { partition: 'aws', region, accountId: caller.accountId };
      return {
        requestId, caller, scope, keyring, clock: now, usage,
        request: { sourceIp: '127.0.0.1', userAgent: '', secureTransport: false },
        // Authorization arrives with the policy evaluator: until then the account root may do anything.
        authorizeKey: () => ({ via: 'unenforced' }),
        authorizeAccount: () => {},
        checkLockout: () => {},
      };
    },
  });
  let ready = false;
  const http = createHttpServer({
    handle,
    isReady: () => ready,
    log,
    ...(clock
      ? { advanceClock: (seconds: number) => { clock.advance(seconds * 1000); return { offsetSeconds: clock.offset / 1000, ...scheduler.tick() }; } }
      : {}),
  });

  await new Promise<void>((ok, fail) => {
    http.server.once('error', fail);
    http.server.listen(config.port, config.host, () => ok());
  });
  scheduler.start(config.schedulerIntervalMs);
  ready = true;
  const addr = http.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  if (root.file) console.log(`Root credentials (account ${config.accountId}): ${root.file}${root.created ? ' (generated)' : ''}`);
  if (config.testMode) console.log('TEST MODE: the clock can be moved forward through /_coffer/test/clock. Never use in production.');
  console.log(`Coffer listening on http://${config.host}:${port} (region ${config.region}, data ${dataDir})`);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    ready = false;
    log.info('shutting down', { signal });
    scheduler.stop();
    await http.stop();
    usage.flush();
    keyring.close();
    store.close();
    repo.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
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
