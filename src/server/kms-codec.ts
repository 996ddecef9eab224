/**
 * The KMS API's codec (JSON 1.1): `POST /` with `X-Amz-Target: TrentService.<Operation>` and a
 * JSON body validated against the KMS model; answers and `{"__type","message"}` errors in JSON.
 */
import { errorAnswer, JSON_11, operationOf, parseJsonBody, serializeOutput } from '../protocol/aws-json.ts';
import { deserializeInput } from '../protocol/validate.ts';
import type { Caller, Operation, OperationContext, RequestInfo } from '../operations/context.ts';
import type { UnitOfWork } from '../ports/changes.ts';
import type { Codec, Routed } from './pipeline.ts';
import { requireJsonPost, requireScope } from './json-api.ts';
import { header } from './route.ts';

export type KmsContextFactory = (caller: Caller, region: string, requestId: string, request: RequestInfo, resources: Set<string>, uow: UnitOfWork) => OperationContext;

const NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** What an unknown or malformed target names, for the record of a call that never reached an operation. */
function operationName(target: string | undefined): string {
  const name = target?.slice(target.lastIndexOf('.') + 1) ?? '';
  return NAME.test(name) ? name : 'UnknownOperation';
}

/** A routed KMS call; its body is parsed only when asked (a class, not a closure a request). */
class JsonRouted implements Routed<OperationContext> {
  constructor(readonly name: string, readonly op: Operation, private readonly body: Buffer) {}
  input(): Record<string, unknown> { return deserializeInput(this.name, parseJsonBody(this.body)); }
}

export function kmsCodec(operations: ReadonlyMap<string, Operation>, context: KmsContextFactory): Codec<OperationContext, undefined> {
  return {
    before: requireJsonPost,
    hint: () => 'kms',
    service: (scope) => requireScope(scope, 'kms'),
    route(_service, req, body) {
      const name = operationOf(header(req.headers, 'x-amz-target'), operations);
      const op = operations.get(name) as Operation;
      return new JsonRouted(name, op, body);
    },
    nameForRecord: (req) => operationName(header(req.headers, 'x-amz-target')),
    answer: (_service, _name, output) => ({ body: serializeOutput(output), contentType: JSON_11 }),
    error: (_service, e) => ({ ...errorAnswer(e), contentType: JSON_11 }),
    context: (_service, caller, region, requestId, request, resources, uow) => context(caller, region, requestId, request, resources, uow),
  };
}
