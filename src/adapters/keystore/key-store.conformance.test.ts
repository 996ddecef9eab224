/**
 * Runs the KeyStore conformance suite (../conformance/key-store.ts) against every key store there
 * is: the software store, on a random root key and an in-memory domain key table.
 */
import { randomBytes } from 'node:crypto';
import { keyStoreConformance } from '../conformance/key-store.ts';
import type { DomainKeyRecord } from '../../ports/key-repository.ts';
import { openSoftwareKeyStore } from './software.ts';

keyStoreConformance('software', async () => {
  const table: DomainKeyRecord[] = [];
  const store = openSoftwareKeyStore({ all: () => [...table], add: (k) => { table.push(k); } }, randomBytes(32), () => Date.now());
  return { store, close: () => store.close() };
}, { performsAfterForget: true });
