/**
 * Stored JSON documents read back: as they were written, or a StorageFault. A record that no
 * longer parses, or lost the fields every reader relies on, was damaged beneath Coffer, never by
 * the client, so it is an internal error wherever it is read.
 */
import { StorageFault } from '../../errors/storage-fault.ts';

export function readDoc<T>(text: string, what: string, valid: (x: Record<string, unknown>) => boolean = () => true): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new StorageFault(`a stored ${what} record does not parse: the database may be damaged`, { cause: e });
  }
  if (parsed === null || typeof parsed !== 'object' || !valid(parsed as Record<string, unknown>)) {
    throw new StorageFault(`a stored ${what} record lacks its required fields: the database may be damaged`);
  }
  return parsed as T;
}
