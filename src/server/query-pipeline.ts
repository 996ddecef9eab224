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
import { parseForm, QUERY_MODELS as MODELS, queryErrorAnswer, readQueryRequest, serializeQueryResponse, XML_CONTENT_TYPE } from '../protocol/aws-query.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import type { QueryContext, QueryOperation, QueryService } from '../operations/query-context.ts';
import { requestInfo } from './request-info.ts';
import type { Logger } from '../core/log.ts';
import type { Answer } from './pipeline.ts';
import type { AuditSink } from '../ports/audit.ts';
import { AwsError } from '../errors/aws-error.ts';
import { invoke, newCallFacts, recordCall, refuseWhileAuditFull, type CallFacts } from './audit-call.ts';
import { claimedScope } from './route.ts';
import { operationFacts } from '../wire/operation-table.ts';

export interface QueryPipelineDeps {
  readonly verifier: { verify(req: SigV4Request): VerifiedSignature<Caller> };
  readonly operations: Readonly<Record<QueryService, ReadonlyMap<string, QueryOperation>>>;
  readonly context: (caller: Caller, region: string, requestId: string, request: RequestInfo) => QueryContext;
  readonly log: Logger;
  /** Where each call's record goes; none when absent. */
  readonly audit?: AuditSink | undefined;
  /** The region recorded for a request whose credential scope names none. */
  readonly region?: string;
  /** Told of every unexpected error (a storage fault, a bug) after it is logged. */
  readonly onUnexpected?: ((cause: unknown) => void) | undefined;
}

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly sourceIp: string;
}

type Handler = (req: HttpRequest, body: Buffer, requestId: string) => Promise<Answer>;

/**
 * The service whose error format an answer uses before the signature is verified: the credential
 * scope's if it names iam or sts, else STS for STS's actions, else IAM.
 */
function serviceHint(headers: IncomingHttpHeaders, params: ReadonlyMap<string, string> | undefined): QueryService {
  const scope = claimedScope(headers)?.service;
  if (scope === 'iam' || scope === 'sts') return scope;
  const action = params?.get('Action');
  return action !== undefined && Object.hasOwn(MODELS.sts.operations, action) ? 'sts' : 'iam';
}

export function createQueryPipeline(deps: QueryPipelineDeps): Handler {
  return async function handle(req, body, requestId) {
    let service: QueryService | undefined;
    let params: ReadonlyMap<string, string> | undefined;
    let operation: string | undefined;
    const info = requestInfo(req);
    let facts: CallFacts | undefined;
    const errorOf = (e: unknown) => {
      const a = queryErrorAnswer(MODELS[service ?? serviceHint(req.headers, params)], e, requestId);
      return { code: a.code, message: e instanceof AwsError ? e.message : '' };
    };
    try {
      if (deps.audit !== undefined && !deps.audit.accepting()) {
        facts = newCallFacts(serviceHint(req.headers, params), req.headers, requestId, info, deps.region ?? '');
        refuseWhileAuditFull(deps.audit, facts);
      }
      if (req.method !== 'POST' || req.path !== '/') throw new InvalidActionError('Coffer answers IAM and STS requests only as POST /.');
      params = parseForm(body);
      const signed = deps.verifier.verify({ method: req.method, path: req.path, query: req.query, headers: req.headers, body });
      if (signed.service !== 'iam' && signed.service !== 'sts') {
        throw new InvalidSignatureException("Credential should be scoped to correct service: 'iam' or 'sts'. ");
      }
      service = signed.service;
      facts = newCallFacts(service, req.headers, requestId, info, deps.region ?? '');
      facts.caller = signed.identity;
      facts.region = signed.region;
      const model = MODELS[service];
      const { action, input } = readQueryRequest(model, params);
      operation = action;
      facts.operation = action;
      facts.input = input;
      const op = deps.operations[service].get(action);
      if (!op) throw new InvalidActionError(`Could not find operation ${action} for version ${model.metadata.apiVersion}`);
      const ctx = deps.context(signed.identity, signed.region, requestId, info);
      const output = await invoke(deps.audit, facts, errorOf, {
        mutating: operationFacts(service, action)?.mutating ?? false,
        run: () => op.run(input, ctx),
      });
      recordCall(deps.audit, facts, output, undefined);
      return { status: 200, body: serializeQueryResponse(model, action, output, requestId), contentType: XML_CONTENT_TYPE, operation, errorCode: undefined, principal: signed.identity.arn };
    } catch (e) {
      const answer = queryErrorAnswer(MODELS[service ?? serviceHint(req.headers, params)], e, requestId);
      if (answer.cause !== undefined) {
        const cause = answer.cause instanceof Error ? { name: answer.cause.name, message: answer.cause.message, stack: answer.cause.stack } : { value: String(answer.cause) };
        deps.log.error('unexpected error', { requestId, operation, cause });
        deps.onUnexpected?.(answer.cause);
      }
      const f = facts ?? newCallFacts(service ?? serviceHint(req.headers, params), req.headers, requestId, info, deps.region ?? '');
      if (f.operation === undefined) {
        const action = params?.get('Action');
        f.operation = action !== undefined && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(action) ? action : 'UnknownOperation';
      }
      recordCall(deps.audit, f, undefined, { code: answer.code, message: e instanceof AwsError ? e.message : '' });
      return { status: answer.status, body: answer.body, contentType: XML_CONTENT_TYPE, operation, errorCode: answer.code, principal: f.caller?.arn };
    }
  };
}
