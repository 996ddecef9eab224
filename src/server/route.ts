/**
 * Which API a request is for, decided in one place: first by the service of its SigV4 credential
 * scope (what the client signed for, so a KMS call with a form content type still gets a KMS
 * answer), then, for requests without a usable scope, by `X-Amz-Target` or a form-encoded body.
 * The chosen pipeline then verifies the signature and refuses a scope it does not serve.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { FORM_URLENCODED } from '../protocol/aws-query.ts';
import { TARGET_PREFIX } from '../protocol/aws-json.ts';
import { CLOUDTRAIL_TARGET_PREFIX } from '../operations/cloudtrail/lookup-events.ts';
import { CLOUDHSM_TARGET_PREFIX } from '../wire/cloudhsm-model.ts';
import { COFFER_HSM_TARGET_PREFIX } from '../operations/cloudhsm/hsm-data-plane.ts';
import { COFFER_ADMIN_TARGET_PREFIX } from '../operations/coffer/admin.ts';

export type Api = 'kms' | 'query' | 'cloudtrail' | 'cloudhsm' | 'coffer';

/** What the Authorization header claims before it is verified. */
export interface ClaimedScope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/** A fixed pattern (never built from input); every part excludes the separators, so it cannot backtrack. */
const CREDENTIAL = /Credential=([^/,\s]{1,128})\/\d{8}\/([^/,\s]{1,64})\/([^/,\s]{1,64})\//;

/** Anything with the request's headers. */
export interface HttpRequestHeaders {
  readonly headers: IncomingHttpHeaders;
}

export const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export function claimedScope(headers: IncomingHttpHeaders): ClaimedScope | undefined {
  const auth = header(headers, 'authorization');
  const m = auth === undefined ? null : CREDENTIAL.exec(auth);
  return m ? { accessKeyId: m[1] as string, region: m[2] as string, service: m[3] as string } : undefined;
}

const BY_SCOPE: Readonly<Record<string, Api>> = { kms: 'kms', iam: 'query', sts: 'query', cloudtrail: 'cloudtrail', cloudhsm: 'cloudhsm', coffer: 'coffer' };

export function apiOf(headers: IncomingHttpHeaders): Api {
  const scope = claimedScope(headers)?.service;
  if (scope !== undefined && Object.hasOwn(BY_SCOPE, scope)) return BY_SCOPE[scope] as Api;
  const target = header(headers, 'x-amz-target') ?? '';
  if (target.startsWith(CLOUDTRAIL_TARGET_PREFIX)) return 'cloudtrail';
  if (target.startsWith(CLOUDHSM_TARGET_PREFIX) || target.startsWith(COFFER_HSM_TARGET_PREFIX)) return 'cloudhsm';
  if (target.startsWith(COFFER_ADMIN_TARGET_PREFIX)) return 'coffer';
  if (target.startsWith(TARGET_PREFIX)) return 'kms';
  return (header(headers, 'content-type') ?? '').toLowerCase().startsWith(FORM_URLENCODED) ? 'query' : 'kms';
}

type Handler<R extends { headers: IncomingHttpHeaders }, A> = (req: R, body: Buffer, requestId: string) => Promise<A>;

/** One handler for the endpoint: each request goes to the pipeline of its API. */
export function createRouter<R extends { headers: IncomingHttpHeaders }, A>(routes: Readonly<Record<Api, Handler<R, A>>>): Handler<R, A> {
  return (req, body, requestId) => routes[apiOf(req.headers)](req, body, requestId);
}
