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

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly operation: string | undefined;
  readonly errorCode: string | undefined;
  /** The answer's content type; JSON 1.1 when absent. */
  readonly contentType?: string;
}

export interface PipelineDeps {
  /** SigV4 plus the credential rules (session tokens, expiry): a SigV4Verifier or an Authenticator. */
  readonly verifier: { verify(req: SigV4Request): VerifiedSignature<Caller> };
  readonly operations: ReadonlyMap<string, Operation>;
  readonly context: (caller: Caller, region: string, requestId: string, request: RequestInfo) => OperationContext;
  readonly log: Logger;
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export function createPipeline(deps: PipelineDeps) {
  return async function handle(
    req: { method: string; path: string; query: string; headers: IncomingHttpHeaders; sourceIp: string },
    body: Buffer,
    requestId: string,
  ): Promise<Answer> {
    let operation: string | undefined;
    try {
      if (req.method !== 'POST' || req.path !== '/') throw new UnknownOperationException();
      const contentType = header(req.headers, 'content-type') ?? '';
      if (!contentType.startsWith(JSON_11) && !contentType.startsWith('application/x-amz-json-1.0')) {
        throw new UnsupportedMediaTypeException(`Unsupported content type '${contentType.slice(0, 100)}'; use ${JSON_11}.`);
      }
      const signed = deps.verifier.verify({ method: req.method, path: req.path, query: req.query, headers: req.headers, body });
      // The verifier accepts every service this endpoint answers; JSON requests are KMS's.
      if (signed.service !== 'kms') throw new InvalidSignatureException("Credential should be scoped to correct service: 'kms'. ");
      operation = operationOf(header(req.headers, 'x-amz-target'), deps.operations);
      const op = deps.operations.get(operation) as Operation;
      const input = deserializeInput(operation, parseJsonBody(body));
      const ctx = deps.context(signed.identity, signed.region, requestId, requestInfo(req));
      const output = await op.run(input, ctx);
      return { status: 200, body: serializeOutput(output), operation, errorCode: undefined };
    } catch (e) {
      const answer = errorAnswer(e);
      if (answer.cause !== undefined) {
        const cause = answer.cause instanceof Error ? { name: answer.cause.name, message: answer.cause.message, stack: answer.cause.stack } : { value: String(answer.cause) };
        deps.log.error('unexpected error', { requestId, operation, cause });
      }
      return { status: answer.status, body: answer.body, operation, errorCode: answer.code };
    }
  };
}
