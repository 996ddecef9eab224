/**
 * The answer to a request shed by admission control, in the protocol the request speaks, worked
 * out from its headers alone (the body is not read): the SigV4 credential scope names the service
 * (iam or sts: AWS Query XML, code `Throttling`; kms or cloudtrail: JSON `ThrottlingException`),
 * else a form body means Query and anything else JSON. Status 400 either way, which the AWS SDKs
 * retry with back-off.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ThrottlingException } from '../errors/common-errors.ts';
import { errorAnswer, JSON_11 } from '../protocol/aws-json.ts';
import { FORM_URLENCODED, QUERY_MODELS, queryErrorAnswer, XML_CONTENT_TYPE } from '../protocol/aws-query.ts';

const SCOPE_SERVICE = /Credential=[^/,\s]*\/\d{8}\/[^/,\s]*\/([a-z0-9-]{1,32})\//;

export interface ThrottledAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

const first = (v: string | string[] | undefined): string => (Array.isArray(v) ? v[0] : v) ?? '';

/** Made once: a shed request must cost little, and an Error captures a stack trace when made. */
const THROTTLED = new ThrottlingException();
const JSON_ANSWER: ThrottledAnswer = (() => {
  const a = errorAnswer(THROTTLED);
  return { status: a.status, body: a.body, contentType: JSON_11 };
})();

export function throttledAnswer(headers: IncomingHttpHeaders, requestId: string): ThrottledAnswer {
  const service = SCOPE_SERVICE.exec(first(headers.authorization))?.[1];
  const query = service === 'iam' || service === 'sts'
    || (service === undefined && first(headers['content-type']).toLowerCase().startsWith(FORM_URLENCODED));
  if (!query) return JSON_ANSWER;
  const a = queryErrorAnswer(QUERY_MODELS[service === 'sts' ? 'sts' : 'iam'], THROTTLED, requestId);
  return { status: a.status, body: a.body, contentType: XML_CONTENT_TYPE };
}
