/**
 * Server-side AWS Signature Version 4 verification (header form, `AWS4-HMAC-SHA256`).
 *
 * Follows the SigV4 spec for non-S3 services: the canonical URI is the raw request path,
 * normalized (empty, `.` and `..` segments removed) and each segment URI-encoded once more; the
 * query is decoded, RFC 3986-encoded and sorted by key then value; header values are trimmed and
 * runs of spaces/tabs collapsed; the payload hash is always the hex SHA-256 of the body.
 *
 * Deliberate differences from AWS:
 * - No presigned (query-string) auth and no `Date` header fallback: X-Amz-Date is required and must
 *   be signed, as must `host`, `content-type` and every other `x-amz-*` header the request carries
 *   (InvalidSignatureException otherwise), so that no header that steers the request can be changed
 *   under a captured signature.
 * - A multi-valued header is only canonicalized exactly when given as `string[]` (e.g. node's
 *   `req.headersDistinct`); a string is used as is, so node's `', '`-joined duplicates differ.
 * - `x-amz-security-token` is reported whether or not it was signed; validating it is the caller's job.
 * - Error messages imitate AWS's but never echo the secret or the expected signature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../core/hash.ts';
import {
  IncompleteSignatureException, InvalidSignatureException, MissingAuthenticationTokenException, UnrecognizedClientException,
} from '../errors/common-errors.ts';

export interface SigV4Request {
  method: string;
  /** Raw path as received (still percent-encoded), without the query string. */
  path: string;
  /** Raw query string without '?', '' when none. */
  query: string;
  /** Lower-case header names, as node's IncomingMessage.headers (or headersDistinct) gives them. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface VerifiedSignature<T> {
  identity: T;
  accessKeyId: string;
  region: string;
  service: string;
  amzDate: string;
  securityToken?: string;
}

/** A request's SigV4 claims, checked as far as they can be without the credential. */
export interface SigV4Claim {
  readonly auth: { readonly credential: string; readonly signedHeaders: string; readonly signature: string };
  readonly names: readonly string[];
  readonly amzDate: string;
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
}

export interface SigV4VerifierOptions<T> {
  service: string | ((s: string) => boolean);
  /** Whether `region` is accepted for `service` (the credential scope's). */
  isRegionAllowed: (region: string, service: string) => boolean;
  now: () => number;
  maxSkewMs?: number;
  lookup: (accessKeyId: string) => (T & { secretAccessKey: string }) | undefined;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SIGNATURE_HEX = /^[0-9a-f]{64}$/;
const NEEDS_COLLAPSE = /[ \t]{2}|\t|^[ \t]|[ \t]$/;
const KEY_CACHE_MAX = 1000;
const REQUIRED_SIGNED = [['host', "'Host' or ':authority'"], ['x-amz-date', "'X-Amz-Date'"]] as const;

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters, upper-case hex. */
function uriEncode(s: string): string {
  if (UNRESERVED.test(s)) return s;
  let e: string;
  try { e = encodeURIComponent(s); } catch { e = encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD')); } // lone surrogates
  return e.replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function decodeQueryComponent(s: string): string {
  if (UNRESERVED.test(s)) return s;
  try { return decodeURIComponent(s); } catch { return s; }
}

function canonicalUri(path: string): string {
  if (path === '/' || path === '') return '/';
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(uriEncode(seg));
  }
  return out.length === 0 ? '/' : '/' + out.join('/') + (path.endsWith('/') ? '/' : '');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  // Encoded pairs are printable ASCII, so joining key and value with NUL makes a plain sort order
  // them by key, then by value, as SigV4 requires.
  const pairs: string[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq), v = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push(uriEncode(decodeQueryComponent(k)) + '\0' + uriEncode(decodeQueryComponent(v)));
  }
  return pairs.sort().join('&').replaceAll('\0', '=');
}

function normalizeValue(v: string): string {
  return NEEDS_COLLAPSE.test(v) ? v.replace(/[ \t]+/g, ' ').replace(/^ | $/g, '') : v;
}

function canonicalHeaderValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return normalizeValue(v);
  let out = '';
  for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + normalizeValue(v[i] ?? '');
  return out;
}

function buildCanonical(req: SigV4Request, names: readonly string[], namesText: string, payloadHash: string): string {
  let headers = '';
  for (const n of names) headers += n + ':' + canonicalHeaderValue(req.headers[n]) + '\n';
  return `${req.method}\n${canonicalUri(req.path)}\n${canonicalQuery(req.query)}\n${headers}\n${namesText}\n${payloadHash}`;
}

/** The SigV4 canonical request. `signedHeaders` are lower-case names, in signing (sorted) order. */
export function canonicalRequest(req: SigV4Request, signedHeaders: string[], payloadHash: string): string {
  return buildCanonical(req, signedHeaders, signedHeaders.join(';'), payloadHash);
}

export function stringToSign(amzDate: string, scope: string, canonicalRequestText: string): string {
  const h = sha256Hex(canonicalRequestText);
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${h}`;
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', 'AWS4' + secret).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update(TERMINATOR).digest();
}

function single(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** 20150830T123600Z from epoch ms (seconds truncated). */
function formatAmzDate(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2015-08-30T12:36:00.000Z
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
}

/** The last X-Amz-Date parsed, and its time: clients sign many requests within one second. */
let lastAmzDate = '';
let lastAmzDateMs = Number.NaN;

function parseAmzDate(amzDate: string): number {
  if (amzDate === lastAmzDate) return lastAmzDateMs;
  const m = AMZ_DATE.exec(amzDate);
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  if (Number.isNaN(ms) || formatAmzDate(ms) !== amzDate) {
    throw new IncompleteSignatureException(`Date must be in ISO-8601 'basic format'. Got '${amzDate.slice(0, 40)}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  lastAmzDate = amzDate;
  lastAmzDateMs = ms;
  return ms;
}

function parseAuthorization(header: string): { credential: string; signedHeaders: string; signature: string } {
  const sp = header.indexOf(' ');
  const algorithm = sp < 0 ? header : header.slice(0, sp);
  if (algorithm !== ALGORITHM) throw new IncompleteSignatureException(`Unsupported AWS 'algorithm': '${algorithm.slice(0, 40)}'. `);
  let credential: string | undefined, signedHeaders: string | undefined, signature: string | undefined;
  for (const raw of header.slice(sp + 1).split(',')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim(), v = part.slice(eq + 1).trim();
    if (k === 'Credential') credential = v;
    else if (k === 'SignedHeaders') signedHeaders = v;
    else if (k === 'Signature') signature = v;
  }
  if (!credential || !signature || !signedHeaders) {
    const need = (p: string, v: string | undefined): string => (v ? '' : `Authorization header requires '${p}' parameter. `);
    throw new IncompleteSignatureException(need('Credential', credential) + need('Signature', signature) + need('SignedHeaders', signedHeaders));
  }
  return { credential, signedHeaders, signature };
}

export class SigV4Verifier<T> {
  readonly #opts: SigV4VerifierOptions<T>;
  readonly #maxSkewMs: number;
  readonly #keys = new Map<string, Buffer>();

  constructor(opts: SigV4VerifierOptions<T>) {
    this.#opts = opts;
    this.#maxSkewMs = opts.maxSkewMs ?? 5 * 60 * 1000;
  }

  /** verify() with a synchronous credential lookup (the options' `lookup`). */
  verify(req: SigV4Request): VerifiedSignature<T> {
    const claim = this.claim(req);
    return this.check(req, claim, this.#opts.lookup(claim.accessKeyId));
  }

  /**
   * Everything that can be checked before the credential is looked up (header shape, signed
   * headers, scope, freshness): the claim names the access key whose secret `check` needs.
   */
  claim(req: SigV4Request): SigV4Claim {
    const authHeader = req.headers['authorization'];
    if (authHeader === undefined || authHeader === '') throw new MissingAuthenticationTokenException();
    if (typeof authHeader !== 'string') throw new IncompleteSignatureException('Only one Authorization header is allowed. ');
    const auth = parseAuthorization(authHeader);

    const amzDate = single(req.headers['x-amz-date']);
    if (amzDate === undefined) {
      throw new IncompleteSignatureException("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
    }
    const names = auth.signedHeaders.split(';');
    for (const [n, shown] of REQUIRED_SIGNED) {
      if (!names.includes(n)) throw new IncompleteSignatureException(`${shown} must be a 'SignedHeader' in the AWS Authorization.`);
    }
    // Every x-amz-* header and the content type steer what the request does (X-Amz-Target names the
    // operation): a signature that leaves one out could be replayed with it changed.
    for (const h in req.headers) {
      if ((h === 'content-type' || h.startsWith('x-amz-')) && !names.includes(h)) {
        throw new InvalidSignatureException(`There were headers present in the request which were not signed: ${h.slice(0, 64)}`);
      }
    }
    const dateMs = parseAmzDate(amzDate);

    const cred = auth.credential.split('/');
    if (cred.length !== 5) {
      const got = auth.credential.slice(0, 200);
      throw new IncompleteSignatureException(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${got}'`);
    }
    const [accessKeyId = '', scopeDate = '', region = '', service = '', terminator = ''] = cred;
    if (terminator !== TERMINATOR) {
      throw new InvalidSignatureException(`Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${terminator.slice(0, 40)}'. `);
    }
    const svc = this.#opts.service;
    if (typeof svc === 'string' ? service !== svc : !svc(service)) {
      throw new InvalidSignatureException(`Credential should be scoped to correct service${typeof svc === 'string' ? `: '${svc}'` : ''}. `);
    }
    if (!this.#opts.isRegionAllowed(region, service)) throw new InvalidSignatureException('Credential should be scoped to a valid region. ');
    if (scopeDate !== amzDate.slice(0, 8)) {
      const msg = `'${scopeDate.slice(0, 40)}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`;
      throw new InvalidSignatureException(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ${msg}`);
    }

    const now = this.#opts.now(), skew = this.#maxSkewMs, mins = `${skew / 60000} min.`;
    if (dateMs < now - skew) {
      const limit = formatAmzDate(now - skew);
      throw new InvalidSignatureException(`Signature expired: ${amzDate} is now earlier than ${limit} (${formatAmzDate(now)} - ${mins})`);
    }
    if (dateMs > now + skew) {
      const limit = formatAmzDate(now + skew);
      throw new InvalidSignatureException(`Signature not yet current: ${amzDate} is still later than ${limit} (${formatAmzDate(now)} + ${mins})`);
    }
    return { auth, names, amzDate, accessKeyId, scopeDate, region, service };
  }

  /** The signature checked with the claimed key's credential (undefined: an unknown key). */
  check(req: SigV4Request, claim: SigV4Claim, identity: (T & { secretAccessKey: string }) | undefined): VerifiedSignature<T> {
    const { auth, names, amzDate, accessKeyId, scopeDate, region, service } = claim;
    if (identity === undefined) throw new UnrecognizedClientException();

    const payloadHash = sha256Hex(req.body);
    const claimed = single(req.headers['x-amz-content-sha256']);
    if (claimed !== undefined && claimed !== payloadHash && names.includes('x-amz-content-sha256')) {
      throw new InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was computed.");
    }

    const scope = `${scopeDate}/${region}/${service}/${TERMINATOR}`;
    const sts = stringToSign(amzDate, scope, buildCanonical(req, names, auth.signedHeaders, payloadHash));
    const key = this.#signingKey(accessKeyId, identity.secretAccessKey, scopeDate, region, service);
    // Hex out and back: the bytes come from Buffer's pool rather than an ArrayBuffer of their own per request.
    const expected = Buffer.from(createHmac('sha256', key).update(sts, 'utf8').digest('hex'), 'hex');
    if (!SIGNATURE_HEX.test(auth.signature) || !timingSafeEqual(expected, Buffer.from(auth.signature, 'hex'))) {
      throw new InvalidSignatureException(MISMATCH);
    }

    const out: VerifiedSignature<T> = { identity, accessKeyId, region, service, amzDate };
    const token = single(req.headers['x-amz-security-token']);
    if (token !== undefined) out.securityToken = token;
    return out;
  }

  /** Signing keys cached per (key id, secret, date, region, service); the secret lives only in this Map's keys. */
  #signingKey(accessKeyId: string, secret: string, date: string, region: string, service: string): Buffer {
    const id = `${accessKeyId}\0${secret}\0${date}\0${region}\0${service}`;
    let key = this.#keys.get(id);
    if (key === undefined) {
      if (this.#keys.size >= KEY_CACHE_MAX) this.#keys.clear();
      key = signingKey(secret, date, region, service);
      this.#keys.set(id, key);
    }
    return key;
  }
}
