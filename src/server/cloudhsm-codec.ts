/**
 * CloudHSMv2's codec (JSON 1.1 on the same endpoint: `X-Amz-Target: BaldrApiService.<Operation>`,
 * SigV4 scope `cloudhsm`), so that `aws cloudhsmv2 … --endpoint-url` and the SDK's CloudHSMV2
 * client reach the control plane (design/hsm-tier.md §2). Input is validated against the
 * CloudHSMv2 model before an operation sees it: a violation is CloudHsmInvalidRequestException
 * with AWS's validation wording; anything unexpected is CloudHsmInternalFailureException (500).
 * Operations of the model Coffer does not answer yet (backups, resource policies) are refused with
 * CloudHsmInvalidRequestException saying so.
 */
import { AwsError } from '../errors/aws-error.ts';
import { UnknownOperationException, ValidationException } from '../errors/common-errors.ts';
import { CloudHsmInternalFailureException, CloudHsmInvalidRequestException } from '../errors/cloudhsm-errors.ts';
import { errorAnswer, JSON_11, parseJsonBody, serializeOutput } from '../protocol/aws-json.ts';
import { createInputReader } from '../protocol/validate.ts';
import { CLOUDHSM_TARGET_PREFIX, cloudHsmModel } from '../wire/cloudhsm-model.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import type { CloudHsmContext, CloudHsmOperation } from '../operations/cloudhsm/context.ts';
import { COFFER_HSM_OPERATIONS, COFFER_HSM_TARGET_PREFIX } from '../operations/cloudhsm/hsm-data-plane.ts';
import type { UnitOfWork } from '../ports/changes.ts';
import type { Codec, PipelineOperation } from './pipeline.ts';
import { requireJsonPost, requireScope } from './json-api.ts';
import { header, type HttpRequestHeaders } from './route.ts';

export type CloudHsmContextFactory = (caller: Caller, region: string, requestId: string, request: RequestInfo, resources: Set<string>, uow: UnitOfWork) => CloudHsmContext;

const readInput = createInputReader(cloudHsmModel);
const NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** Whether the request is for the Coffer HSM data plane (`CofferHsmService.<Operation>`, operations/cloudhsm/hsm-data-plane.ts). */
const isDataPlane = (req: HttpRequestHeaders): boolean => (header(req.headers, 'x-amz-target') ?? '').startsWith(COFFER_HSM_TARGET_PREFIX);

const targetName = (req: HttpRequestHeaders): string => {
  const target = header(req.headers, 'x-amz-target') ?? '';
  const name = target.startsWith(CLOUDHSM_TARGET_PREFIX) ? target.slice(CLOUDHSM_TARGET_PREFIX.length)
    : target.startsWith(COFFER_HSM_TARGET_PREFIX) ? target.slice(COFFER_HSM_TARGET_PREFIX.length) : '';
  return NAME.test(name) ? name : 'UnknownOperation';
};

/** A data-plane request's body: a JSON object (each operation checks its members). */
function readDataPlane(body: Buffer): Record<string, unknown> {
  const input = parseJsonBody(body);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new CloudHsmInvalidRequestException('The request body must be a JSON object.');
  return input as Record<string, unknown>;
}

/** The model's validation failures in CloudHSM's error. */
function read(name: string, body: Buffer): Record<string, unknown> {
  try {
    return readInput(name, parseJsonBody(body));
  } catch (e) {
    if (e instanceof ValidationException) throw new CloudHsmInvalidRequestException(e.message);
    throw e;
  }
}

const notYet = (name: string): PipelineOperation<CloudHsmContext> => ({
  run: async () => { throw new CloudHsmInvalidRequestException(`${name} is not supported yet by Coffer.`); },
});

export function cloudHsmCodec(operations: ReadonlyMap<string, CloudHsmOperation>, context: CloudHsmContextFactory): Codec<CloudHsmContext, undefined> {
  return {
    before: requireJsonPost,
    hint: () => 'cloudhsm',
    service: (scope) => requireScope(scope, 'cloudhsm'),
    route(_service, req, body) {
      const name = targetName(req);
      if (isDataPlane(req)) {
        const op = COFFER_HSM_OPERATIONS.get(name);
        if (op === undefined) throw new UnknownOperationException();
        return { name, op, input: () => readDataPlane(body) };
      }
      if (!Object.hasOwn(cloudHsmModel.operations, name)) throw new UnknownOperationException();
      const op = operations.get(name) ?? notYet(name);
      return { name, op, input: () => read(name, body) };
    },
    nameForRecord: targetName,
    answer: (_service, _name, output) => ({ body: serializeOutput(output), contentType: JSON_11 }),
    error: (_service, e) => {
      // The pipeline's own faults (audit trail full, repeated write races) keep their message; anything else is a bug or a fault.
      const fault = e instanceof AwsError && e.status >= 500 && !(e instanceof CloudHsmInternalFailureException)
        ? new CloudHsmInternalFailureException(e.message) : e;
      const answer = errorAnswer(fault instanceof AwsError ? fault : new CloudHsmInternalFailureException());
      return { ...answer, contentType: JSON_11, ...(e instanceof AwsError ? {} : { cause: e }) };
    },
    context: (_service, caller, region, requestId, request, resources, uow) => context(caller, region, requestId, request, resources, uow),
  };
}
