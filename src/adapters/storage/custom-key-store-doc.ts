/**
 * A custom key store record as a stored JSON document (every adapter stores the same text): the
 * sealed password's bytes as base64. Read back strictly: a damaged record is a StorageFault.
 */
import { CONNECTION_STATES, type CustomKeyStoreRecord } from '../../domain/custom-key-store.ts';
import { readDoc } from './sqlite-docs.ts';

interface StoredStore extends Omit<CustomKeyStoreRecord, 'sealedPassword'> {
  readonly sealedPassword: { readonly domainKeyId: string; readonly wrapped: string };
}

export function customKeyStoreDoc(s: CustomKeyStoreRecord): string {
  const stored: StoredStore = { ...s, sealedPassword: { domainKeyId: s.sealedPassword.domainKeyId, wrapped: s.sealedPassword.wrapped.toString('base64') } };
  return JSON.stringify(stored);
}

const valid = (x: Record<string, unknown>): boolean => {
  const p = x.sealedPassword as Record<string, unknown> | null | undefined;
  return typeof x.id === 'string' && typeof x.name === 'string' && typeof x.clusterId === 'string'
    && typeof x.state === 'string' && (CONNECTION_STATES as readonly string[]).includes(x.state)
    && typeof x.revision === 'number' && typeof p === 'object' && p !== null
    && typeof p.domainKeyId === 'string' && typeof p.wrapped === 'string';
};

export function parseCustomKeyStore(text: string): CustomKeyStoreRecord {
  const s = readDoc<StoredStore>(text, 'custom key store', valid);
  return { ...s, sealedPassword: { domainKeyId: s.sealedPassword.domainKeyId, wrapped: Buffer.from(s.sealedPassword.wrapped, 'base64') } };
}

/** Whether the job runner has work for the store. */
export const storeDue = (s: CustomKeyStoreRecord): boolean => s.state === 'CONNECTING' || s.state === 'DISCONNECTING';
