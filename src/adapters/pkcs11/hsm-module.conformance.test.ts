/**
 * Runs the HsmModule conformance suite (../conformance/hsm-module.ts) against both modules: the
 * in-memory one, and the PKCS#11 adapter on SoftHSM2 (this process's token folder, see
 * test/support/softhsm.ts; skipped where SoftHSM2 or pkcs11js is missing, never in CI).
 */
import { rmSync } from 'node:fs';
import { hsmModuleConformance } from '../conformance/hsm-module.ts';
import { openMemoryHsmModule } from '../hsm/memory-module.ts';
import { openSoftHsm, softhsmSkip, softhsmTokenFolder } from '../../../test/support/softhsm.ts';

hsmModuleConformance('memory', async () => {
  const module = openMemoryHsmModule();
  return { module, loseToken: (serial) => module.loseToken(serial), close: () => undefined };
});

hsmModuleConformance('pkcs11 (SoftHSM2)', async () => ({
  module: await openSoftHsm(),
  loseToken: (serial) => rmSync(softhsmTokenFolder(serial), { recursive: true, force: true }),
  close: () => undefined,
}), { skip: softhsmSkip() });
