/**
 * CloudTrail's codec (JSON 1.1 on the same endpoint: `X-Amz-Target:
 * com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`, SigV4 scope `cloudtrail`),
 * so that `aws cloudtrail lookup-events --endpoint-url …` reads Coffer's audit trail. Only
 * LookupEvents is answered; its calls are recorded like any other (eventSource
 * cloudtrail.amazonaws.com).
 */
import { UnknownOperationException } from '../errors/common-errors.ts';
import { errorAnswer, JSON_11, parseJsonBody, serializeOutput } from '../protocol/aws-json.ts';
import { requireScope } from './json-api.ts';
import { CLOUDTRAIL_TARGET_PREFIX, lookupEvents, parseLookupEvents, type LookupEventsContext } from '../operations/cloudtrail/lookup-events.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import type { Codec, PipelineOperation } from './pipeline.ts';
import { header, type HttpRequestHeaders } from './route.ts';

const lookup: PipelineOperation<LookupEventsContext> = {
  run: (input, ctx) => lookupEvents(input as ReturnType<typeof parseLookupEvents>, ctx),
};

const targetName = (req: HttpRequestHeaders): string =>
  (header(req.headers, 'x-amz-target') ?? '').slice(CLOUDTRAIL_TARGET_PREFIX.length).replace(/[^A-Za-z0-9]/g, '').slice(0, 64) || 'UnknownOperation';

export function cloudTrailCodec(context: (caller: Caller, region: string, request: RequestInfo) => LookupEventsContext): Codec<LookupEventsContext, undefined> {
  return {
    before(req) {
      if (req.method !== 'POST' || req.path !== '/') throw new UnknownOperationException();
      return undefined;
    },
    hint: () => 'cloudtrail',
    service: (scope) => requireScope(scope, 'cloudtrail'),
    route(_service, req, body) {
      if (targetName(req) !== 'LookupEvents') throw new UnknownOperationException();
      return { name: 'LookupEvents', op: lookup, input: () => parseLookupEvents(parseJsonBody(body)) as Record<string, unknown> };
    },
    nameForRecord: targetName,
    answer: (_service, _name, output) => ({ body: serializeOutput(output), contentType: JSON_11 }),
    error: (_service, e) => ({ ...errorAnswer(e), contentType: JSON_11 }),
    context: (_service, caller, region, _requestId, request) => context(caller, region, request),
  };
}
