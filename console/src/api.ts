/**
 * Signed calls to Coffer's endpoint (this page's own origin): AWS JSON 1.1 with SigV4, signed in
 * the browser. The credentials live in memory only (a Session object held by the app): nothing
 * is written to storage or cookies, so a reload logs out. Errors come back as ApiError with AWS's
 * `__type` and message.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';

export interface Session {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly region: string;
}

/** Each API: its SigV4 scope and its X-Amz-Target prefix. */
const APIS = {
  kms: { scope: 'kms', prefix: 'TrentService.' },
  cloudtrail: { scope: 'cloudtrail', prefix: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.' },
  cloudhsm: { scope: 'cloudhsm', prefix: 'BaldrApiService.' },
  coffer: { scope: 'coffer', prefix: 'CofferAdminService.' },
} as const;

export type ApiName = keyof typeof APIS;

export class ApiError extends Error {
  constructor(readonly type: string, message: string, readonly status: number) {
    super(message);
    this.name = type;
  }
}

/** `Type: message`, as AWS tools print an error. */
export const describeError = (e: unknown): string =>
  e instanceof ApiError ? `${e.type}: ${e.message}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);

const signers = new WeakMap<Session, Map<string, SignatureV4>>();

function signer(session: Session, scope: string): SignatureV4 {
  let bySession = signers.get(session);
  if (bySession === undefined) signers.set(session, (bySession = new Map()));
  let s = bySession.get(scope);
  if (s === undefined) {
    const credentials = { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, ...(session.sessionToken ? { sessionToken: session.sessionToken } : {}) };
    s = new SignatureV4({ credentials, region: session.region, service: scope, sha256: Sha256 });
    bySession.set(scope, s);
  }
  return s;
}

const MAX_ATTEMPTS = 4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One signed call; a ThrottlingException is retried with back-off (at most MAX_ATTEMPTS tries). */
export async function call<T>(session: Session, api: ApiName, operation: string, input: object = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await callOnce<T>(session, api, operation, input);
    } catch (e) {
      if (!(e instanceof ApiError && e.type === 'ThrottlingException') || attempt >= MAX_ATTEMPTS) throw e;
      await sleep(250 * 2 ** attempt);
    }
  }
}

async function callOnce<T>(session: Session, api: ApiName, operation: string, input: object): Promise<T> {
  const { scope, prefix } = APIS[api];
  const body = JSON.stringify(input);
  const port = location.port === '' ? undefined : Number(location.port);
  const signed = await signer(session, scope).sign({
    method: 'POST', protocol: location.protocol, hostname: location.hostname, ...(port !== undefined ? { port } : {}), path: '/', query: {},
    headers: { host: location.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': prefix + operation },
    body,
  });
  // The browser sets Host itself (to location.host, what was signed).
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'));
  let res: Response;
  try {
    res = await fetch('/', { method: 'POST', headers, body, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError('NetworkError', `The server could not be reached (${e instanceof Error ? e.message : String(e)}).`, 0);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(res.ok ? 'SerializationException' : `HTTP${res.status}`, `The server answered ${res.status} with a body that is not JSON.`, res.status);
  }
  if (!res.ok) {
    const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { __type?: unknown; message?: unknown; Message?: unknown };
    const type = typeof o.__type === 'string' ? o.__type.slice(o.__type.lastIndexOf('#') + 1) : `HTTP${res.status}`;
    const message = typeof o.message === 'string' ? o.message : typeof o.Message === 'string' ? o.Message : '';
    throw new ApiError(type, message, res.status);
  }
  return parsed as T;
}

/** Runs `fn` over `items` with at most `limit` calls in flight, answers in order. */
export async function mapLimited<I, O>(items: readonly I[], limit: number, fn: (item: I) => Promise<O>): Promise<O[]> {
  const out: O[] = new Array<O>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as I);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
