/**
 * Opens a PKCS#11 library as an HsmModule, loading the adapter (and its native pkcs11js) only when
 * a PKCS#11 feature is configured, so a machine without it still runs everything else.
 */
import type { HsmModule } from '../../ports/hsm.ts';
import { SealError } from '../../crypto/errors.ts';

export async function loadPkcs11Module(path: string): Promise<HsmModule> {
  throw new SealError(`the PKCS#11 adapter is not built into this Coffer yet (${path})`);
}
