/**
 * Prometheus metrics (prom-client), served unauthenticated at GET /metrics like /health: request
 * counts by operation and error, latency histograms, keys by state, the key cache's hit ratio,
 * scheduler runs, and the audit queue's depth and lag. Sources that need a read (keys by state)
 * are asked only when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricSources {
  /** Keys per state, read at scrape time. */
  readonly keysByState: () => ReadonlyMap<string, number> | Promise<ReadonlyMap<string, number>>;
  readonly cache: () => { readonly hits: number; readonly misses: number };
  readonly audit: () => { readonly queueDepth: number; readonly lagSeconds: number; readonly recordsWritten: number; readonly flushes: number; readonly digests: number };
  /** The HTTP listener's connections and admission control (http.ts `stats`). */
  readonly http?: () => { readonly open: number; readonly busy: number; readonly evicted: number; readonly refused: number; readonly shed: number };
  /** Reads through the key and identity repositories (either backend). */
  readonly repositoryReads?: (() => number) | undefined;
  /** Statements sent to the database server (PostgreSQL), by kind. */
  readonly database?: (() => { readonly reads: number; readonly writes: number }) | undefined;
}

export interface Metrics {
  observeRequest(operation: string | undefined, errorCode: string | undefined, seconds: number): void;
  observeSchedulerRun(seconds: number, failed: boolean): void;
  observeSchedulerEvent(event: string): void;
  render(): Promise<{ contentType: string; body: string }>;
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
  const schedulerEvents = new Counter({ name: 'coffer_scheduler_events_total', help: 'Scheduled work done, by event (DeleteKey, RotateKey, ...).', labelNames: ['event'] as const, registers: [registry] });
  new Gauge({
    name: 'coffer_keys', help: 'KMS keys by key state.', labelNames: ['state'] as const, registers: [registry],
    async collect() {
      const counts = await sources.keysByState();
      this.reset();
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'coffer_key_cache_hit_ratio', help: 'Share of key and key-material lookups answered from memory since start.', registers: [registry],
    collect() {
      const { hits, misses } = sources.cache();
      this.set(hits + misses === 0 ? 1 : hits / (hits + misses));
    },
  });
  new Gauge({ name: 'coffer_key_cache_hits', help: 'Key and key-material lookups answered from memory since start.', registers: [registry], collect() { this.set(sources.cache().hits); } });
  new Gauge({ name: 'coffer_key_cache_misses', help: 'Key and key-material lookups that read the database since start.', registers: [registry], collect() { this.set(sources.cache().misses); } });
  new Gauge({ name: 'coffer_audit_queue_depth', help: 'Audit records not yet written to the database.', registers: [registry], collect() { this.set(sources.audit().queueDepth); } });
  new Gauge({ name: 'coffer_audit_lag_seconds', help: 'Age of the oldest audit record not yet written to the database.', registers: [registry], collect() { this.set(sources.audit().lagSeconds); } });
  new Gauge({ name: 'coffer_audit_records_written', help: 'Audit records written since start.', registers: [registry], collect() { this.set(sources.audit().recordsWritten); } });
  new Gauge({ name: 'coffer_audit_flushes', help: 'Audit group commits since start.', registers: [registry], collect() { this.set(sources.audit().flushes); } });
  new Gauge({ name: 'coffer_audit_digests', help: 'Signed audit digests written since start.', registers: [registry], collect() { this.set(sources.audit().digests); } });
  const repositoryReads = sources.repositoryReads;
  if (repositoryReads) {
    new Gauge({ name: 'coffer_repository_reads', help: 'Reads through the key and identity repositories since start (a warm Encrypt, Decrypt, GenerateDataKey or Sign makes none).', registers: [registry], collect() { this.set(repositoryReads()); } });
  }
  const database = sources.database;
  if (database) {
    new Gauge({
      name: 'coffer_database_statements', help: 'Statements sent to the database server since start, by kind (read: answers rows; write: the others, BEGIN and COMMIT included).',
      labelNames: ['kind'] as const, registers: [registry],
      collect() { const d = database(); this.set({ kind: 'read' }, d.reads); this.set({ kind: 'write' }, d.writes); },
    });
  }
  const http = sources.http;
  if (http) {
    new Gauge({ name: 'coffer_http_connections', help: 'Open client connections.', registers: [registry], collect() { this.set(http().open); } });
    new Gauge({ name: 'coffer_http_connections_busy', help: 'Client connections with a request in progress.', registers: [registry], collect() { this.set(http().busy); } });
    new Gauge({ name: 'coffer_http_connections_evicted', help: 'Idle connections closed to admit a new one at COFFER_MAX_CONNECTIONS, since start.', registers: [registry], collect() { this.set(http().evicted); } });
    new Gauge({ name: 'coffer_http_connections_refused', help: 'New connections refused at COFFER_MAX_CONNECTIONS because every connection was busy, since start.', registers: [registry], collect() { this.set(http().refused); } });
    new Gauge({ name: 'coffer_admission_shed', help: 'Requests answered ThrottlingException by admission control (before authentication), since start.', registers: [registry], collect() { this.set(http().shed); } });
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
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
