/**
 * The open-loop load generator of the overload case, run as its own process: requests arrive at a
 * fixed rate whatever the server does (as from many independent clients), each on a free
 * keep-alive connection of a pool of `connections` (opened before the clock starts: a burst of
 * hundreds of new connections overflows the server's accept queue, and a fresh client arriving
 * then waits for the kernel's SYN-ACK retransmissions, seconds, which is not what is measured
 * here), or else waiting in a queue for one. Latency is measured from a request's scheduled arrival, so time spent
 * queued for a connection counts (no coordinated omission). Prints one JSON line.
 */
import { connect, type Socket } from 'node:net';
import { FastSigner, type BenchCredentials } from './sign.ts';

export interface OpenLoopSpec {
  readonly port: number;
  readonly credentials: BenchCredentials;
  readonly region: string;
  readonly target: string;
  readonly body: string;
  /** Arrivals a second. */
  readonly rate: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface OpenLoopResult {
  readonly offeredRps: number;
  /** Arrivals in the measured window, and how each ended. */
  readonly arrivals: number;
  readonly admitted: number;
  readonly throttled: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Requests on connections the server closed or refused before answering. */
  readonly lost: number;
  /** Arrivals still waiting for a connection when the run ended (never sent). */
  readonly unsent: number;
  readonly admittedRps: number;
  readonly admittedP50Ms: number;
  readonly admittedP99Ms: number;
  readonly throttledP50Ms: number;
  readonly throttledP99Ms: number;
  /** Admitted requests from being written to their answer: the server's part (the rest waited for a free connection). */
  readonly admittedServiceP50Ms: number;
  readonly admittedServiceP99Ms: number;
  /** Connections opened, the pool's included (more when the server closed some). */
  readonly connectionsOpened: number;
}

type Answer = { status: number; body: string };

class Conn {
  readonly connected: Promise<boolean>;
  #buf: Buffer = Buffer.alloc(0);
  #waiting: ((a: Answer | undefined) => void) | undefined;
  readonly #socket: Socket;
  dead = false;

  constructor(port: number) {
    this.#socket = connect({ host: '127.0.0.1', port, noDelay: true });
    this.connected = new Promise((ok) => { this.#socket.once('connect', () => ok(true)); this.#socket.once('error', () => ok(false)); });
    this.#socket.on('data', (d: Buffer) => { this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]); this.#parse(); });
    const fail = (): void => { this.dead = true; const w = this.#waiting; this.#waiting = undefined; w?.(undefined); };
    this.#socket.on('error', fail);
    this.#socket.on('close', fail);
  }

  #parse(): void {
    const end = this.#buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.#waiting) return;
    const head = this.#buf.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
    if (this.#buf.length < end + 4 + length) return;
    const answer = { status: Number(head.slice(9, 12)), body: this.#buf.toString('utf8', end + 4, end + 4 + length) };
    this.#buf = this.#buf.subarray(end + 4 + length);
    if (/\r\nconnection: *close/i.test(head)) this.dead = true;
    const w = this.#waiting;
    this.#waiting = undefined;
    w(answer);
  }

  /** Sends a request; resolves with its answer, or undefined if the connection ended first. */
  send(head: string, body: string): Promise<Answer | undefined> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#socket.write(head + body);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

export async function runOpenLoop(spec: OpenLoopSpec): Promise<OpenLoopResult> {
  const signer = new FastSigner(spec.credentials, spec.region, 'kms', `127.0.0.1:${spec.port}`);
  const bodyLength = Buffer.byteLength(spec.body);
  // The signed head changes once a second (X-Amz-Date): built once per second, not per request.
  let headSecond = -1;
  let head = '';
  const headOf = (): string => {
    const second = Math.floor(Date.now() / 1000);
    if (second !== headSecond) {
      head = 'POST / HTTP/1.1\r\n';
      for (const [k, v] of Object.entries(signer.headers(spec.target, spec.body))) head += `${k}: ${v}\r\n`;
      head += `content-length: ${bodyLength}\r\nconnection: keep-alive\r\n\r\n`;
      headSecond = second;
    }
    return head;
  };
  const free: Conn[] = Array.from({ length: spec.connections }, () => new Conn(spec.port));
  const all = new Set<Conn>(free);
  let opened = free.length;
  await Promise.all(free.map((c) => c.connected));
  const queue: number[] = []; // scheduled arrival times, oldest first
  let queueHead = 0;
  const admitted: number[] = [];
  const service: number[] = [];
  const throttled: number[] = [];
  let errors = 0;
  let lost = 0;
  let arrivals = 0;
  let firstError: string | undefined;

  const t0 = performance.now();
  const measureFrom = t0 + spec.warmupMs;
  const end = measureFrom + spec.durationMs;
  const inWindow = (t: number): boolean => t >= measureFrom && t < end;

  const run = (conn: Conn, scheduled: number): void => {
    const sent = performance.now();
    void conn.send(headOf(), spec.body).then((a) => {
      const answered = performance.now();
      const latency = answered - scheduled;
      if (a === undefined) {
        if (inWindow(scheduled)) lost++;
      } else if (inWindow(scheduled)) {
        if (a.status === 200) { admitted.push(latency); service.push(answered - sent); }
        else if (a.status === 400 && a.body.includes('ThrottlingException')) throttled.push(latency);
        else { errors++; firstError ??= `${a.status} ${a.body.slice(0, 200)}`; }
      }
      if (conn.dead) { all.delete(conn); conn.close(); } else free.push(conn);
      dispatch();
    });
  };

  let finished = false;
  const dispatch = (): void => {
    while (!finished && queueHead < queue.length) {
      let conn = free.pop();
      if (conn === undefined) {
        if (all.size >= spec.connections) return; // a connection the server closed is replaced
        conn = new Conn(spec.port);
        all.add(conn);
        opened++;
      }
      run(conn, queue[queueHead++] ?? 0);
    }
    if (queueHead > 4096 && queueHead * 2 > queue.length) { queue.splice(0, queueHead); queueHead = 0; }
  };

  let scheduled = 0;
  await new Promise<void>((done) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(Math.floor(((Math.min(now, end) - t0) * spec.rate) / 1000), Math.floor(((end - t0) * spec.rate) / 1000));
      for (; scheduled < due; scheduled++) {
        const at = t0 + (scheduled * 1000) / spec.rate;
        if (inWindow(at)) arrivals++;
        queue.push(at);
      }
      dispatch();
      if (now >= end) { done(); return; }
      // Arrivals are released on time (a timer would release them in bursts of a millisecond or more).
      setImmediate(tick);
    };
    tick();
  });
  // Let requests in flight finish (a throttled or admitted answer comes within a second or two).
  const grace = performance.now() + 5000;
  while (all.size > free.length && performance.now() < grace) await new Promise((r) => setTimeout(r, 10));
  const unsent = queue.length - queueHead;
  finished = true; // closing connections below must not open new ones for the queue
  for (const c of all) c.close();
  admitted.sort((a, b) => a - b);
  throttled.sort((a, b) => a - b);
  service.sort((a, b) => a - b);
  const seconds = spec.durationMs / 1000;
  return {
    offeredRps: arrivals / seconds, arrivals, admitted: admitted.length, throttled: throttled.length, errors,
    ...(firstError !== undefined ? { firstError } : {}), lost, unsent,
    admittedRps: admitted.length / seconds,
    admittedP50Ms: percentile(admitted, 0.5), admittedP99Ms: percentile(admitted, 0.99),
    throttledP50Ms: percentile(throttled, 0.5), throttledP99Ms: percentile(throttled, 0.99),
    admittedServiceP50Ms: percentile(service, 0.5), admittedServiceP99Ms: percentile(service, 0.99),
    connectionsOpened: opened,
  };
}

if (process.argv[1]?.endsWith('openloop.ts')) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as OpenLoopSpec;
  process.stdout.write(`${JSON.stringify(await runOpenLoop(spec))}\n`);
}
