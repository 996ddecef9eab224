/**
 * The load generator, run as its own process (pinned to another core than the server): drives
 * one endpoint over keep-alive HTTP/1.1 connections with `concurrency` requests in flight for a fixed time, and
 * prints one JSON line: requests per second and latency percentiles (client-side round trips).
 */
import { connect, type Socket } from 'node:net';
import { FastSigner, type BenchCredentials } from './sign.ts';

export interface LoadSpec {
  readonly port: number;
  readonly credentials: BenchCredentials;
  readonly region: string;
  /** X-Amz-Target and body of each request, used in turn. */
  readonly requests: readonly { readonly target: string; readonly body: string }[];
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  /** Answers that were ThrottlingException (admission control or a quota): not errors, and not in the rate or latencies. */
  readonly throttled: number;
  readonly firstError?: string;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

/**
 * One keep-alive HTTP/1.1 connection with one request in flight at a time, on a raw socket:
 * node's http client costs more CPU than the servers measured here, and would be the ceiling.
 */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: ((r: { status: number; body: string }) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;
  private readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('data', (d: Buffer) => { this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]); this.parse(); });
    this.socket.on('error', (e) => this.failed?.(e));
    this.socket.on('close', () => this.failed?.(new Error('connection closed')));
  }

  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.waiting) return;
    const head = this.buf.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
    if (this.buf.length < end + 4 + length) return;
    const status = Number(head.slice(9, 12));
    const body = this.buf.toString('utf8', end + 4, end + 4 + length);
    this.buf = this.buf.subarray(end + 4 + length);
    const w = this.waiting;
    this.waiting = undefined;
    w({ status, body });
  }

  send(headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
    let head = 'POST / HTTP/1.1\r\n';
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += `content-length: ${Buffer.byteLength(body)}\r\nconnection: keep-alive\r\n\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
      this.socket.write(head + body);
    });
  }

  close(): void {
    this.failed = undefined;
    this.socket.destroy();
  }
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const signer = new FastSigner(spec.credentials, spec.region, 'kms', `127.0.0.1:${spec.port}`);
  const latencies: number[] = [];
  let errors = 0;
  let throttled = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = performance.now();
  const measureFrom = started + spec.warmupMs;
  const end = measureFrom + spec.durationMs;
  const worker = async (): Promise<void> => {
    const conn = new Connection(spec.port);
    try {
      await run(conn);
    } finally {
      conn.close();
    }
  };
  const run = async (conn: Connection): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      const r = spec.requests[next++ % spec.requests.length] ?? { target: '', body: '' };
      const res = await conn.send(signer.headers(r.target, r.body), r.body);
      const t1 = performance.now();
      if (t0 < measureFrom) continue;
      // Throttled answers are counted apart: the rate and latencies are those of answered work.
      if (res.status === 400 && res.body.includes('ThrottlingException')) { throttled++; continue; }
      if (res.status !== 200) { errors++; firstError ??= `${res.status} ${res.body.slice(0, 200)}`; }
      latencies.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const seconds = spec.durationMs / 1000;
  return {
    requests: latencies.length, errors, throttled, ...(firstError !== undefined ? { firstError } : {}), seconds,
    rps: latencies.length / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99),
    meanMs: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
  };
}

if (process.argv[1]?.endsWith('loadgen.ts')) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const result = await runLoad(spec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
