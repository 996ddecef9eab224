/**
 * The overload case of `npm run bench` (BENCH_ONLY=overload runs it alone): Coffer's Encrypt
 * capacity (closed loop, c = 16), then an open-loop arrival rate of half that (baseline) and of four
 * times that (overload), each with a fresh-client probe running beside it (bench/probe.ts: a new
 * connection per probe, GET /health and a signed Encrypt). Then the same overload against a server
 * with admission control off, to show what it changes. Request quotas are off in these servers:
 * one account at 4x capacity would otherwise be throttled by its cryptographic-operations quota
 * (10,000 a second) after authentication, which measures the quota, not the server.
 */
import type { OpenLoopResult, OpenLoopSpec } from './openloop.ts';
import type { ProbeResult, ProbeSample, ProbeSpec } from './probe.ts';
import type { BenchCredentials } from './sign.ts';

export interface Started { readonly port: number; readonly stop: () => Promise<void> }

export interface OverloadDeps {
  readonly creds: BenchCredentials;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** A fresh Coffer (own data folder, pinned) with these extra settings; stop() removes it. */
  readonly startCoffer: (env: Record<string, string>) => Promise<Started>;
  readonly call: (port: number, target: string, body: object) => Promise<Record<string, unknown>>;
  /** Closed-loop Encrypt at this concurrency: answered requests a second and their latency. */
  readonly capacity: (port: number, body: string, concurrency: number, durationMs: number) => { readonly rps: number; readonly p50Ms: number; readonly p99Ms: number };
  /** Runs a bench script as its own (pinned) process with a JSON spec; resolves with its JSON line. */
  readonly spawnJson: <T>(script: string, spec: object) => Promise<T>;
}

export interface ProbeSummary {
  readonly count: number;
  readonly medianMs: number;
  readonly maxMs: number;
  /** Probes that got no answer within the probe's timeout. */
  readonly unanswered: number;
  readonly throttled: number;
  /** The longest TCP handshake among the probes (a dropped SYN is retried after 1 s). */
  readonly maxConnectMs: number;
  readonly samples: readonly ProbeSample[];
}

export interface OverloadPhase {
  readonly name: string;
  readonly admissionControl: boolean;
  readonly targetRps: number;
  readonly load: OpenLoopResult;
  readonly health: ProbeSummary;
  readonly encrypt: ProbeSummary;
}

export interface OverloadResult {
  readonly capacityRps: number;
  readonly capacityP50Ms: number;
  readonly capacityP99Ms: number;
  readonly phases: readonly OverloadPhase[];
}

const PROBES = 8;
/** The load's connections, opened before it starts: below COFFER_MAX_CONNECTIONS (512), so that the probes are the only new clients. */
const CONNECTIONS = 256;
/** Quotas off (see the top of this file); everything else is Coffer's default. */
const NO_QUOTAS = { COFFER_QUOTA_CRYPTO_RPS: '0', COFFER_QUOTA_ASYMMETRIC_RPS: '0', COFFER_QUOTA_CREATE_KEY_RPS: '0', COFFER_QUOTA_MANAGEMENT_RPS: '0', COFFER_QUOTA_CUSTOM_KEY_STORE_RPS: '0' };

function summarize(samples: readonly ProbeSample[]): ProbeSummary {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    count: samples.length, medianMs: ms[Math.floor(ms.length / 2)] ?? Number.NaN, maxMs: ms.at(-1) ?? Number.NaN,
    unanswered: samples.filter((s) => s.status === 0).length, throttled: samples.filter((s) => s.throttled).length,
    maxConnectMs: Math.max(...samples.map((s) => s.connectMs)), samples,
  };
}

export async function runOverload(deps: OverloadDeps): Promise<OverloadResult> {
  const plaintext = Buffer.alloc(256, 7).toString('base64');
  const phase = async (port: number, keyArn: string, name: string, admissionControl: boolean, rate: number): Promise<OverloadPhase> => {
    const body = JSON.stringify({ KeyId: keyArn, Plaintext: plaintext });
    const loadSpec: OpenLoopSpec = {
      port, credentials: deps.creds, region: 'us-east-1', target: 'TrentService.Encrypt', body,
      rate, connections: CONNECTIONS, warmupMs: deps.warmupMs, durationMs: deps.durationMs,
    };
    const probeSpec: ProbeSpec = {
      port, credentials: deps.creds, region: 'us-east-1', encryptBody: body,
      startAfterMs: deps.warmupMs + 500, intervalMs: (deps.durationMs - 500) / PROBES, count: PROBES, timeoutMs: 10_000,
    };
    const [load, probe] = await Promise.all([
      deps.spawnJson<OpenLoopResult>('bench/openloop.ts', loadSpec),
      deps.spawnJson<ProbeResult>('bench/probe.ts', probeSpec),
    ]);
    const p: OverloadPhase = { name, admissionControl, targetRps: rate, load, health: summarize(probe.health), encrypt: summarize(probe.encrypt) };
    console.log(`overload ${name.padEnd(28)} offered ${load.offeredRps.toFixed(0).padStart(6)}/s  admitted ${load.admittedRps.toFixed(0).padStart(5)}/s `
      + `p50 ${load.admittedP50Ms.toFixed(1)} ms p99 ${load.admittedP99Ms.toFixed(1)} ms  throttled ${(100 * load.throttled / Math.max(1, load.arrivals)).toFixed(0)}%  `
      + `fresh /health ${p.health.medianMs.toFixed(0)}/${p.health.maxMs.toFixed(0)} ms (connect max ${p.health.maxConnectMs.toFixed(0)})  fresh Encrypt ${p.encrypt.medianMs.toFixed(0)}/${p.encrypt.maxMs.toFixed(0)} ms`
      + `  (server part of admitted p50/p99 ${load.admittedServiceP50Ms.toFixed(1)}/${load.admittedServiceP99Ms.toFixed(1)} ms; ${load.connectionsOpened} connections, lost ${load.lost}, unsent ${load.unsent})`);
    return p;
  };
  const setUp = async (s: Started): Promise<string> => {
    const arn = ((await deps.call(s.port, 'CreateKey', {})).KeyMetadata as { Arn: string }).Arn;
    deps.capacity(s.port, JSON.stringify({ KeyId: arn, Plaintext: plaintext }), 16, 2000); // warm-up: JIT, caches, heap
    return arn;
  };

  const phases: OverloadPhase[] = [];
  let capacity: { rps: number; p50Ms: number; p99Ms: number };
  const on = await deps.startCoffer(NO_QUOTAS);
  try {
    const arn = await setUp(on);
    capacity = deps.capacity(on.port, JSON.stringify({ KeyId: arn, Plaintext: plaintext }), 16, deps.durationMs);
    console.log(`overload capacity (Encrypt, closed loop c=16): ${capacity.rps.toFixed(0)} req/s, p50 ${capacity.p50Ms.toFixed(2)} ms, p99 ${capacity.p99Ms.toFixed(2)} ms`);
    phases.push(await phase(on.port, arn, 'baseline (0.5x capacity)', true, capacity.rps / 2));
    phases.push(await phase(on.port, arn, 'overload (4x capacity)', true, capacity.rps * 4));
  } finally {
    await on.stop();
  }
  const off = await deps.startCoffer({ ...NO_QUOTAS, COFFER_ADMISSION_QUEUE_MS: '0' });
  try {
    const arn = await setUp(off);
    phases.push(await phase(off.port, arn, 'overload, admission off', false, capacity.rps * 4));
  } finally {
    await off.stop();
  }
  return { capacityRps: capacity.rps, capacityP50Ms: capacity.p50Ms, capacityP99Ms: capacity.p99Ms, phases };
}

/** The overload section of bench-results/latest.md, and its targets. */
export function overloadMarkdown(r: OverloadResult): { lines: string[]; targets: { target: string; value: string; met: boolean }[] } {
  const pct = (n: number, of: number): string => `${((100 * n) / Math.max(1, of)).toFixed(0)}%`;
  const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const probe = (p: ProbeSummary): string =>
    `${ms(p.medianMs)} / ${ms(p.maxMs)}${p.throttled ? ` (${p.throttled} throttled)` : ''}${p.unanswered ? ` (${p.unanswered} unanswered)` : ''}`;
  const lines = [
    `Overload (Encrypt): capacity ${r.capacityRps.toFixed(0)} req/s (closed loop, c = 16, p50 ${ms(r.capacityP50Ms)} ms, p99 ${ms(r.capacityP99Ms)} ms); `
      + `open-loop arrivals over ${CONNECTIONS} kept-alive connections; admitted latency from the request's write to its answer (the server's part), and from its scheduled arrival `
      + `(with any wait for a free connection); fresh clients: a new connection per probe, median / max of ${PROBES}.`, '',
    '| Phase | Offered req/s | Admitted req/s | Admitted p50 / p99 ms, server | Admitted p50 / p99 ms, from arrival | Throttled | Lost | Not sent | Fresh client /health ms | Fresh client Encrypt ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.phases.map((p) => `| ${p.name} | ${p.load.offeredRps.toFixed(0)} | ${p.load.admittedRps.toFixed(0)} | ${ms(p.load.admittedServiceP50Ms)} / ${ms(p.load.admittedServiceP99Ms)} | `
      + `${ms(p.load.admittedP50Ms)} / ${ms(p.load.admittedP99Ms)} | ${pct(p.load.throttled, p.load.arrivals)} | ${p.load.lost + p.load.errors} | ${p.load.unsent} | ${probe(p.health)} | ${probe(p.encrypt)} |`),
    '',
    '"Lost": requests on a connection the server closed before answering, or answered with another error. "Not sent": arrivals still waiting for a free '
      + `connection of the ${CONNECTIONS} when the run ended (with one request at a time per connection, the load's connections carry at most ${CONNECTIONS} answers a turn).`,
    '',
  ];
  const base = r.phases.find((p) => p.name.startsWith('baseline'));
  const over = r.phases.find((p) => p.admissionControl && p.name.startsWith('overload'));
  const off = r.phases.find((p) => !p.admissionControl);
  const fresh = over ? Math.max(over.health.maxMs, over.encrypt.maxMs) : Number.NaN;
  const targets = base && over && off ? [
    { target: 'at 4x capacity every fresh client is answered within 1 s (/health and a signed Encrypt, every probe)', value: `${ms(fresh)} ms`, met: fresh < 1000 && over.health.unanswered + over.encrypt.unanswered === 0 },
    { target: 'at 4x capacity the admitted p99 (server part) is within 10x the baseline p99 at 0.5x', value: `${(over.load.admittedServiceP99Ms / base.load.admittedServiceP99Ms).toFixed(1)}x`, met: over.load.admittedServiceP99Ms <= 10 * base.load.admittedServiceP99Ms },
    { target: 'at 4x capacity the admitted p99 (server part) is below that without admission control', value: `${pct(over.load.admittedServiceP99Ms, off.load.admittedServiceP99Ms)}`, met: over.load.admittedServiceP99Ms < off.load.admittedServiceP99Ms },
    { target: 'at 4x capacity the server answers every request it receives, admitted or throttled (none lost)', value: `${over.load.lost + over.load.errors}`, met: over.load.lost + over.load.errors === 0 },
    { target: 'at 4x capacity admitted throughput is at least half the capacity', value: `${pct(over.load.admittedRps, r.capacityRps)}`, met: over.load.admittedRps >= r.capacityRps / 2 },
  ] : [];
  return { lines, targets };
}
