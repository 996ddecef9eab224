/**
 * The audit side of the pipeline: the facts of one call gathered as the request is processed, and
 * `invoke`, which runs an operation so that exactly one record is written for it: committed with
 * the call's change set when it changes state, group-committed otherwise.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiCall, AuditService, AuditSink } from '../ports/audit.ts';
import type { Caller, RequestInfo } from '../operations/context.ts';
import { KMSInternalException } from '../errors/kms-errors.ts';
import type { Mutex } from '../core/mutex.ts';
import type { Change, UnitOfWork } from '../ports/changes.ts';
import { StorageConflict } from '../errors/storage-conflict.ts';
import { commitsChanges } from '../errors/committed-refusal.ts';
import { claimedScope } from './route.ts';

export interface CallFacts {
  /** The hint before authentication, the credential scope's service after. */
  service: AuditService;
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
export function refuseWhileAuditFull(audit: AuditSink, f: CallFacts): void {
  if (audit.accepting()) return;
  f.recorded = true;
  throw new KMSInternalException('Coffer cannot write its audit trail and refuses requests until it can. Retry later.');
}

/** Records the call once (a no-op when it was recorded already). */
export function recordCall(audit: AuditSink, f: CallFacts, output: object | undefined, error: ErrorInfo | undefined): void {
  if (f.recorded) return;
  f.recorded = true;
  audit.record(toCall(f, output, error));
}

/** One call's operation, bound to its input and context. */
export interface BoundOperation<T> {
  /** Whether it changes state (the operation table's word): its change set commits with its record. */
  readonly mutating: boolean;
  /** A state change's slow part, which changes nothing itself (generating a key pair): run before the lock. */
  readonly prepare?: (() => Promise<unknown>) | undefined;
  /** Runs the operation once, recording its writes in `uow` (a fresh one for each attempt). */
  readonly run: (prepared: unknown, uow: UnitOfWork) => Promise<T>;
  /**
   * Told of a change set that lost a race with another writer (StorageConflict), before the
   * operation runs again: drops what the caches hold of what it touched.
   */
  readonly onConflict?: ((changes: readonly Change[]) => void) | undefined;
}

/** How many times a state change runs when its commit keeps losing races to other writers. */
export const MAX_ATTEMPTS = 5;

/**
 * Runs an operation. A state change runs under `lock` (one at a time: between its awaits it reads
 * a state no other change moves), records its writes in `uow`, and then its change set and its
 * record are committed in one transaction; if the operation or the commit fails, nothing of it is
 * stored and the failure is recorded like a read-only call's, except for a committed refusal
 * (errors/committed-refusal.ts), whose changes commit with the record of its failure. A read-only
 * call must record no change; its record is written by the caller (success) or its catch (failure).
 */
export async function invoke<T extends object | undefined>(
  audit: AuditSink, lock: Mutex, f: CallFacts, errorOf: (e: unknown) => ErrorInfo, op: BoundOperation<T>,
): Promise<T> {
  if (!op.mutating) {
    const uow: UnitOfWork = { changes: [] };
    const out = await op.run(undefined, uow);
    if (uow.changes.length > 0) throw new Error(`${f.operation ?? 'an operation'} is read-only in the operation table but recorded changes`);
    return out;
  }
  const prepared = op.prepare ? await op.prepare() : undefined;
  return lock.run(async () => {
    // Another writer (worker, node) may commit a change of the same key or name between this
    // operation's reads and its commit: storage then refuses the commit (StorageConflict) and the
    // operation runs again on fresh state, where it answers as it would have had it come second.
    for (let attempt = 1; ; attempt++) {
      const uow: UnitOfWork = { changes: [] };
      try {
        const out = await op.run(prepared, uow);
        f.recorded = true;
        // Visible now, durable with the next group sync: the pipeline's answer waits for it
        // (AuditSink.settled), outside this lock, so that concurrent changes share one fsync.
        await audit.commit(uow.changes, toCall(f, out, undefined), [], { durable: false });
        return out;
      } catch (e) {
        f.recorded = false;
        if (e instanceof StorageConflict) {
          op.onConflict?.(uow.changes);
          if (attempt < MAX_ATTEMPTS) continue;
          const refused = new KMSInternalException('The request lost repeated races with concurrent changes of the same resource. Retry it.');
          recordCall(audit, f, undefined, errorOf(refused));
          throw refused;
        }
        if (commitsChanges(e) && uow.changes.length > 0) {
          // A refusal that still changes state (a failed login counted): its changes commit with its record.
          try {
            await audit.commit(uow.changes, toCall(f, undefined, errorOf(e)), [], { durable: false });
          } catch (c) {
            if (c instanceof StorageConflict && attempt < MAX_ATTEMPTS) {
              op.onConflict?.(uow.changes);
              continue;
            }
            recordCall(audit, f, undefined, errorOf(c));
            throw c;
          }
          f.recorded = true;
          throw e;
        }
        recordCall(audit, f, undefined, errorOf(e));
        throw e;
      }
    }
  });
}
