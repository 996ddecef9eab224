/**
 * A commit refused because another writer got there first: a unique key taken between the read
 * and the write (two CreateUser calls for one name, two processes appending the same position of
 * an audit chain). Nothing of the commit was applied, and running the whole request again sees
 * the other writer's result, so the pipeline may retry it. The message names the constraint, never
 * the values (which may be secret).
 */
export class StorageConflict extends Error {
  override readonly name = 'StorageConflict';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

export const isStorageConflict = (e: unknown): e is StorageConflict => e instanceof StorageConflict;
