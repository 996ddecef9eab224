/**
 * Opens a PKCS#11 library as an HsmModule, loading the adapter (and its native pkcs11js) only when
 * a PKCS#11 feature is configured, so a machine without it still runs everything else.
 */
import type { HsmModule } from '../../ports/hsm.ts';

export async function loadPkcs11Module(path: string): Promise<HsmModule> {
  const { openPkcs11Module } = await import('./module.ts');
  return openPkcs11Module(path);
}
