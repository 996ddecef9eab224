/**
 * What the pipelines share for the audit trail: the facts of one call gathered as the request is
 * processed, and `invoke`, which runs an operation so that exactly one record is written for it —
 * in the operation's own transaction when it changes state (see audit/writer.ts), group-committed
 * otherwise.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiCall, AuditService, AuditSink } from '../ports/audit.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import { KMSInternalException } from '../errors/kms-errors.ts';
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

/**
 * Refuses the call, before any work, while the audit trail cannot take its record (a full queue
 * of records that cannot be written): a 5xx the SDKs retry. The refused call itself is not
 * recorded (it would only lengthen the queue); the request log and metrics still count it.
 */
export function refuseWhileAuditFull(audit: AuditSink | undefined, f: CallFacts): void {
  if (audit === undefined || audit.accepting()) return;
  f.recorded = true;
  throw new KMSInternalException('Coffer cannot write its audit trail and refuses requests until it can. Retry later.');
}

/** Records the call once (a no-op when it was recorded already or there is no audit). */
export function recordCall(audit: AuditSink | undefined, f: CallFacts, output: object | undefined, error: ErrorInfo | undefined): void {
  if (!audit || f.recorded) return;
  f.recorded = true;
  audit.record(toCall(f, output, error));
}

/** One call's operation, bound to its input and context. */
export interface BoundOperation<T> {
  /** Whether it changes state (its record must commit with the change). */
  readonly mutating: boolean;
  /** A state change's slow, asynchronous part, which changes nothing itself. */
  readonly prepare?: (() => Promise<unknown>) | undefined;
  readonly run: (prepared: unknown) => T | Promise<T>;
}

/**
 * Runs an operation so that its record is written exactly once. A state change runs `prepare`
 * first, then its synchronous part in one audit transaction together with its record: the change
 * and its record commit together or not at all (a crash between them is impossible). If that
 * part fails, the transaction rolls back and the failure is recorded like a read-only call's.
 * Read-only calls are recorded by the caller (success) or its catch (failure).
 */
export async function invoke<T extends object | undefined>(
  audit: AuditSink | undefined, f: CallFacts, errorOf: (e: unknown) => ErrorInfo, op: BoundOperation<T>,
): Promise<T> {
  if (!audit || !op.mutating) return op.run(undefined);
  const prepared = op.prepare ? await op.prepare() : undefined;
  let out: T | undefined;
  try {
    audit.transaction(() => {
      const r = op.run(prepared);
      // The types refuse an asynchronous state change; this guards a cast around them.
      if (r instanceof Promise) throw new Error(`${f.operation ?? 'an operation'} changes state asynchronously: its change cannot commit with its record`);
      out = r;
      recordCall(audit, f, r, undefined);
    });
  } catch (e) {
    f.recorded = false; // the record written inside the transaction went with its rollback
    recordCall(audit, f, undefined, errorOf(e));
    throw e;
  }
  return out as T;
}
