/**
 * What the pipelines share for the audit trail: the facts of one call gathered as the request is
 * processed, and `invoke`, which runs an operation so that exactly one record is written for it —
 * in the operation's own transaction when it changes state (see audit/writer.ts), group-committed
 * otherwise.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiCall, AuditService, AuditSink } from '../ports/audit.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import { claimedScope } from './route.ts';

export interface CallFacts {
  readonly service: AuditService;
  operation: string | undefined;
  caller: Caller | undefined;
  region: string;
  input: Readonly<Record<string, unknown>> | undefined;
  readonly resources: Set<string>;
  readonly requestId: string;
  readonly request: RequestInfo;
  readonly accessKeyId: string | undefined;
  recorded: boolean;
}

export type ErrorInfo = { readonly code: string; readonly message: string };

/** The facts known before authentication: the access key id and region the request claims. */
export function newCallFacts(service: AuditService, headers: IncomingHttpHeaders, requestId: string, request: RequestInfo, defaultRegion: string): CallFacts {
  const claimed = claimedScope(headers);
  return {
    service, operation: undefined, caller: undefined, region: claimed?.region ?? defaultRegion, input: undefined,
    resources: new Set(), requestId, request, accessKeyId: claimed?.accessKeyId, recorded: false,
  };
}

function toCall(f: CallFacts, output: object | undefined, error: ErrorInfo | undefined): ApiCall {
  return {
    service: f.service, operation: f.operation ?? 'UnknownOperation', caller: f.caller, accessKeyId: f.caller?.accessKeyId ?? f.accessKeyId,
    region: f.region, requestId: f.requestId, request: f.request, input: f.input, output, error, resources: f.resources,
  };
}

/** Records the call once (a no-op when it was recorded already or there is no audit). */
export function recordCall(audit: AuditSink | undefined, f: CallFacts, output: object | undefined, error: ErrorInfo | undefined): void {
  if (!audit || f.recorded) return;
  f.recorded = true;
  audit.record(toCall(f, output, error));
}

/**
 * Runs an operation. A state-changing one runs inside the audit's transaction with its record;
 * if it turns out asynchronous (its writes happen after an await, e.g. CreateKey generating a
 * key pair), its record is written in a transaction of its own as soon as it settles, before the
 * answer is sent. Read-only calls are recorded by the caller (success) or its catch (failure).
 */
export function invoke<T extends object | undefined>(
  audit: AuditSink | undefined, f: CallFacts, errorOf: (e: unknown) => ErrorInfo, run: () => Promise<T> | T,
): Promise<T> | T {
  if (!audit || f.operation === undefined || !audit.isMutating(f.service, f.operation)) return run();
  let pending: Promise<T> | undefined;
  let out: T | undefined;
  let failure: { e: unknown } | undefined;
  audit.transaction(() => {
    try {
      const r = run();
      if (r instanceof Promise) { pending = r; return; }
      out = r;
    } catch (e) {
      failure = { e };
    }
    recordCall(audit, f, out, failure ? errorOf(failure.e) : undefined);
  });
  if (failure) throw failure.e;
  if (pending === undefined) return out as T;
  return pending.then(
    (o) => { audit.transaction(() => recordCall(audit, f, o, undefined)); return o; },
    (e: unknown) => { audit.transaction(() => recordCall(audit, f, undefined, errorOf(e))); throw e; },
  );
}
