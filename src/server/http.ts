/**
 * The HTTP listener: body limit, request ids, GET /health, the test-mode clock endpoint, and
 * graceful shutdown (stop accepting, let in-flight requests finish).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { newRequestId } from '../core/ids.ts';
import { RequestEntityTooLargeException } from '../errors/common-errors.ts';
import { errorAnswer, JSON_11, parseJsonBody } from '../protocol/aws-json.ts';
import type { Answer, HttpRequest } from './pipeline.ts';
import type { Logger } from '../core/log.ts';
import type { HealthReport } from './health.ts';

/** Larger than any valid KMS request (the biggest member is a 256 KiB attestation document). */
export const MAX_BODY_BYTES = 1024 * 1024;

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
  /** Told of every answered API request (metrics). */
  readonly onAnswer?: (answer: Answer, seconds: number) => void;
}

function send(res: ServerResponse, status: number, body: string, requestId: string, contentType = JSON_11): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
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
  /** Stops accepting connections and resolves when in-flight requests have finished. */
  stop(): Promise<void>;
}

export function createHttpServer(deps: HttpDeps): RunningServer {
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const server = createServer(async (req, res) => {
    inFlight++;
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
      const answer = await deps.handle({ method: req.method ?? 'GET', path, query, headers: req.headers, sourceIp: req.socket.remoteAddress ?? '' }, body, requestId);
      send(res, answer.status, answer.body, requestId, answer.contentType);
      const seconds = (performance.now() - started) / 1000;
      deps.onAnswer?.(answer, seconds);
      deps.log.info('request', {
        requestId, principal: answer.principal, operation: answer.operation, status: answer.status, error: answer.errorCode,
        durationMs: Math.round(seconds * 1e6) / 1000,
      });
    } catch (e) {
      deps.log.error('request failed', { requestId, cause: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) {
        const a = errorAnswer(e);
        send(res, a.status, a.body, requestId);
      } else {
        res.destroy();
      }
    } finally {
      inFlight--;
      if (inFlight === 0) idle?.();
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;

  return {
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        if (inFlight === 0) return;
        idle = () => server.closeIdleConnections();
      }),
  };
}
