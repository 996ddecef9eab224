/**
 * The fresh-client probe of the overload case, run as its own process next to the load: every
 * `intervalMs` it opens a new connection, sends GET /health and times the whole exchange (connect
 * included) until the answer is in; then the same with a SigV4-signed Encrypt. Prints one JSON line.
 */
import { connect } from 'node:net';
import { FastSigner, type BenchCredentials } from './sign.ts';

export interface ProbeSpec {
  readonly port: number;
  readonly credentials: BenchCredentials;
  readonly region: string;
  readonly encryptBody: string;
  readonly startAfterMs: number;
  readonly intervalMs: number;
  readonly count: number;
  /** A probe that takes longer is counted as no answer. */
  readonly timeoutMs: number;
}

export interface ProbeSample {
  readonly ms: number;
  /** Of which the TCP handshake (until the connection is established). */
  readonly connectMs: number;
  /** The HTTP status, or 0 when no answer came (refused, reset or timed out). */
  readonly status: number;
  readonly throttled: boolean;
}

export interface ProbeResult {
  readonly health: readonly ProbeSample[];
  readonly encrypt: readonly ProbeSample[];
}

/** One request on a new connection: time from connecting to the complete answer. */
function once(port: number, request: string, timeoutMs: number): Promise<ProbeSample> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let buf = Buffer.alloc(0);
    let settled = false;
    let connectMs = Number.NaN;
    const done = (status: number, body: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ms: performance.now() - t0, connectMs, status, throttled: status === 400 && body.includes('ThrottlingException') });
    };
    const timer = setTimeout(() => done(0, ''), timeoutMs);
    socket.on('connect', () => { connectMs = performance.now() - t0; socket.write(request); });
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
      if (buf.length >= end + 4 + length) done(Number(head.slice(9, 12)), buf.toString('utf8', end + 4, end + 4 + length));
    });
    socket.on('error', () => done(0, ''));
    socket.on('close', () => done(0, ''));
  });
}

export async function runProbe(spec: ProbeSpec): Promise<ProbeResult> {
  const signer = new FastSigner(spec.credentials, spec.region, 'kms', `127.0.0.1:${spec.port}`);
  const health: ProbeSample[] = [];
  const encrypt: ProbeSample[] = [];
  const start = performance.now() + spec.startAfterMs;
  for (let i = 0; i < spec.count; i++) {
    const wait = start + i * spec.intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    health.push(await once(spec.port, `GET /health HTTP/1.1\r\nhost: 127.0.0.1:${spec.port}\r\nconnection: close\r\n\r\n`, spec.timeoutMs));
    let head = 'POST / HTTP/1.1\r\n';
    for (const [k, v] of Object.entries(signer.headers('TrentService.Encrypt', spec.encryptBody))) head += `${k}: ${v}\r\n`;
    encrypt.push(await once(spec.port, `${head}content-length: ${Buffer.byteLength(spec.encryptBody)}\r\nconnection: close\r\n\r\n${spec.encryptBody}`, spec.timeoutMs));
  }
  return { health, encrypt };
}

if (process.argv[1]?.endsWith('probe.ts')) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ProbeSpec;
  process.stdout.write(`${JSON.stringify(await runProbe(spec))}\n`);
}
