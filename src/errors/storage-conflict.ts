/**
 * A commit lost a race with another writer (another request, worker or node): a row it expected
 * at one revision has moved, or a row it creates exists already (a unique key). Nothing of the
 * commit was applied. Not an AwsError: the pipeline runs the operation again on fresh state (which
 * then answers as AWS would, e.g. AlreadyExistsException), and only when that keeps losing does the
 * caller get a retryable internal error.
 */
export class StorageConflict extends Error {
  override readonly name = 'StorageConflict';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

export const isStorageConflict = (e: unknown): e is StorageConflict => e instanceof StorageConflict;
