/**
 * `seal migrate --from <seal> --to <seal>`: moves a data folder from one root seal to another
 * (key-file, passphrase, pkcs11), its server stopped. The domain keys stay the same keys (so every
 * wrapped key material, and so every ciphertext Coffer ever returned, keeps working); only their
 * wrapping changes. The rule, in order:
 * 1. open both seals (the target's key file, salt or token key is created if missing);
 * 2. unwrap every domain key with the source seal (a wrong source stops here, nothing written);
 * 3. wrap each with the target seal and check it unwraps to the same key;
 * 4. replace the wrapped forms in one transaction, under the domain-key lock, only if the table is
 *    still what step 2 read (else stop, nothing written).
 * Every plaintext domain key is zeroed when done.
 */
import { timingSafeEqual } from 'node:crypto';
import { zero } from '../../crypto/bytes.ts';
import { domainKeyAad } from '../../crypto/wrap.ts';
import { openRootSeal, unwrapDomainKeys, type SealSettings, type WithDomainKeys } from './open.ts';
import type { RootSeal } from './root-seal.ts';
import type { DomainKeyRecord } from '../../ports/key-repository.ts';

export interface SealMigration {
  readonly dataDir: string;
  readonly from: SealSettings;
  readonly to: SealSettings;
  readonly withDomainKeys: WithDomainKeys;
}

/** Moves the data folder's domain keys from one seal to another; answers the lines to print. */
export async function migrateSeal(o: SealMigration): Promise<string[]> {
  if (o.from.kind === o.to.kind) throw new Error(`the data folder is already to be sealed by ${o.to.kind}: nothing to move`);
  const seals: RootSeal[] = [];
  let keys = new Map<string, Buffer>();
  try {
    const source = await openRootSeal(o.dataDir, o.from);
    seals.push(source);
    const target = await openRootSeal(o.dataDir, o.to);
    seals.push(target);
    const records = await o.withDomainKeys((table) => table.all());
    if (records.length === 0) throw new Error('this data folder has no domain keys yet: start Coffer once with the seal you want instead');
    keys = await unwrapDomainKeys(source, records);
    const rewrapped: DomainKeyRecord[] = [];
    for (const r of records) {
      const key = keys.get(r.id) as Buffer;
      const wrapped = await target.wrap(key, domainKeyAad(r.id));
      const back = await target.unwrap(wrapped, domainKeyAad(r.id));
      try {
        if (back.length !== key.length || !timingSafeEqual(back, key)) throw new Error(`the ${o.to.kind} seal did not give domain key ${r.id} back: nothing was written`);
      } finally {
        zero(back);
      }
      rewrapped.push({ ...r, wrapped });
    }
    await o.withDomainKeys((table) => {
      const now = table.all();
      const same = now.length === records.length && now.every((r, i) => r.id === records[i]?.id && r.wrapped.equals(records[i]?.wrapped ?? Buffer.alloc(0)));
      if (!same) throw new Error('the domain keys changed while the command ran (is a server running on this data folder?): nothing was written');
      for (const r of rewrapped) table.replace(r);
    });
    return [
      `Moved ${records.length} domain key${records.length === 1 ? '' : 's'} from the ${o.from.kind} seal to the ${o.to.kind} seal; every key and ciphertext stays usable.`,
      `Start Coffer with COFFER_SEAL=${o.to.kind}${o.to.kind === 'pkcs11' ? ' and the same COFFER_PKCS11_MODULE and COFFER_SEAL_PKCS11_* settings' : o.to.kind === 'passphrase' ? ' and the same COFFER_ROOT_PASSPHRASE' : ''}.`,
      ...(o.from.kind === 'key-file' ? ['The root key file (root.key) no longer opens this data folder; remove it once Coffer has started with the new seal.'] : []),
    ];
  } finally {
    zero(...keys.values());
    for (const s of seals) await s.close();
  }
}
