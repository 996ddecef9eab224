/**
 * A repository whose every read is counted: the evidence that the hot path reads no database on a
 * warm cache (metrics `coffer_repository_reads_total`, and the end-to-end test that watches it). The
 * count is of calls through the port, on either backend; writes are not calls (they are change
 * sets committed by Storage), so every call counted is a read.
 */
export interface ReadCounter { reads: number }

export function counting<T extends object>(repo: T, counter: ReadCounter): T {
  return new Proxy(repo, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counter.reads++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
