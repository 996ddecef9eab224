/**
 * Storage that tells the caches: after a change set commits, every listener (the keyring, the
 * credential resolver) brings its cache up to it. Listeners never see a change that did not
 * commit. A group-committed change (audit/group-sync.ts) is seen before its fsync; no answer is
 * given until it is durable.
 */
import type { Change } from '../ports/changes.ts';
import type { CommitOptions, Storage, Work } from '../ports/storage.ts';
import { topicsOf } from './coherence.ts';

export type CommitListener = (changes: readonly Change[]) => void;

/**
 * `origin` (this process's name among the writers sharing the storage): each change set is
 * committed with a notice of its topics (coherence.ts) for the other writers; undefined when this
 * process is alone on its storage (no notice is written).
 */
export function notifyingStorage(storage: Storage, listeners: readonly CommitListener[], origin?: string): Storage {
  return {
    commit: async (work: Work, options?: CommitOptions) => {
      const topics = origin !== undefined && work.changes.length > 0 ? topicsOf(work.changes) : [];
      const head = await storage.commit(topics.length > 0 && origin !== undefined ? { ...work, notice: { origin, topics } } : work, options);
      if (work.changes.length > 0) for (const l of listeners) l(work.changes);
      return head;
    },
    sync: () => storage.sync(),
  };
}
