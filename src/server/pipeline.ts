/**
 * One request from bytes to answer, the same for every API the endpoint serves (KMS and
 * CloudTrail in JSON 1.1, IAM and STS in the Query protocol); only the codec differs:
 *
 *   authenticate (SigV4) → route (the operation; its quota) → validate (the model) → run → record → answer
 *
 * Running a state change (the operation table says which) takes the state-change lock, runs the
 * operation, which records its writes in the request's change set, and commits that set together
 * with the call's audit record in one transaction; the caches learn of it only then. Every other
 * call runs without the lock and its record is group-committed. Where changes are group-committed
 * (audit/group-sync.ts), every answer first waits until each change it could depend on is on disk.
 * Every error becomes the codec's error answer here; nothing a client sends can make this throw.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { SigV4Request, VerifiedSignature } from '../auth/sigv4.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import type { AuditService, AuditSink } from '../ports/audit.ts';
import type { Logger } from '../core/log.ts';
import type { Mutex } from '../core/mutex.ts';
import { AwsError } from '../errors/aws-error.ts';
import type { Change, UnitOfWork } from '../ports/changes.ts';
import { operationFacts } from '../wire/operation-table.ts';
import { requestInfo } from './request-info.ts';
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

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly sourceIp: string;
  /** The request came over TLS (aws:SecureTransport). */
  readonly secureTransport: boolean;
}

/** An error as a codec answers it. `cause` is set for an unexpected error: what to log (never sent). */
export interface WireError {
  readonly status: number;
  readonly body: string;
  readonly code: string;
  readonly contentType: string;
  readonly cause?: unknown;
}

/** One operation, whatever its API: `(input, ctx) => Promise<output>`, with an optional slow part run before the lock. */
export interface PipelineOperation<Ctx> {
  prepare?(input: Record<string, unknown>, ctx: Ctx): Promise<unknown>;
  run(input: Record<string, unknown>, ctx: Ctx, prepared?: unknown): Promise<object | undefined>;
}

/** The operation a request names, and its input (read only when asked: a throttled call's body is never parsed). */
export interface Routed<Ctx> {
  readonly name: string;
  readonly op: PipelineOperation<Ctx>;
  input(): Record<string, unknown>;
}

/** What differs between the APIs: how a request is read and an answer or error written. */
export interface Codec<Ctx, Pre> {
  /** Method, path and content-type checks, and what must be read before the signature (throws the protocol's errors). */
  before(req: HttpRequest, body: Buffer): Pre;
  /** The service a request is for while its signature is unchecked (error shape, audit record). */
  hint(req: HttpRequest, pre: Pre | undefined): AuditService;
  /** The service of a verified credential scope, or InvalidSignatureException when this API does not answer it. */
  service(scope: string): AuditService;
  /** The operation and its input, validated against the model. */
  route(service: AuditService, req: HttpRequest, body: Buffer, pre: Pre): Routed<Ctx>;
  /** The name a call that never reached an operation is recorded under. */
  nameForRecord(req: HttpRequest, pre: Pre | undefined): string;
  answer(service: AuditService, name: string, output: object | undefined, requestId: string): { body: string; contentType: string };
  error(service: AuditService, e: unknown, requestId: string): WireError;
  /** Each request's context: the caller, its scope and the request's unit of work. */
  context(service: AuditService, caller: Caller, region: string, requestId: string, request: RequestInfo, resources: Set<string>, uow: UnitOfWork): Ctx;
}

export interface PipelineDeps {
  /** SigV4 plus the credential rules (session tokens, expiry). */
  readonly verifier: { verify(req: SigV4Request): Promise<VerifiedSignature<Caller>> };
  readonly audit: AuditSink;
  /** State changes run one at a time under it. */
  readonly lock: Mutex;
  readonly log: Logger;
  /** The region recorded for a request whose credential scope names none. */
  readonly region: string;
  /** Told of every unexpected error (a storage fault, a bug) after it is logged. */
  readonly onUnexpected?: ((cause: unknown) => void) | undefined;
  /** Told of a change set that lost a race with another writer, before the operation runs again (drop the caches of what it touched). */
  readonly onConflict?: ((changes: readonly Change[]) => void) | undefined;
  /**
   * Told of every request refused because its caller could not be authenticated (a bad or missing
   * signature, an unknown or expired access key): the access key id it claimed, the operation it
   * tried (UnknownOperation unless the API has one of that name) and the error. Never the signature.
   */
  readonly onRefusedAuthentication?: ((r: RefusedAuthentication) => void) | undefined;
  /** Request quotas (server/request-quotas.ts): throws ThrottlingException for a call over its account's quota. */
  readonly quota?: ((service: AuditService, accountId: string, region: string, operation: string) => void) | undefined;
}

export type Handler = (req: HttpRequest, body: Buffer, requestId: string) => Promise<Answer>;

export interface RefusedAuthentication {
  readonly accessKeyId: string | undefined;
  readonly operation: string;
  readonly code: string;
  readonly sourceIp: string;
}

/** The errors that mean "the caller is not authenticated" (auth/sigv4.ts, services/credentials.ts). */
const REFUSED_AUTHENTICATION: ReadonlySet<string> = new Set([
  'InvalidSignatureException', 'IncompleteSignatureException', 'MissingAuthenticationTokenException', 'UnrecognizedClientException',
  'ExpiredTokenException', 'MissingAuthenticationToken', 'InvalidClientTokenId', 'SignatureDoesNotMatch', 'IncompleteSignature', 'ExpiredToken',
]);

export function createPipeline<Ctx, Pre>(deps: PipelineDeps, codec: Codec<Ctx, Pre>): Handler {
  return async function handle(req, body, requestId) {
    const info = requestInfo(req);
    let pre: Pre | undefined;
    let name: string | undefined;
    const facts = newCallFacts(codec.hint(req, undefined), req.headers, requestId, info, deps.region);
    const errorOf = (e: unknown): ErrorInfo => {
      const a = codec.error(facts.service, e, requestId);
      return { code: a.code, message: e instanceof AwsError ? e.message : '' };
    };
    try {
      refuseWhileAuditFull(deps.audit, facts);
      pre = codec.before(req, body);
      facts.service = codec.hint(req, pre);
      const signed = await deps.verifier.verify({ method: req.method, path: req.path, query: req.query, headers: req.headers, body });
      facts.caller = signed.identity;
      facts.region = signed.region;
      facts.service = codec.service(signed.service);
      const routed = codec.route(facts.service, req, body, pre);
      name = routed.name;
      facts.operation = name;
      deps.quota?.(facts.service, signed.identity.accountId, signed.region, name);
      const input = routed.input();
      facts.input = input;
      const contextWith = (uow: UnitOfWork): Ctx => codec.context(facts.service, signed.identity, signed.region, requestId, info, facts.resources, uow);
      const { op } = routed;
      const output = await invoke(deps.audit, deps.lock, facts, errorOf, {
        mutating: operationFacts(facts.service, name)?.mutating ?? false,
        // The slow part changes nothing: its context's unit of work stays empty.
        prepare: op.prepare ? () => (op.prepare as NonNullable<typeof op.prepare>)(input, contextWith({ changes: [] })) : undefined,
        run: (prepared, uow) => op.run(input, contextWith(uow), prepared),
        onConflict: deps.onConflict,
      });
      recordCall(deps.audit, facts, output, undefined);
      const a = codec.answer(facts.service, name, output, requestId);
      // No answer depends on a change that is not on disk yet (its own, or one it may have read).
      const pending = deps.audit.settled();
      if (pending !== undefined) await pending;
      return { status: 200, body: a.body, contentType: a.contentType, operation: name, errorCode: undefined, principal: signed.identity.arn };
    } catch (e) {
      const answer = codec.error(facts.service, e, requestId);
      if (answer.cause !== undefined) {
        const cause = answer.cause instanceof Error ? { name: answer.cause.name, message: answer.cause.message, stack: answer.cause.stack } : { value: String(answer.cause) };
        deps.log.error('unexpected error', { requestId, operation: facts.operation, cause });
        deps.onUnexpected?.(answer.cause);
      }
      if (facts.operation === undefined) facts.operation = codec.nameForRecord(req, pre);
      if (facts.caller === undefined && REFUSED_AUTHENTICATION.has(answer.code)) {
        const tried = facts.operation;
        deps.onRefusedAuthentication?.({
          accessKeyId: facts.accessKeyId, operation: operationFacts(facts.service, tried) !== undefined ? tried : 'UnknownOperation', code: answer.code, sourceIp: info.sourceIp,
        });
      }
      recordCall(deps.audit, facts, undefined, { code: answer.code, message: e instanceof AwsError ? e.message : '' });
      const pending = deps.audit.settled();
      if (pending !== undefined) {
        try {
          await pending;
        } catch (failed) {
          const a = codec.error(facts.service, failed, requestId);
          deps.log.error('a change could not be made durable', { requestId, cause: failed instanceof Error ? failed.message : String(failed) });
          return { status: a.status, body: a.body, contentType: a.contentType, operation: name, errorCode: a.code, principal: facts.caller?.arn };
        }
      }
      return { status: answer.status, body: answer.body, contentType: answer.contentType, operation: name, errorCode: answer.code, principal: facts.caller?.arn };
    }
  };
}
