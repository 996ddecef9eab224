/**
 * Opens the data folder's key hierarchy: the root seal (the key file, COFFER_ROOT_PASSPHRASE
 * through scrypt, or a key inside a PKCS#11 token), the domain keys it wraps, then the software
 * key store on them. Used by the server and by the admin command.
 *
 * The rules:
 * - A new data folder gets one domain key, wrapped by its seal before the table is locked (a token
 *   wraps asynchronously; the table is read and written under a lock that cannot wait on it), and
 *   stored only if the table is still empty then; processes starting together end up with one.
 * - Every domain key must have the layout of the configured seal: a folder sealed by a key file or
 *   passphrase opened with the token seal (or the reverse) stops with a message naming both and
 *   the command that moves it (`seal migrate`), never with an authentication failure.
 * - The root key (in memory) is zeroed, or the token session closed, once the domain keys are open.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, zero } from '../../crypto/bytes.ts';
import { AuthenticationError, SealError } from '../../crypto/errors.ts';
import { domainKeyAad } from '../../crypto/wrap.ts';
import { loadOrCreateKeyFileSeal, loadOrCreatePassphraseSeal } from '../../crypto/seal.ts';
import type { DomainKeyRecord } from '../../ports/key-repository.ts';
import type { HsmModule } from '../../ports/hsm.ts';
import { openSoftwareKeyStore, type DomainKeyTable } from './software.ts';
import { openTokenRootSeal, sealLayoutOf, softwareRootSeal, type RootSeal, type SealKind, type TokenSealSettings } from './root-seal.ts';

/** Which seal a data folder has, and what opening it needs. */
export type SealSettings =
  | { readonly kind: 'key-file' }
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'pkcs11'; readonly token: TokenSealSettings; readonly module: () => Promise<HsmModule> };

/** The seal of COFFER_SEAL's choice; `auto` (the default) is the passphrase seal when a passphrase is set, else the key file. */
export function sealSettingsOf(s: {
  readonly seal: 'auto' | SealKind; readonly rootPassphrase: string | undefined;
  readonly token?: TokenSealSettings | undefined; readonly module?: (() => Promise<HsmModule>) | undefined;
}): SealSettings {
  const kind = s.seal === 'auto' ? (s.rootPassphrase !== undefined ? 'passphrase' : 'key-file') : s.seal;
  if (kind === 'key-file') return { kind };
  if (kind === 'passphrase') {
    if (s.rootPassphrase === undefined) throw new SealError('COFFER_SEAL=passphrase needs COFFER_ROOT_PASSPHRASE');
    return { kind, passphrase: s.rootPassphrase };
  }
  if (s.token === undefined || s.module === undefined) throw new SealError('COFFER_SEAL=pkcs11 needs COFFER_PKCS11_MODULE, COFFER_SEAL_PKCS11_TOKEN_LABEL and COFFER_SEAL_PKCS11_PIN');
  return { kind, token: s.token, module: s.module };
}

/** Opens the root seal the settings name (creating the key file, salt or token key on first use). */
export async function openRootSeal(dataDir: string, s: SealSettings): Promise<RootSeal> {
  return (await openRootSealNoting(dataDir, s)).seal;
}

/** openRootSeal, also saying which file it created (a new root key file or salt), if any. */
async function openRootSealNoting(dataDir: string, s: SealSettings): Promise<{ seal: RootSeal; created?: string }> {
  switch (s.kind) {
    case 'key-file': {
      const path = join(dataDir, 'root.key');
      const opened = loadOrCreateKeyFileSeal(path);
      return { seal: softwareRootSeal('key-file', opened.rootKey), ...(opened.created ? { created: path } : {}) };
    }
    case 'passphrase': {
      const path = join(dataDir, 'root-key.salt');
      const opened = loadOrCreatePassphraseSeal(path, s.passphrase);
      return { seal: softwareRootSeal('passphrase', opened.rootKey), ...(opened.created ? { created: path } : {}) };
    }
    case 'pkcs11': return { seal: await openTokenRootSeal(await s.module(), s.token) };
  }
}

const SETTING: Readonly<Record<SealKind, string>> = {
  'key-file': 'the root key file',
  passphrase: 'COFFER_ROOT_PASSPHRASE',
  pkcs11: 'the token key (COFFER_SEAL_PKCS11_*)',
};

/** Stops when a stored domain key was wrapped by another kind of seal than `seal` (the module comment). */
export function checkSealLayout(seal: RootSeal, records: readonly DomainKeyRecord[]): void {
  const other = records.find((r) => !seal.made(r.wrapped));
  if (other === undefined) return;
  const layout = sealLayoutOf(other.wrapped);
  const theirs = layout === 'pkcs11' ? 'a PKCS#11 token (COFFER_SEAL=pkcs11)' : layout === 'software' ? 'a root key file or passphrase' : 'an unknown seal';
  throw new SealError(`this data folder's domain keys are sealed by ${theirs}, not by ${seal.kind === 'pkcs11' ? 'a PKCS#11 token' : SETTING[seal.kind]}: `
    + 'start with the seal it has, or move it with `npm run coffer -- seal migrate`');
}

/** Unwraps every domain key with the seal; a key that does not open is the wrong seal. The caller zeroes the results. */
export async function unwrapDomainKeys(seal: RootSeal, records: readonly DomainKeyRecord[]): Promise<Map<string, Buffer>> {
  checkSealLayout(seal, records);
  const keys = new Map<string, Buffer>();
  try {
    for (const r of records) {
      try {
        keys.set(r.id, await seal.unwrap(r.wrapped, domainKeyAad(r.id)));
      } catch (e) {
        if (e instanceof AuthenticationError) {
          throw new SealError(`the root key does not open this data folder (wrong ${seal.kind === 'key-file' ? 'root key file' : seal.kind === 'passphrase' ? 'COFFER_ROOT_PASSPHRASE' : 'token or COFFER_SEAL_PKCS11_KEY_LABEL'}?)`);
        }
        throw e;
      }
    }
  } catch (e) {
    zero(...keys.values());
    throw e;
  }
  return keys;
}

/** Runs `open` on the domain-key table under the backend's lock (Backend.withDomainKeys). */
export type WithDomainKeys = <T>(open: (table: DomainKeyTable) => T) => Promise<T>;

/** Opens the seal, the domain keys (adding the first to a new folder) and the software key store on them. */
export async function openSealedKeyStore(dataDir: string, settings: SealSettings, withDomainKeys: WithDomainKeys, now: () => number) {
  const { seal, created } = await openRootSealNoting(dataDir, settings);
  const candidateId = randomUUID();
  const candidate = randomBytes(32);
  try {
    const record: DomainKeyRecord = { id: candidateId, wrapped: await seal.wrap(candidate, domainKeyAad(candidateId)), createdAt: now() };
    let hadKeys = false;
    const records = await withDomainKeys((table) => {
      hadKeys = table.all().length > 0;
      if (!hadKeys) table.add(record);
      return table.all();
    });
    // A database with domain keys and no key file (or salt) beside it: a restored backup, or a lost
    // file. A new one cannot open them; it is removed again so that the right one can be copied in.
    if (created !== undefined && hadKeys) {
      rmSync(created, { force: true });
      throw new SealError(`this data folder's database has domain keys but ${created} was missing: a new one cannot open them. `
        + `Bring the folder's own ${settings.kind === 'key-file' ? 'root key file' : 'salt file (root-key.salt)'} (a backup does not hold the root key) and start again`);
    }
    const keys = await unwrapDomainKeys(seal, records);
    const activeId = records.at(-1)?.id ?? candidateId;
    return openSoftwareKeyStore({ keys, activeId });
  } finally {
    zero(candidate);
    await seal.close();
  }
}

/** The seal settings of a configuration (COFFER_SEAL and friends); `loadModule` opens the PKCS#11 library. */
export function sealSettingsFromConfig(c: {
  readonly seal: 'auto' | SealKind; readonly rootPassphrase: string | undefined;
  readonly sealPkcs11TokenLabel: string | undefined; readonly sealPkcs11Pin: string | undefined; readonly sealPkcs11KeyLabel: string;
  readonly pkcs11Module: string | undefined;
}, loadModule: (path: string) => Promise<HsmModule>): SealSettings {
  const path = c.pkcs11Module;
  return sealSettingsOf({
    seal: c.seal,
    rootPassphrase: c.rootPassphrase,
    token: c.sealPkcs11TokenLabel !== undefined && c.sealPkcs11Pin !== undefined
      ? { tokenLabel: c.sealPkcs11TokenLabel, pin: c.sealPkcs11Pin, keyLabel: c.sealPkcs11KeyLabel } : undefined,
    module: path !== undefined ? () => loadModule(path) : undefined,
  });
}
