/**
 * Opens a PKCS#11 library as an HsmModule, loading the adapter (and its native pkcs11js) only when
 * a PKCS#11 feature is configured, so a machine without it still runs everything else.
 */
import type { HsmModule } from '../../ports/hsm.ts';

export async function loadPkcs11Module(path: string): Promise<HsmModule> {
  const { openPkcs11Module } = await import('./module.ts');
  return openPkcs11Module(path);
}

/**
 * The library at `path` as an HsmModule that loads it at its first use: a server whose HSM tier
 * is not used never loads pkcs11js nor initialises the library (a broken SoftHSM configuration
 * then fails the first HSM call, as a module error, and nothing else).
 */
export function lazyPkcs11Module(path: string): HsmModule {
  let opened: Promise<HsmModule> | undefined;
  const module = (): Promise<HsmModule> => {
    opened ??= loadPkcs11Module(path);
    opened.catch(() => { opened = undefined; });
    return opened;
  };
  return {
    description: path,
    tokens: async () => (await module()).tokens(),
    initToken: async (label, soPin) => (await module()).initToken(label, soPin),
    wipeToken: async (serial, soPin) => (await module()).wipeToken(serial, soPin),
    openAdmin: async (serial, soPin) => (await module()).openAdmin(serial, soPin),
    openSession: async (serial, pin) => (await module()).openSession(serial, pin),
    setUserPin: async (serial, oldPin, newPin) => (await module()).setUserPin(serial, oldPin, newPin),
    close: async () => { if (opened !== undefined) await (await opened).close(); },
  };
}
