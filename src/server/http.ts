/**
 * The HTTP listener: body limit, request ids, GET /health, /metrics and /console, the test-mode clock
 * endpoint; the defences against overload — a connection cap that makes room by closing idle
 * connections (connections.ts), header and request timeouts, and admission control that sheds
 * load before any expensive work (admission.ts) — and a graceful drain on stop().
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Server as NetServer } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { newRequestId } from '../core/ids.ts';
import { RequestEntityTooLargeException } from '../errors/common-errors.ts';
import { errorAnswer, JSON_11, parseJsonBody } from '../protocol/aws-json.ts';
import type { Answer, HttpRequest } from './pipeline.ts';
import type { Logger } from '../core/log.ts';
import type { HealthReport } from './health.ts';
import { Admission } from './admission.ts';
import { answerStarted, clientErrorResponse } from './client-errors.ts';
import { Connections, type ConnectionStats } from './connections.ts';
import { throttledAnswer } from './throttled-answer.ts';
import { TLS_MIN_VERSION, type TlsCertificate } from './tls.ts';
import type { ConsoleFiles } from './console-files.ts';

/** Larger than any valid KMS request (the biggest member is a 256 KiB attestation document). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** How long a drain keeps idle connections open, answering what arrives with `Connection: close`. */
export const DRAIN_GRACE_MS = 1000;

export interface HttpLimits {
  readonly maxConnections: number;
  /** Time to receive a request's headers (from connecting, or from its first byte on a kept-alive connection). */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request; also the longest a drain waits for requests in progress. */
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Admission control's threshold (admission.ts); 0 turns it off. */
  readonly admissionQueueMs: number;
}

export const DEFAULT_LIMITS: HttpLimits = { maxConnections: 512, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000, admissionQueueMs: 25 };

export interface HttpDeps {
  readonly handle: (req: HttpRequest, body: Buffer, requestId: string) => Promise<Answer>;
  /** What GET /health answers (200 when ok, else 503 with the reasons). */
  readonly health: () => HealthReport;
  /** Test-mode only: POST /_coffer/test/clock {"advanceSeconds": n}. Undefined in production. */
  readonly advanceClock?: (seconds: number) => Promise<object>;
  /** Test-mode only: POST /_coffer/test/storage {"maxPageCount": n | null} (a full disk, and back). */
  readonly limitStorage?: (maxPageCount: number | null) => object;
  readonly log: Logger;
  /** GET /metrics (Prometheus text format); 404 when absent. */
  readonly metrics?: () => Promise<{ contentType: string; body: string }>;
  /** GET /console: the web console's files (console-files.ts); when absent such paths go to the API like any other. */
  readonly console?: ConsoleFiles;
  /** Told of every answered API request (metrics), throttled ones included. */
  readonly onAnswer?: (answer: Answer, seconds: number) => void;
  readonly limits?: HttpLimits;
  /** Serve HTTPS with this certificate (tls.ts) instead of HTTP. */
  readonly tls?: TlsCertificate;
}

export interface HttpStats extends ConnectionStats {
  /** Requests answered ThrottlingException by admission control since start. */
  readonly shed: number;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too-large');
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

export interface RunningServer {
  readonly server: Server;
  /**
   * Drains and stops: stops accepting; answers every request already received, and any that
   * arrives on an idle connection within DRAIN_GRACE_MS, with `Connection: close`; then
   * half-closes what is left and resolves once every connection is closed.
   */
  stop(): Promise<void>;
  stats(): HttpStats;
  /** HTTPS only: new connections get this certificate; established ones keep theirs. */
  setCertificate(c: TlsCertificate): void;
}

export function createHttpServer(deps: HttpDeps): RunningServer {
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const connections = new Connections<Duplex>(limits.maxConnections);
  const admission = new Admission({ maxQueueMs: limits.admissionQueueMs });
  let shedSinceLog = 0;
  let lastShedLog = 0;

  const send = (res: ServerResponse, status: number, body: string, requestId: string, contentType = JSON_11): void => {
    const headers: Record<string, string | number> = { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': requestId };
    // In a drain every answer tells its client to send nothing more on this connection.
    if (connections.draining) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
  };

  const shed = (req: IncomingMessage, res: ServerResponse, requestId: string): void => {
    // The body is not read: Node discards it after the answer and the connection stays usable.
    const a = throttledAnswer(req.headers, requestId);
    send(res, a.status, a.body, requestId, a.contentType);
    deps.onAnswer?.({ status: a.status, body: a.body, operation: undefined, errorCode: 'ThrottlingException' }, 0);
    shedSinceLog++;
    const now = performance.now();
    if (now - lastShedLog >= 1000) {
      deps.log.warn('overloaded: shedding requests', { shed: shedSinceLog, thresholdMs: limits.admissionQueueMs });
      lastShedLog = now;
      shedSinceLog = 0;
    }
  };

  const options: ServerOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts on this interval (30 s by default, which would let a silent connection live that much longer).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
  const tls = deps.tls;
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const socket = req.socket;
    // Arrived after the server half-closed this connection (its FIN went first): not answered.
    if (connections.isClosing(socket)) { req.resume(); return; }
    connections.requestStarted(socket);
    res.once('close', () => connections.requestEnded(socket));
    const requestId = newRequestId();
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const query = q < 0 ? '' : url.slice(q + 1);
      if (deps.metrics && req.method === 'GET' && path === '/metrics') {
        const m = await deps.metrics();
        send(res, 200, m.body, requestId, m.contentType);
        return;
      }
      if (req.method === 'GET' && path === '/health') {
        const h = deps.health();
        const body = h.ok ? { status: h.status } : { status: h.status, ...(h.problems ? { problems: h.problems } : {}) };
        send(res, h.ok ? 200 : 503, JSON.stringify(body), requestId, 'application/json');
        return;
      }
      const page = deps.console?.answer(req.method ?? 'GET', path);
      if (page !== undefined) {
        req.resume();
        res.writeHead(page.status, { ...page.headers, 'content-length': page.body.length, ...(connections.draining ? { connection: 'close' } : {}) });
        res.end(page.body);
        return;
      }
      // Test-mode endpoints (they exist only with COFFER_TEST_MODE) are never shed, like /health.
      const testEndpoint = req.method === 'POST' && path.startsWith('/_coffer/test/');
      if (!testEndpoint && !admission.admit()) {
        shed(req, res, requestId);
        return;
      }
      const body = await readBody(req);
      if (body === 'too-large') {
        const a = errorAnswer(new RequestEntityTooLargeException(`Request body exceeds ${MAX_BODY_BYTES} bytes.`));
        res.setHeader('connection', 'close');
        send(res, a.status, a.body, requestId);
        return;
      }
      if (deps.advanceClock && req.method === 'POST' && path === '/_coffer/test/clock') {
        const parsed = parseJsonBody(body); // malformed JSON: a 400 SerializationException, not a 500
        const advance = parsed !== null && typeof parsed === 'object' ? (parsed as { advanceSeconds?: unknown }).advanceSeconds : undefined;
        const seconds = typeof advance === 'number' ? advance : 0;
        send(res, 200, JSON.stringify(await deps.advanceClock(seconds)), requestId, 'application/json');
        return;
      }
      if (deps.limitStorage && req.method === 'POST' && path === '/_coffer/test/storage') {
        const parsed = parseJsonBody(body);
        const limit = parsed !== null && typeof parsed === 'object' ? (parsed as { maxPageCount?: unknown }).maxPageCount : undefined;
        send(res, 200, JSON.stringify(deps.limitStorage(typeof limit === 'number' ? limit : null)), requestId, 'application/json');
        return;
      }
      const started = performance.now();
      const answer = await deps.handle({ method: req.method ?? 'GET', path, query, headers: req.headers, sourceIp: req.socket.remoteAddress ?? '', secureTransport: req.socket instanceof TLSSocket }, body, requestId);
      send(res, answer.status, answer.body, requestId, answer.contentType);
      const seconds = (performance.now() - started) / 1000;
      deps.onAnswer?.(answer, seconds);
      // A call that succeeded is in the audit trail, which is the request log: its line is debug
      // (one JSON line per request cost about 5% of an Encrypt's CPU). A refused or failed call is
      // logged at info, whatever the audit trail holds of it.
      deps.log[answer.status < 400 ? 'debug' : 'info']('request', {
        requestId, principal: answer.principal, operation: answer.operation, status: answer.status, error: answer.errorCode,
        durationMs: Math.round(seconds * 1e6) / 1000,
      });
    } catch (e) {
      if (socket.destroyed || connections.isClosing(socket)) {
        // The client went away, or was cut by a timeout, before its request was complete.
        deps.log.debug('request abandoned', { requestId });
        return;
      }
      deps.log.error('request failed', { requestId, cause: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) {
        const a = errorAnswer(e);
        send(res, a.status, a.body, requestId);
      } else {
        res.destroy();
      }
    }
  };
  // HTTPS speaks HTTP/1.1 only (ALPN), and a handshake must finish within the headers timeout
  // (a connection counts against the cap, and can be drained, once it is encrypted).
  const secure = tls === undefined ? undefined : createHttpsServer({
    ...options, cert: tls.cert, key: tls.key, minVersion: TLS_MIN_VERSION, ALPNProtocols: ['http/1.1'], handshakeTimeout: limits.headersTimeoutMs,
  }, handler);
  const server: Server = secure ?? createServer(options, handler);

  server.on(tls === undefined ? 'connection' : 'secureConnection', (socket: Duplex) => {
    if (connections.open(socket)) socket.once('close', () => connections.closed(socket));
  });
  // A failed handshake (plain HTTP to this port, a TLS 1.1 client, a timeout): Node destroys the socket.
  if (tls !== undefined) server.on('tlsClientError', (err: Error) => deps.log.debug('TLS handshake failed', { cause: err.message }));
  // Timeouts and bytes that are not HTTP: an AWS-shaped answer, then a half-close (never a reset).
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (socket.destroyed || connections.isClosing(socket)) return;
    if (socket.writable && !answerStarted(socket)) socket.write(clientErrorResponse(err.code));
    connections.closeGracefully(socket);
  });

  let stopped: Promise<void> | undefined;
  return {
    server,
    stats: () => ({ ...connections.stats(), shed: admission.shed }),
    setCertificate: (c) => {
      if (secure === undefined) throw new Error('this server speaks plain HTTP');
      secure.setSecureContext({ cert: c.cert, key: c.key, minVersion: TLS_MIN_VERSION });
    },
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        // net.Server's close: stop accepting, call back once every connection has closed.
        // (http.Server's also destroys idle connections at once, resetting any request a client
        // is sending on one at that moment.)
        NetServer.prototype.close.call(server, () => resolve());
        connections.drain(Math.min(DRAIN_GRACE_MS, limits.keepAliveTimeoutMs));
        // A request still in progress after the request timeout is not waited for.
        setTimeout(() => connections.destroyAll(), DRAIN_GRACE_MS + limits.requestTimeoutMs).unref();
      });
      return stopped;
    },
  };
}
