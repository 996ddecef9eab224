/**
 * The sink when the audit trail is off (COFFER_AUDIT=false, only to measure its cost): calls go
 * unrecorded, and a change set commits on its own, durably (no group commit).
 */
import type { AuditSink } from '../ports/audit.ts';
import type { Storage } from '../ports/storage.ts';

export function unrecordedSink(storage: Storage): AuditSink {
  return {
    record: () => undefined,
    commit: async (changes) => { await storage.commit({ changes }); },
    accepting: () => true,
    settled: () => undefined,
  };
}
