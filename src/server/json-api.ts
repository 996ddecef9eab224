/**
 * What every AWS JSON 1.1 API on Coffer's endpoint (KMS, CloudHSMv2 and Coffer's HSM data plane)
 * checks before routing: a POST to `/` with a JSON content type, and a SigV4 credential scoped to
 * the API's own service (AWS's InvalidSignatureException message otherwise).
 */
import { InvalidSignatureException, UnknownOperationException, UnsupportedMediaTypeException } from '../errors/common-errors.ts';
import { JSON_11 } from '../protocol/aws-json.ts';
import type { HttpRequest } from './pipeline.ts';
import { header } from './route.ts';

/** Throws unless the request is a POST to `/` with an AWS JSON 1.0/1.1 body. */
export function requireJsonPost(req: HttpRequest): undefined {
  if (req.method !== 'POST' || req.path !== '/') throw new UnknownOperationException();
  const contentType = header(req.headers, 'content-type') ?? '';
  if (!contentType.startsWith(JSON_11) && !contentType.startsWith('application/x-amz-json-1.0')) {
    throw new UnsupportedMediaTypeException(`Unsupported content type '${contentType.slice(0, 100)}'; use ${JSON_11}.`);
  }
  return undefined;
}

/** The credential scope's service, which must be `service`. */
export function requireScope<S extends string>(scope: string, service: S): S {
  if (scope !== service) throw new InvalidSignatureException(`Credential should be scoped to correct service: '${service}'. `);
  return service;
}
