/**
 * Prometheus metrics (prom-client), served unauthenticated at GET /metrics like /health: request
 * counts by operation and error, latency histograms, keys by state, the key cache's hit ratio,
 * scheduler runs, and the audit queue's depth and lag. Sources that need a read (keys by state)
 * are asked only when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KeyCount } from '../ports/key-repository.ts';

export interface MetricSources {
  /** Keys per account, region and state, read at scrape time. */
  readonly keysByState: () => readonly KeyCount[] | Promise<readonly KeyCount[]>;
  /** Every key state, so that each account and region shows each one (0 where it has none). */
  readonly keyStates: readonly string[];
  readonly cache: () => { readonly hits: number; readonly misses: number };
  readonly audit: () => { readonly queueDepth: number; readonly lagSeconds: number; readonly recordsWritten: number; readonly flushes: number; readonly digests: number; readonly groupCommits: number; readonly groupSyncs: number };
  /** The HTTP listener's connections and admission control (http.ts `stats`). */
  readonly http?: () => { readonly open: number; readonly busy: number; readonly evicted: number; readonly refused: number; readonly shed: number };
  /** Reads through the key and identity repositories (either backend). */
  readonly repositoryReads?: (() => number) | undefined;
  /** Statements sent to the database server (PostgreSQL), by kind. */
  readonly database?: (() => { readonly reads: number; readonly writes: number }) | undefined;
}

/** How many distinct claimed access key ids get a label of their own in coffer_authentication_refused_total. */
const ACCESS_KEY_LABELS = 100;

export interface Metrics {
  observeRequest(operation: string | undefined, errorCode: string | undefined, seconds: number): void;
  observeSchedulerRun(seconds: number, failed: boolean): void;
  observeSchedulerEvent(event: string): void;
  /** A request refused because its caller could not be authenticated (the access key it claimed, the operation it tried, the error). */
  observeRefusedAuthentication(accessKeyId: string | undefined, operation: string, errorCode: string): void;
  render(): Promise<{ contentType: string; body: string }>;
}

/** A counter whose value is a running total kept elsewhere, read when scraped. */
function counterOf(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
}

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'coffer_' });
  const requests = new Counter({
    name: 'coffer_requests_total', help: 'API requests by operation and error code (error="" for success).',
    labelNames: ['operation', 'error'] as const, registers: [registry],
  });
  const latency = new Histogram({
    name: 'coffer_request_duration_seconds', help: 'Time from request body received to answer, by operation.',
    labelNames: ['operation'] as const, registers: [registry],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  });
  /** The label children of each (operation, error), looked up once rather than hashed per request. */
  const perRequest = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();
  const schedulerRuns = new Counter({ name: 'coffer_scheduler_runs_total', help: 'Scheduler runs by result.', labelNames: ['result'] as const, registers: [registry] });
  const schedulerSeconds = new Histogram({ name: 'coffer_scheduler_run_duration_seconds', help: 'Duration of scheduler runs.', registers: [registry], buckets: [0.001, 0.01, 0.1, 1, 10] });
  const refused = new Counter({
    name: 'coffer_authentication_refused_total',
    help: `Requests refused because the caller could not be authenticated, by the access key id claimed (the first ${ACCESS_KEY_LABELS} distinct ones; "other" after them, "none" without one), the operation tried and the error.`,
    labelNames: ['access_key_id', 'operation', 'error'] as const, registers: [registry],
  });
  /** The access key ids given a label of their own: bounded, since anyone can claim any id. */
  const keyLabels = new Set<string>();
  const schedulerEvents = new Counter({ name: 'coffer_scheduler_events_total', help: 'Scheduled work done, by event (DeleteKey, RotateKey, ...).', labelNames: ['event'] as const, registers: [registry] });
  new Gauge({
    name: 'coffer_keys', help: 'KMS keys by account, region and key state (every state of each account and region that has keys, 0 where none).',
    labelNames: ['account', 'region', 'state'] as const, registers: [registry],
    async collect() {
      const counts = await sources.keysByState();
      this.reset();
      const scopes = new Set(counts.map((c) => `${c.accountId}\n${c.region}`));
      for (const scope of scopes) {
        const [account = '', region = ''] = scope.split('\n');
        for (const state of sources.keyStates) this.set({ account, region, state }, 0);
      }
      for (const c of counts) this.set({ account: c.accountId, region: c.region, state: c.state }, c.n);
    },
  });
  new Gauge({
    name: 'coffer_key_cache_hit_ratio', help: 'Share of key and key-material lookups answered from memory since start.', registers: [registry],
    collect() {
      const { hits, misses } = sources.cache();
      this.set(hits + misses === 0 ? 1 : hits / (hits + misses));
    },
  });
  counterOf(registry, 'coffer_key_cache_hits_total', 'Key and key-material lookups answered from memory since start.', () => sources.cache().hits);
  counterOf(registry, 'coffer_key_cache_misses_total', 'Key and key-material lookups that read the database since start.', () => sources.cache().misses);
  new Gauge({ name: 'coffer_audit_queue_depth', help: 'Audit records not yet written to the database.', registers: [registry], collect() { this.set(sources.audit().queueDepth); } });
  new Gauge({ name: 'coffer_audit_lag_seconds', help: 'Age of the oldest audit record not yet written to the database.', registers: [registry], collect() { this.set(sources.audit().lagSeconds); } });
  counterOf(registry, 'coffer_audit_records_written_total', 'Audit records written since start.', () => sources.audit().recordsWritten);
  counterOf(registry, 'coffer_audit_flushes_total', 'Audit group commits since start.', () => sources.audit().flushes);
  counterOf(registry, 'coffer_audit_digests_total', 'Signed audit digests written since start.', () => sources.audit().digests);
  counterOf(registry, 'coffer_group_commits_total', 'State changes committed before their fsync, answered once a shared sync made them durable.', () => sources.audit().groupCommits);
  counterOf(registry, 'coffer_group_syncs_total', 'Syncs that made group-committed state changes durable (each covers one or more).', () => sources.audit().groupSyncs);
  const repositoryReads = sources.repositoryReads;
  if (repositoryReads) {
    counterOf(registry, 'coffer_repository_reads_total', 'Reads through the key and identity repositories since start (a warm Encrypt, Decrypt, GenerateDataKey or Sign makes none).', repositoryReads);
  }
  const database = sources.database;
  if (database) {
    new Counter({
      name: 'coffer_database_statements_total', help: 'Statements sent to the database server since start, by kind (read: answers rows; write: the others, BEGIN and COMMIT included).',
      labelNames: ['kind'] as const, registers: [registry],
      collect() { const d = database(); this.reset(); this.inc({ kind: 'read' }, d.reads); this.inc({ kind: 'write' }, d.writes); },
    });
  }
  const http = sources.http;
  if (http) {
    new Gauge({ name: 'coffer_http_connections', help: 'Open client connections.', registers: [registry], collect() { this.set(http().open); } });
    new Gauge({ name: 'coffer_http_connections_busy', help: 'Client connections with a request in progress.', registers: [registry], collect() { this.set(http().busy); } });
    counterOf(registry, 'coffer_http_connections_evicted_total', 'Idle connections closed to admit a new one at COFFER_MAX_CONNECTIONS, since start.', () => http().evicted);
    counterOf(registry, 'coffer_http_connections_refused_total', 'New connections refused at COFFER_MAX_CONNECTIONS because every connection was busy, since start.', () => http().refused);
    counterOf(registry, 'coffer_admission_shed_total', 'Requests answered ThrottlingException by admission control (before authentication), since start.', () => http().shed);
  }

  return {
    observeRequest(operation, errorCode, seconds) {
      const op = operation ?? 'unknown';
      const error = errorCode ?? '';
      const key = `${op}\n${error}`;
      let series = perRequest.get(key);
      if (series === undefined) {
        // Operation names and error codes come from fixed lists, so this map stays small.
        series = { count: requests.labels(op, error), duration: latency.labels(op) };
        perRequest.set(key, series);
      }
      series.count.inc();
      series.duration.observe(seconds);
    },
    observeSchedulerRun(seconds, failed) {
      schedulerRuns.inc({ result: failed ? 'failed' : 'ok' });
      schedulerSeconds.observe(seconds);
    },
    observeSchedulerEvent(event) {
      schedulerEvents.inc({ event });
    },
    observeRefusedAuthentication(accessKeyId, operation, errorCode) {
      let key = accessKeyId === undefined ? 'none' : accessKeyId;
      if (key !== 'none' && !keyLabels.has(key)) {
        if (keyLabels.size < ACCESS_KEY_LABELS) keyLabels.add(key);
        else key = 'other';
      }
      refused.inc({ access_key_id: key, operation, error: errorCode });
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
