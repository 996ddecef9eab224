/**
 * CloudTrail's JSON 1.1 API on the same endpoint (`X-Amz-Target:
 * com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`, SigV4 scope `cloudtrail`),
 * so that `aws cloudtrail lookup-events --endpoint-url …` reads Coffer's audit trail. Only
 * LookupEvents is answered; its calls are recorded like any other (eventSource
 * cloudtrail.amazonaws.com).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { SigV4Request, VerifiedSignature } from '../auth/sigv4.ts';
import { AwsError } from '../errors/aws-error.ts';
import { InvalidSignatureException, UnknownOperationException } from '../errors/common-errors.ts';
import { errorAnswer, parseJsonBody, serializeOutput } from '../protocol/aws-json.ts';
import { CLOUDTRAIL_TARGET_PREFIX, lookupEvents, parseLookupEvents, type LookupEventsContext } from '../operations/cloudtrail/lookup-events.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import type { AuditSink } from '../ports/audit.ts';
import type { Logger } from '../core/log.ts';
import { requestInfo } from './request-info.ts';
import { newCallFacts, recordCall, refuseWhileAuditFull } from './audit-call.ts';
import type { Answer } from './pipeline.ts';
import type { HttpRequest } from './query-pipeline.ts';

export interface CloudTrailPipelineDeps {
  readonly verifier: { verify(req: SigV4Request): VerifiedSignature<Caller> };
  readonly context: (caller: Caller, request: RequestInfo) => LookupEventsContext;
  readonly log: Logger;
  readonly audit?: AuditSink | undefined;
  readonly region: string;
  /** Told of every unexpected error (a storage fault, a bug) after it is logged. */
  readonly onUnexpected?: ((cause: unknown) => void) | undefined;
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export function createCloudTrailPipeline(deps: CloudTrailPipelineDeps) {
  return async function handle(req: HttpRequest, body: Buffer, requestId: string): Promise<Answer> {
    const info = requestInfo(req);
    const facts = newCallFacts('cloudtrail', req.headers, requestId, info, deps.region);
    const target = header(req.headers, 'x-amz-target') ?? '';
    facts.operation = target.slice(CLOUDTRAIL_TARGET_PREFIX.length).replace(/[^A-Za-z0-9]/g, '').slice(0, 64) || 'UnknownOperation';
    try {
      refuseWhileAuditFull(deps.audit, facts);
      if (req.method !== 'POST' || req.path !== '/') throw new UnknownOperationException();
      const signed = deps.verifier.verify({ method: req.method, path: req.path, query: req.query, headers: req.headers, body });
      facts.caller = signed.identity;
      facts.region = signed.region;
      if (signed.service !== 'cloudtrail') throw new InvalidSignatureException("Credential should be scoped to correct service: 'cloudtrail'. ");
      if (facts.operation !== 'LookupEvents') throw new UnknownOperationException();
      const input = parseLookupEvents(parseJsonBody(body));
      facts.input = input as Readonly<Record<string, unknown>>;
      const output = lookupEvents(input, deps.context(signed.identity, info));
      recordCall(deps.audit, facts, output, undefined);
      return { status: 200, body: serializeOutput(output), operation: 'LookupEvents', errorCode: undefined, principal: signed.identity.arn };
    } catch (e) {
      const answer = errorAnswer(e);
      if (answer.cause !== undefined) {
        deps.log.error('unexpected error', { requestId, operation: facts.operation, cause: answer.cause instanceof Error ? answer.cause.message : String(answer.cause) });
        deps.onUnexpected?.(answer.cause);
      }
      recordCall(deps.audit, facts, undefined, { code: answer.code, message: e instanceof AwsError ? e.message : '' });
      return { status: answer.status, body: answer.body, operation: facts.operation === 'LookupEvents' ? 'LookupEvents' : undefined, errorCode: answer.code, principal: facts.caller?.arn };
    }
  };
}
