/**
 * An HSM catching up with the repository (design/hsm-tier.md §1.2, §1.3, §3.2): when a DEGRADED
 * HSM is healthy again, or a new HSM's partitions are made, each crypto user's partition on it is
 * brought to what the repository says before the HSM serves again:
 *
 * - its USER PIN is the user's current password (a change-password made while it was away): set
 *   as the partition's SO when the sealed PIN does not open it;
 * - the keys the user owns, and the ones shared with it, are unwrapped from their blobs (shared
 *   copies not extractable), public keys created from their SPKI;
 * - copies of keys deleted or unshared meanwhile are destroyed. Objects Coffer does not know (a
 *   custom key store's keys, a key made directly through the vendor module) are left alone.
 *
 * Answers the record with the keys' coverage (`hsms`) including this HSM. Idempotent: a repeat
 * finds what it did.
 */
import { revise, type ClusterRecord, type HsmRecord } from '../domain/cluster.ts';
import type { HsmKeyRecord } from '../domain/hsm-keys.ts';
import { CLUSTER_KEY_ID, pinSealOfUser } from '../domain/hsm-users.ts';
import { HsmError, type HsmModule, type TokenSession } from '../ports/hsm.ts';
import type { HsmUserDeps } from './hsm-users.ts';
import { putCopy } from './hsm-keys.ts';
import { hsmSoPinOf, partitionSoPin } from './partitions.ts';

async function openWithPin(module: HsmModule, deps: HsmUserDeps, h: HsmRecord, username: string, serial: string, pin: string): Promise<TokenSession> {
  try {
    return await module.openSession(serial, pin);
  } catch (e) {
    if (!(e instanceof HsmError) || e.kind !== 'pin-incorrect') throw e;
    const admin = await module.openAdmin(serial, partitionSoPin(hsmSoPinOf(deps.secrets, h), username));
    try {
      await admin.initUserPin(pin);
    } finally {
      await admin.close();
    }
    return module.openSession(serial, pin);
  }
}

export async function catchUpHsm(deps: HsmUserDeps, c: ClusterRecord, h: HsmRecord): Promise<ClusterRecord> {
  const module = deps.module;
  if (module === undefined) return c;
  const keys = c.keys ?? [];
  const known = new Set([...keys.map((k) => k.keyReference.slice(2)), ...(c.deletedKeys ?? []).map((r) => r.slice(2))]);
  for (const u of c.users ?? []) {
    const serial = u.partitions[h.hsmId];
    if (u.role !== 'crypto-user' || serial === undefined || u.pinSealed === undefined) continue;
    const pin = deps.secrets.open(pinSealOfUser(c.clusterId, u.username), u.pinSealed);
    const s = await openWithPin(module, deps, h, u.username, serial, pin);
    try {
      const expected = new Map<string, { k: HsmKeyRecord; sharee: boolean }>();
      for (const k of keys) {
        if (k.owner === u.username) expected.set(k.keyReference.slice(2), { k, sharee: false });
        else if (k.class !== 'public-key' && k.sharedUsers.includes(u.username)) expected.set(k.keyReference.slice(2), { k, sharee: true });
      }
      const present = new Set<string>();
      for (const o of await s.list()) {
        const hex = o.id.toString('hex');
        if (o.id.equals(CLUSTER_KEY_ID)) continue;
        present.add(hex);
        if (known.has(hex) && !expected.has(hex)) await s.destroy(o.id);
      }
      for (const [hex, e] of expected) {
        if (!present.has(hex)) await putCopy(s, e.k, e.sharee);
      }
    } finally {
      await s.close();
    }
  }
  const owners = new Set((c.users ?? []).filter((u) => u.partitions[h.hsmId] !== undefined).map((u) => u.username));
  const covered = keys.map((k) => (owners.has(k.owner) && !k.hsms.includes(h.hsmId) ? { ...k, hsms: [...k.hsms, h.hsmId] } : k));
  return keys.length === 0 ? c : revise(c, { keys: covered });
}
