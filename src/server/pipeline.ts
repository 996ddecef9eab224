/**
 * One KMS request from bytes to answer: authenticate (SigV4), route, deserialize and validate
 * against the model, run the operation, serialize. Every error becomes an AWS error answer here;
 * nothing a client sends can make this throw.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SigV4Verifier } from '../auth/sigv4.ts';
import { UnknownOperationException, UnsupportedMediaTypeException } from '../errors/common-errors.ts';
import { errorAnswer, JSON_11, operationOf, parseJsonBody, serializeOutput } from '../protocol/aws-json.ts';
import { deserializeInput } from '../protocol/validate.ts';
import type { Caller, Operation, OperationContext } from '../operations/context.ts';
import type { Logger } from '../core/log.ts';

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly operation: string | undefined;
  readonly errorCode: string | undefined;
}

export interface PipelineDeps {
  readonly verifier: SigV4Verifier<Caller>;
  readonly operations: ReadonlyMap<string, Operation>;
  readonly context: (caller: Caller, region: string, requestId: string) => OperationContext;
  readonly log: Logger;
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export function createPipeline(deps: PipelineDeps) {
  return async function handle(
    req: { method: string; path: string; query: string; headers: IncomingHttpHeaders },
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
      operation = operationOf(header(req.headers, 'x-amz-target'), deps.operations);
      const op = deps.operations.get(operation) as Operation;
      const input = deserializeInput(operation, parseJsonBody(body));
      const ctx = deps.context(signed.identity, signed.region, requestId);
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
