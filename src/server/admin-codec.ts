/**
 * The codec of Coffer's admin API (JSON 1.1 on the same endpoint: `X-Amz-Target:
 * CofferAdminService.<Operation>`, SigV4 scope `coffer`; operations/coffer/admin.ts). Input is
 * validated against its model (wire/coffer-admin-model.ts) before an operation sees it:
 * ValidationException with AWS's wording; anything unexpected is an internal error (500).
 */
import { UnknownOperationException } from '../errors/common-errors.ts';
import { errorAnswer, JSON_11, parseJsonBody, serializeOutput } from '../protocol/aws-json.ts';
import { createInputReader } from '../protocol/validate.ts';
import { COFFER_ADMIN_TARGET_PREFIX, cofferAdminModel } from '../wire/coffer-admin-model.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import type { AdminContext, AdminOperation } from '../operations/coffer/admin.ts';
import type { UnitOfWork } from '../ports/changes.ts';
import type { Codec } from './pipeline.ts';
import { requireJsonPost, requireScope } from './json-api.ts';
import { header, type HttpRequestHeaders } from './route.ts';

export type AdminContextFactory = (caller: Caller, request: RequestInfo, uow: UnitOfWork) => AdminContext;

const readInput = createInputReader(cofferAdminModel);
const NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

const targetName = (req: HttpRequestHeaders): string => {
  const target = header(req.headers, 'x-amz-target') ?? '';
  const name = target.startsWith(COFFER_ADMIN_TARGET_PREFIX) ? target.slice(COFFER_ADMIN_TARGET_PREFIX.length) : '';
  return NAME.test(name) ? name : 'UnknownOperation';
};

export function adminCodec(operations: ReadonlyMap<string, AdminOperation>, context: AdminContextFactory): Codec<AdminContext, undefined> {
  return {
    before: requireJsonPost,
    hint: () => 'coffer',
    service: (scope) => requireScope(scope, 'coffer'),
    route(_service, req, body) {
      const name = targetName(req);
      const op = operations.get(name);
      if (op === undefined) throw new UnknownOperationException();
      return { name, op, input: () => readInput(name, parseJsonBody(body)) };
    },
    nameForRecord: targetName,
    answer: (_service, _name, output) => ({ body: serializeOutput(output), contentType: JSON_11 }),
    error: (_service, e) => ({ ...errorAnswer(e), contentType: JSON_11 }),
    context: (_service, caller, _region, _requestId, request, _resources, uow) => context(caller, request, uow),
  };
}
