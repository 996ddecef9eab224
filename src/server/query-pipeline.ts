/**
 * One IAM or STS request (AWS Query protocol) from bytes to answer: authenticate (SigV4 scoped to
 * `iam` or `sts`), decode the form, validate against the service's model, run the operation,
 * answer XML. Every error becomes a Query error answer here; nothing a client sends makes it throw.
 * Also the router that sends form-encoded requests here and everything else to the KMS pipeline.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { SigV4Request, VerifiedSignature } from '../auth/sigv4.ts';
import { InvalidSignatureException } from '../errors/common-errors.ts';
import { InvalidActionError } from '../errors/query-errors.ts';
import { FORM_URLENCODED, parseForm, QUERY_MODELS as MODELS, queryErrorAnswer, readQueryRequest, serializeQueryResponse, XML_CONTENT_TYPE } from '../protocol/aws-query.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import type { QueryContext, QueryOperation, QueryService } from '../operations/query-context.ts';
import { requestInfo } from './request-info.ts';
import type { Logger } from '../core/log.ts';
import type { Answer } from './pipeline.ts';

export interface QueryPipelineDeps {
  readonly verifier: { verify(req: SigV4Request): VerifiedSignature<Caller> };
  readonly operations: Readonly<Record<QueryService, ReadonlyMap<string, QueryOperation>>>;
  readonly context: (caller: Caller, region: string, requestId: string, request: RequestInfo) => QueryContext;
  readonly log: Logger;
}

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly sourceIp: string;
}

type Handler = (req: HttpRequest, body: Buffer, requestId: string) => Promise<Answer>;


const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export const isFormRequest = (headers: IncomingHttpHeaders): boolean =>
  (header(headers, 'content-type') ?? '').toLowerCase().startsWith(FORM_URLENCODED);

/**
 * The service whose error format an answer uses before the signature is verified: the credential
 * scope's if it names iam or sts, else STS for STS's actions, else IAM.
 */
function serviceHint(headers: IncomingHttpHeaders, params: ReadonlyMap<string, string> | undefined): QueryService {
  const scope = /Credential=[^/,\s]*\/\d{8}\/[^/,\s]*\/(iam|sts)\//.exec(header(headers, 'authorization') ?? '')?.[1];
  if (scope === 'iam' || scope === 'sts') return scope;
  const action = params?.get('Action');
  return action !== undefined && Object.hasOwn(MODELS.sts.operations, action) ? 'sts' : 'iam';
}

export function createQueryPipeline(deps: QueryPipelineDeps): Handler {
  return async function handle(req, body, requestId) {
    let service: QueryService | undefined;
    let params: ReadonlyMap<string, string> | undefined;
    let operation: string | undefined;
    try {
      if (req.method !== 'POST' || req.path !== '/') throw new InvalidActionError('Coffer answers IAM and STS requests only as POST /.');
      params = parseForm(body);
      const signed = deps.verifier.verify({ method: req.method, path: req.path, query: req.query, headers: req.headers, body });
      if (signed.service !== 'iam' && signed.service !== 'sts') {
        throw new InvalidSignatureException("Credential should be scoped to correct service: 'iam' or 'sts'. ");
      }
      service = signed.service;
      const model = MODELS[service];
      const { action, input } = readQueryRequest(model, params);
      operation = action;
      const op = deps.operations[service].get(action);
      if (!op) throw new InvalidActionError(`Could not find operation ${action} for version ${model.metadata.apiVersion}`);
      const output = op.run(input, deps.context(signed.identity, signed.region, requestId, requestInfo(req)));
      return { status: 200, body: serializeQueryResponse(model, action, output, requestId), contentType: XML_CONTENT_TYPE, operation, errorCode: undefined };
    } catch (e) {
      const answer = queryErrorAnswer(MODELS[service ?? serviceHint(req.headers, params)], e, requestId);
      if (answer.cause !== undefined) {
        const cause = answer.cause instanceof Error ? { name: answer.cause.name, message: answer.cause.message, stack: answer.cause.stack } : { value: String(answer.cause) };
        deps.log.error('unexpected error', { requestId, operation, cause });
      }
      return { status: answer.status, body: answer.body, contentType: XML_CONTENT_TYPE, operation, errorCode: answer.code };
    }
  };
}

/** Form-encoded requests (IAM, STS) go to `query`, everything else to `json` (KMS). */
export function routeByContentType(routes: { readonly json: Handler; readonly query: Handler }): Handler {
  return (req, body, requestId) => (isFormRequest(req.headers) ? routes.query(req, body, requestId) : routes.json(req, body, requestId));
}
