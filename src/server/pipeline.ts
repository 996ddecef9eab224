/**
 * One KMS request from bytes to answer: authenticate (SigV4), route, deserialize and validate
 * against the model, run the operation, serialize. Every error becomes an AWS error answer here;
 * nothing a client sends can make this throw.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { SigV4Request, VerifiedSignature } from '../auth/sigv4.ts';
import { InvalidSignatureException, UnknownOperationException, UnsupportedMediaTypeException } from '../errors/common-errors.ts';
import { errorAnswer, JSON_11, operationOf, parseJsonBody, serializeOutput } from '../protocol/aws-json.ts';
import { deserializeInput } from '../protocol/validate.ts';
import type { Caller, Operation, OperationContext, RequestInfo } from '../operations/context.ts';
import { requestInfo } from './request-info.ts';
import type { Logger } from '../core/log.ts';
import type { AuditSink } from '../ports/audit.ts';
import { AwsError } from '../errors/aws-error.ts';
import { invoke, newCallFacts, recordCall, refuseWhileAuditFull, type ErrorInfo } from './audit-call.ts';

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly operation: string | undefined;
  readonly errorCode: string | undefined;
  /** The answer's content type; JSON 1.1 when absent. */
  readonly contentType?: string;
  /** The authenticated principal's ARN (for the request log line). */
  readonly principal?: string | undefined;
}

export interface PipelineDeps {
  /** SigV4 plus the credential rules (session tokens, expiry): a SigV4Verifier or an Authenticator. */
  readonly verifier: { verify(req: SigV4Request): VerifiedSignature<Caller> };
  readonly operations: ReadonlyMap<string, Operation>;
  /** `resources` collects the ARNs the call touches (for its audit record). */
  readonly context: (caller: Caller, region: string, requestId: string, request: RequestInfo, resources: Set<string>) => OperationContext;
  readonly log: Logger;
  /** Where each call's record goes; none when absent. */
  readonly audit?: AuditSink | undefined;
  /** The region recorded for a request whose credential scope names none. */
  readonly region?: string;
  /** Told of every unexpected error (a storage fault, a bug) after it is logged. */
  readonly onUnexpected?: ((cause: unknown) => void) | undefined;
  /** Request quotas (server/request-quotas.ts): throws ThrottlingException for a call over its account's quota. */
  readonly quota?: (accountId: string, region: string, operation: string) => void;
}

/** The code and message a KMS error answer carries. */
export const kmsErrorInfo = (e: unknown): ErrorInfo => {
  const a = errorAnswer(e);
  return { code: a.code, message: e instanceof AwsError ? e.message : '' };
};

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** What an unknown or malformed target names, for the record of a call that never reached an operation. */
function operationName(target: string | undefined): string {
  const name = target?.slice(target.lastIndexOf('.') + 1) ?? '';
  return /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) ? name : 'UnknownOperation';
}

export function createPipeline(deps: PipelineDeps) {
  return async function handle(
    req: { method: string; path: string; query: string; headers: IncomingHttpHeaders; sourceIp: string },
    body: Buffer,
    requestId: string,
  ): Promise<Answer> {
    const info = requestInfo(req);
    const facts = newCallFacts('kms', req.headers, requestId, info, deps.region ?? '');
    try {
      refuseWhileAuditFull(deps.audit, facts);
      if (req.method !== 'POST' || req.path !== '/') throw new UnknownOperationException();
      const contentType = header(req.headers, 'content-type') ?? '';
      if (!contentType.startsWith(JSON_11) && !contentType.startsWith('application/x-amz-json-1.0')) {
        throw new UnsupportedMediaTypeException(`Unsupported content type '${contentType.slice(0, 100)}'; use ${JSON_11}.`);
      }
      const signed = deps.verifier.verify({ method: req.method, path: req.path, query: req.query, headers: req.headers, body });
      facts.caller = signed.identity;
      facts.region = signed.region;
      // The verifier accepts every service this endpoint answers; JSON requests are KMS's.
      if (signed.service !== 'kms') throw new InvalidSignatureException("Credential should be scoped to correct service: 'kms'. ");
      const operation = operationOf(header(req.headers, 'x-amz-target'), deps.operations);
      facts.operation = operation;
      deps.quota?.(signed.identity.accountId, signed.region, operation);
      const op = deps.operations.get(operation) as Operation;
      const input = deserializeInput(operation, parseJsonBody(body));
      facts.input = input;
      const ctx = deps.context(signed.identity, signed.region, requestId, info, facts.resources);
      const output = await invoke(deps.audit, facts, kmsErrorInfo, {
        mutating: op.mutating,
        prepare: op.prepare ? () => (op.prepare as NonNullable<Operation['prepare']>)(input, ctx) : undefined,
        run: (prepared) => op.run(input, ctx, prepared),
      });
      recordCall(deps.audit, facts, output, undefined);
      return { status: 200, body: serializeOutput(output), operation, errorCode: undefined, principal: signed.identity.arn };
    } catch (e) {
      const answer = errorAnswer(e);
      if (answer.cause !== undefined) {
        const cause = answer.cause instanceof Error ? { name: answer.cause.name, message: answer.cause.message, stack: answer.cause.stack } : { value: String(answer.cause) };
        deps.log.error('unexpected error', { requestId, operation: facts.operation, cause });
        deps.onUnexpected?.(answer.cause);
      }
      const operation = facts.operation;
      if (operation === undefined) facts.operation = operationName(header(req.headers, 'x-amz-target'));
      recordCall(deps.audit, facts, undefined, { code: answer.code, message: e instanceof AwsError ? e.message : '' });
      return { status: answer.status, body: answer.body, operation, errorCode: answer.code, principal: facts.caller?.arn };
    }
  };
}
