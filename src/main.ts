/**
 * The composition root's entry: reads the configuration once and serves, in this process
 * (serve.ts), or, with COFFER_WORKERS above 1, as the primary of that many worker processes
 * (primary.ts) each of which serves. The only files that know every adapter are here, at the top
 * of src/.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig } from './config/config.ts';
import { serve } from './serve.ts';
import { runPrimary, type ReadyMessage } from './primary.ts';
import { checkPortFree } from './server/port-check.ts';
import { TlsFileError } from './server/tls.ts';

try {
  const config = loadConfig();
  const count = config.workers === 0 ? availableParallelism() : config.workers;
  // A worker listens on the primary's port (node:cluster shares it): only the first process checks.
  if (!cluster.isWorker) await checkPortFree(config.host, config.port);
  if (count > 1 && cluster.isPrimary) {
    await runPrimary(config, count);
  } else if (cluster.isWorker) {
    await serve(config, {
      index: config.workerIndex, count,
      onReady: (lines, port) => { const m: ReadyMessage = { kind: 'coffer-ready', lines, port }; process.send?.(m); },
    });
  } else {
    await serve(config);
  }
} catch (e) {
  if (e instanceof ConfigError || e instanceof TlsFileError) {
    console.error(`Configuration error: ${e.message}`);
  } else {
    console.error(`Coffer failed to start: ${e instanceof Error ? e.message : String(e)}`);
  }
  process.exit(1);
}
