/**
 * Storage that tells the caches: after a change set commits, every listener (the keyring, the
 * credential resolver) brings its cache up to it. Listeners never see a change that did not
 * commit, so no cache ever shows what is not durable.
 */
import type { Change } from '../ports/changes.ts';
import type { CommitOptions, Storage, Work } from '../ports/storage.ts';

export type CommitListener = (changes: readonly Change[]) => void;

export function notifyingStorage(storage: Storage, listeners: readonly CommitListener[]): Storage {
  return {
    commit: async (work: Work, options?: CommitOptions) => {
      const head = await storage.commit(work, options);
      if (work.changes.length > 0) for (const l of listeners) l(work.changes);
      return head;
    },
    sync: () => storage.sync(),
  };
}
