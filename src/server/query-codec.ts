/**
 * The IAM and STS codec (AWS Query protocol): `POST /` with a form-encoded body (`Action=…`),
 * validated against the service's model (the SigV4 scope, `iam` or `sts`, names the service); XML
 * answers and `<ErrorResponse>` errors.
 */
import { InvalidSignatureException } from '../errors/common-errors.ts';
import { InvalidActionError } from '../errors/query-errors.ts';
import { parseForm, QUERY_MODELS as MODELS, queryErrorAnswer, readQueryRequest, serializeQueryResponse, XML_CONTENT_TYPE } from '../protocol/aws-query.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import type { QueryContext, QueryOperation, QueryService } from '../operations/query-context.ts';
import type { AuditService } from '../ports/audit.ts';
import type { UnitOfWork } from '../ports/changes.ts';
import type { Codec, HttpRequest } from './pipeline.ts';
import { claimedScope } from './route.ts';

export type QueryContextFactory = (caller: Caller, region: string, requestId: string, request: RequestInfo, uow: UnitOfWork) => QueryContext;

const NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const asQuery = (s: AuditService): QueryService => (s === 'sts' ? 'sts' : 'iam');

/**
 * The service whose error format an answer uses before the signature is verified: the credential
 * scope's if it names iam or sts, else STS for STS's actions, else IAM.
 */
function serviceHint(req: HttpRequest, params: ReadonlyMap<string, string> | undefined): QueryService {
  const scope = claimedScope(req.headers)?.service;
  if (scope === 'iam' || scope === 'sts') return scope;
  const action = params?.get('Action');
  return action !== undefined && Object.hasOwn(MODELS.sts.operations, action) ? 'sts' : 'iam';
}

export function queryCodec(
  operations: Readonly<Record<QueryService, ReadonlyMap<string, QueryOperation>>>, context: QueryContextFactory,
): Codec<QueryContext, ReadonlyMap<string, string>> {
  return {
    before(req, body) {
      if (req.method !== 'POST' || req.path !== '/') throw new InvalidActionError('Coffer answers IAM and STS requests only as POST /.');
      return parseForm(body);
    },
    hint: serviceHint,
    service(scope) {
      if (scope !== 'iam' && scope !== 'sts') throw new InvalidSignatureException("Credential should be scoped to correct service: 'iam' or 'sts'. ");
      return scope;
    },
    route(service, _req, _body, params) {
      const model = MODELS[asQuery(service)];
      const { action, input } = readQueryRequest(model, params);
      const op = operations[asQuery(service)].get(action);
      if (!op) throw new InvalidActionError(`Could not find operation ${action} for version ${model.metadata.apiVersion}`);
      return { name: action, op, input: () => input };
    },
    nameForRecord(_req, params) {
      const action = params?.get('Action');
      return action !== undefined && NAME.test(action) ? action : 'UnknownOperation';
    },
    answer: (service, name, output, requestId) => ({ body: serializeQueryResponse(MODELS[asQuery(service)], name, output, requestId), contentType: XML_CONTENT_TYPE }),
    error: (service, e, requestId) => ({ ...queryErrorAnswer(MODELS[asQuery(service)], e, requestId), contentType: XML_CONTENT_TYPE }),
    context: (_service, caller, region, requestId, request, _resources, uow) => context(caller, region, requestId, request, uow),
  };
}
