/**
 * Raw HTTP/1.1 connections for the overload tests, which must see what fetch and the SDKs hide:
 * exactly when a connection is half-closed (FIN) or reset, which request was on the wire when it
 * happened, and the bytes of each answer. Requests are signed with SigV4 like the SDKs sign them.
 */
import { connect, type Socket } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { Credentials } from './harness.ts';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** How a request ended: its answer, or the connection half-closed (FIN) or reset before any. */
export type Outcome = RawResponse | 'ended' | 'reset';

/** Every connection not yet closed, so that a failed test can close what it opened. */
const live = new Set<RawConnection>();

/** Closes every raw connection still open. */
export function closeAllConnections(): void {
  for (const c of live) c.close();
}

export class RawConnection {
  readonly socket: Socket;
  /** The server half-closed the connection (FIN). */
  ended = false;
  /** The connection was reset (or failed otherwise). */
  reset = false;
  /** The last answer carried `Connection: close`. */
  toldToClose = false;
  readonly connected: Promise<void>;
  #buf = Buffer.alloc(0);
  #waiting: ((o: Outcome) => void) | undefined;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port, noDelay: true });
    live.add(this);
    this.connected = new Promise((ok, fail) => {
      this.socket.once('connect', () => ok());
      this.socket.once('error', fail);
    });
    this.socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#parse();
    });
    this.socket.on('end', () => { this.ended = true; this.#settle('ended'); });
    this.socket.on('error', () => { this.reset = true; this.#settle('reset'); });
    this.socket.on('close', () => { live.delete(this); this.#settle(this.reset ? 'reset' : 'ended'); });
  }

  /** Whether a request may be sent: the server has neither half-closed the connection nor asked to close it. */
  get usable(): boolean {
    return !this.ended && !this.reset && !this.toldToClose && !this.socket.destroyed;
  }

  /** Writes the bytes of a request and waits for its outcome. */
  send(request: string | Buffer): Promise<Outcome> {
    const next = this.next();
    this.socket.write(request);
    return next;
  }

  /** The next answer on this connection, or how the connection ended first. */
  next(): Promise<Outcome> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#parse();
      if (this.#waiting !== undefined && (this.ended || this.reset || this.socket.destroyed)) this.#settle(this.reset ? 'reset' : 'ended');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #settle(o: Outcome): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.(o);
  }

  #parse(): void {
    if (this.#waiting === undefined) return;
    const end = this.#buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const lines = this.#buf.toString('latin1', 0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? '0');
    if (this.#buf.length < end + 4 + length) return;
    const body = this.#buf.toString('utf8', end + 4, end + 4 + length);
    this.#buf = this.#buf.subarray(end + 4 + length);
    if ((headers.connection ?? '').toLowerCase() === 'close') this.toldToClose = true;
    this.#settle({ status: Number(lines[0]?.slice(9, 12)), headers, body });
  }
}

export interface SignedRequestOptions {
  readonly port: number;
  readonly credentials: Credentials;
  readonly body: string;
  /** X-Amz-Target (KMS: `TrentService.Encrypt`); none for Query requests. */
  readonly target?: string;
  readonly service?: string;
  readonly region?: string;
  readonly contentType?: string;
  /** Signs, then changes the body: a request whose signature does not verify. */
  readonly tamper?: boolean;
}

/** The bytes of a signed POST / (keep-alive). */
export async function signedRequest(o: SignedRequestOptions): Promise<string> {
  const headers: Record<string, string> = {
    host: `127.0.0.1:${o.port}`,
    'content-type': o.contentType ?? 'application/x-amz-json-1.1',
    ...(o.target !== undefined ? { 'x-amz-target': o.target } : {}),
  };
  const signer = new SignatureV4({ credentials: o.credentials, region: o.region ?? 'us-east-1', service: o.service ?? 'kms', sha256: Sha256 });
  const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: o.port, path: '/', headers, body: o.body });
  const body = o.tamper === true ? `${o.body} ` : o.body;
  let head = 'POST / HTTP/1.1\r\n';
  for (const [k, v] of Object.entries(signed.headers)) head += `${k}: ${String(v)}\r\n`;
  return `${head}content-length: ${Buffer.byteLength(body)}\r\nconnection: keep-alive\r\n\r\n${body}`;
}

/** Opens `n` connections and waits until each is connected. */
export async function openConnections(port: number, n: number): Promise<RawConnection[]> {
  const conns = Array.from({ length: n }, () => new RawConnection(port));
  await Promise.all(conns.map((c) => c.connected));
  return conns;
}

/** The value of a metric line `name value` (or `name{...} value`) in Prometheus text. */
export function metric(text: string, name: string): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line === name || line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      found = true;
    }
  }
  return found ? sum : Number.NaN;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds, checking every 20 ms; false after `ms`. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}
