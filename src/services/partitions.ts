/**
 * Partitions of a Coffer HSM cluster (design/hsm-tier.md §1.1, §1.2): the cluster key (CK)
 * installed as the SO in a token, and a crypto user's partition token (label = username, USER PIN =
 * the user's password, CK inside) on one HSM. Shared by the cluster jobs (new HSMs, the
 * INITIALIZE_IN_PROGRESS step) and the data plane (CreateUser, ChangePassword, DeleteUser).
 *
 * A partition's SO PIN is derived from its HSM's SO PIN and the username (HMAC-SHA256), so it
 * needs no record of its own and a repeated step (after kill -9 or a lost race) finds and adopts a
 * partition it made before the commit: an initialised token with the username's label that no
 * user of the cluster records and that opens with the derived SO PIN.
 */
import { createHmac } from 'node:crypto';
import { CLUSTER_KEY_ID, CLUSTER_KEY_LABEL, clusterKeySealId, type HsmUserRecord } from '../domain/hsm-users.ts';
import { pinSealId, type ClusterRecord, type HsmRecord } from '../domain/cluster.ts';
import type { HsmModule, TokenInfo } from '../ports/hsm.ts';
import type { SecretBox } from '../ports/secret-box.ts';

/** The SO PIN of `username`'s partition on the HSM whose SO PIN is `hsmSoPin` (32 characters). */
export const partitionSoPin = (hsmSoPin: string, username: string): string =>
  createHmac('sha256', hsmSoPin).update(`coffer/partition-so/v1\n${username}`).digest('base64url').slice(0, 32);

export const hsmSoPinOf = (secrets: SecretBox, h: HsmRecord): string => secrets.open(pinSealId(h.hsmId, 'so'), h.soPinSealed);
export const systemPinOf = (secrets: SecretBox, h: HsmRecord): string => secrets.open(pinSealId(h.hsmId, 'system'), h.systemPinSealed);

/** CK of the cluster as a Buffer the caller zeroes (`fill(0)`) after use. */
export function openClusterKey(secrets: SecretBox, c: ClusterRecord): Buffer {
  if (c.ckSealed === undefined) throw new Error(`the cluster ${c.clusterId} has no cluster key yet`);
  return Buffer.from(secrets.open(clusterKeySealId(c.clusterId), c.ckSealed), 'base64');
}

/** Whether the token holds CK (looked for as the user: the SO cannot search). */
async function hasClusterKey(module: HsmModule, serial: string, userPin: string): Promise<boolean> {
  const s = await module.openSession(serial, userPin);
  try {
    return await s.has(CLUSTER_KEY_ID);
  } finally {
    await s.close();
  }
}

/** Installs CK in the token as its SO unless it is there already (idempotent). */
export async function installClusterKey(module: HsmModule, serial: string, soPin: string, userPin: string, ck: Buffer): Promise<void> {
  if (await hasClusterKey(module, serial, userPin)) return;
  const admin = await module.openAdmin(serial, soPin);
  try {
    await admin.createTrustedKey(CLUSTER_KEY_ID, CLUSTER_KEY_LABEL, ck);
  } finally {
    await admin.close();
  }
}

/** Every partition serial the cluster's users record (a token listed here belongs to someone). */
const recordedSerials = (users: readonly HsmUserRecord[] | undefined): Set<string> =>
  new Set((users ?? []).flatMap((u) => Object.values(u.partitions)));

/**
 * Makes (or adopts, after a repeat) `username`'s partition on HSM `h`: a token labelled with the
 * username, its USER PIN `userPin`, CK inside. Answers the token's serial.
 */
export async function ensurePartition(
  module: HsmModule, secrets: SecretBox, c: ClusterRecord, h: HsmRecord, username: string, userPin: string, ck: Buffer,
): Promise<string> {
  const soPin = partitionSoPin(hsmSoPinOf(secrets, h), username);
  const taken = recordedSerials(c.users);
  const tokens = await module.tokens();
  let token: TokenInfo | undefined;
  for (const t of tokens) {
    if (!t.initialized || t.label !== username || taken.has(t.serial)) continue;
    try {
      const admin = await module.openAdmin(t.serial, soPin);
      await admin.close();
      token = t;
      break;
    } catch {
      // Another HSM's or cluster's partition of a user with the same name: not ours.
    }
  }
  token ??= await module.initToken(username, soPin);
  const admin = await module.openAdmin(token.serial, soPin);
  try {
    await admin.initUserPin(userPin);
  } finally {
    await admin.close();
  }
  await installClusterKey(module, token.serial, soPin, userPin, ck);
  return token.serial;
}

/** Wipes `username`'s partition on HSM `h` (best effort is the caller's choice). */
export async function wipePartition(module: HsmModule, secrets: SecretBox, h: HsmRecord, username: string, serial: string): Promise<void> {
  await module.wipeToken(serial, partitionSoPin(hsmSoPinOf(secrets, h), username));
}

/** Sets the USER PIN of a partition: as the user with the old PIN, else (the old one refused) as its SO. */
export async function setPartitionPin(module: HsmModule, secrets: SecretBox, h: HsmRecord, username: string, serial: string, oldPin: string, newPin: string): Promise<void> {
  try {
    await module.setUserPin(serial, oldPin, newPin);
  } catch {
    const admin = await module.openAdmin(serial, partitionSoPin(hsmSoPinOf(secrets, h), username));
    try {
      await admin.initUserPin(newPin);
    } finally {
      await admin.close();
    }
  }
}
