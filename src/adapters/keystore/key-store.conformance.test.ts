/**
 * Runs the KeyStore conformance suite (../conformance/key-store.ts) against every key store there
 * is: the software store, on a random domain key.
 */
import { keyStoreConformance } from '../conformance/key-store.ts';
import { newDomainKeys, openSoftwareKeyStore } from './software.ts';

keyStoreConformance('software', async () => {
  const store = openSoftwareKeyStore(newDomainKeys());
  return { store, close: () => store.close() };
}, { performsAfterForget: true });
