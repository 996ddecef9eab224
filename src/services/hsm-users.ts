/**
 * The HSM users of a cluster (design/hsm-tier.md §3.1–§3.2; HSM.md Part 1a), as the Coffer HSM
 * data plane (CofferHsmService) changes them. Each function takes the cluster as read and answers
 * the record to commit (conditional on the revision read); token work happens before, and is
 * idempotent, so a repeat after a lost race redoes it harmlessly (services/partitions.ts).
 *
 * - activate: the unactivated admin gets its password (scrypt hash); INITIALIZED → ACTIVE.
 * - createUser: an admin or crypto user; a crypto user's partition (label = username, USER PIN =
 *   its password, CK inside) is made on every ACTIVE HSM and its serial recorded. A DEGRADED HSM
 *   gets none: it is refused while any HSM is not ACTIVE, so no partition is ever missing.
 * - changePassword: new hash (and sealed PIN); for a crypto user C_SetPIN on its partition on every
 *   ACTIVE HSM; one on an HSM that is away gets the new PIN when that HSM catches up on its return
 *   (hsm-catch-up.ts). A new password also clears a lockout.
 * - deleteUser: refused for the last admin, and for a crypto user who owns keys (as cloudhsm-cli
 *   refuses: a partition holding more than CK, e.g. kmsuser under a custom key store's keys);
 *   otherwise a crypto user's partitions are wiped.
 */
import { randomBytes } from 'node:crypto';
import { revise, type ClusterRecord } from '../domain/cluster.ts';
import { CLUSTER_KEY_ID, hashPassword, pinSealOfUser, userOf, type HsmUserRecord, type HsmUserRole } from '../domain/hsm-users.ts';
import type { HsmModule } from '../ports/hsm.ts';
import type { SecretBox } from '../ports/secret-box.ts';
import { ensurePartition, openClusterKey, setPartitionPin, wipePartition } from './partitions.ts';

/** A refusal the data plane answers as a 4xx with this message. */
export class HsmUserProblem extends Error {
  override readonly name = 'HsmUserProblem';
}

export interface HsmUserDeps {
  readonly module: HsmModule | undefined;
  readonly secrets: SecretBox;
}

const users = (c: ClusterRecord): readonly HsmUserRecord[] => c.users ?? [];

function needModule(deps: HsmUserDeps): HsmModule {
  if (deps.module === undefined) throw new HsmUserProblem('No HSM module is configured.');
  return deps.module;
}

export async function activateCluster(c: ClusterRecord, password: string): Promise<ClusterRecord> {
  if (c.state !== 'INITIALIZED') throw new HsmUserProblem(`The cluster ${c.clusterId} is in state ${c.state}: only an INITIALIZED cluster can be activated.`);
  const admin = users(c).find((u) => u.role === 'admin' && u.passwordHash === undefined);
  if (admin === undefined) throw new HsmUserProblem(`The cluster ${c.clusterId} has no unactivated admin.`);
  const passwordHash = await hashPassword(password);
  return revise(c, { state: 'ACTIVE', users: users(c).map((u) => (u === admin ? { ...u, passwordHash } : u)) });
}

const activeHsms = (c: ClusterRecord) => c.hsms.filter((h) => h.state === 'ACTIVE' && h.tokenSerial !== undefined);

function needAllActive(c: ClusterRecord): void {
  const other = c.hsms.find((h) => h.state !== 'ACTIVE' && h.state !== 'DELETED');
  if (other !== undefined) throw new HsmUserProblem(`The HSM ${other.hsmId} is ${other.state}: try again once every HSM of the cluster is ACTIVE (or delete it).`);
}

export async function createUser(deps: HsmUserDeps, c: ClusterRecord, username: string, role: HsmUserRole, password: string): Promise<ClusterRecord> {
  if (userOf(c.users, username) !== undefined) throw new HsmUserProblem(`The user ${username} exists already.`);
  const passwordHash = await hashPassword(password);
  if (role === 'admin') return revise(c, { users: [...users(c), { username, role, passwordHash, partitions: {} }] });
  const module = needModule(deps);
  needAllActive(c);
  const partitions: Record<string, string> = {};
  const ck = openClusterKey(deps.secrets, c);
  try {
    for (const h of activeHsms(c)) partitions[h.hsmId] = await ensurePartition(module, deps.secrets, c, h, username, password, ck);
  } finally {
    ck.fill(0);
  }
  const pinSealed = deps.secrets.seal(pinSealOfUser(c.clusterId, username), password);
  return revise(c, { users: [...users(c), { username, role, passwordHash, pinSealed, partitions }] });
}

export async function changePassword(deps: HsmUserDeps, c: ClusterRecord, username: string, password: string): Promise<ClusterRecord> {
  const user = userOf(c.users, username);
  if (user === undefined) throw new HsmUserProblem(`The user ${username} does not exist.`);
  const passwordHash = await hashPassword(password);
  // A new password also unlocks a locked-out user (the count starts again).
  if (user.role === 'admin') return revise(c, { users: users(c).map((u) => (u === user ? { ...u, passwordHash, failedLogins: 0 } : u)) });
  const module = needModule(deps);
  const old = user.pinSealed === undefined ? randomBytes(24).toString('base64url') : deps.secrets.open(pinSealOfUser(c.clusterId, username), user.pinSealed);
  for (const h of activeHsms(c)) {
    const serial = user.partitions[h.hsmId];
    if (serial !== undefined) await setPartitionPin(module, deps.secrets, h, username, serial, old, password);
  }
  const pinSealed = deps.secrets.seal(pinSealOfUser(c.clusterId, username), password);
  return revise(c, { users: users(c).map((u) => (u === user ? { ...u, passwordHash, pinSealed, failedLogins: 0 } : u)) });
}

export async function deleteUser(deps: HsmUserDeps, c: ClusterRecord, username: string): Promise<ClusterRecord> {
  const user = userOf(c.users, username);
  if (user === undefined) throw new HsmUserProblem(`The user ${username} does not exist.`);
  if (user.role === 'admin' && users(c).filter((u) => u.role === 'admin').length === 1) throw new HsmUserProblem('The last admin of a cluster cannot be deleted.');
  const keys = c.keys ?? [];
  const owns = keys.filter((k) => k.owner === username).length;
  if (owns > 0) throw new HsmUserProblem(`The user ${username} owns ${owns} key(s): a user who owns keys cannot be deleted (delete its keys first).`);
  const shared = keys.filter((k) => k.sharedUsers.includes(username)).length;
  if (shared > 0) throw new HsmUserProblem(`${shared} key(s) are shared with the user ${username}: unshare them first.`);
  if (user.role === 'crypto-user' && deps.module !== undefined) {
    const owned = await keysOwned(deps.module, deps.secrets, c, user);
    if (owned > 0) throw new HsmUserProblem(`The user ${username} owns ${owned} key(s): a user who owns keys cannot be deleted (delete or schedule the deletion of its keys first).`);
    for (const h of c.hsms) {
      const serial = user.partitions[h.hsmId];
      // Best effort: a partition on an HSM that is away stays until that HSM is deleted.
      if (serial !== undefined) await wipePartition(deps.module, deps.secrets, h, username, serial).catch(() => undefined);
    }
  }
  return revise(c, { users: users(c).filter((u) => u !== user) });
}

/**
 * The most keys the user's partition holds on any HSM it can be opened on (CK not counted). An HSM
 * that is away does not answer: it counts as none, as deletion is best effort there anyway.
 */
async function keysOwned(module: HsmModule, secrets: SecretBox, c: ClusterRecord, user: HsmUserRecord): Promise<number> {
  if (user.pinSealed === undefined) return 0;
  const pin = secrets.open(pinSealOfUser(c.clusterId, user.username), user.pinSealed);
  let most = 0;
  for (const serial of Object.values(user.partitions)) {
    try {
      const s = await module.openSession(serial, pin);
      try {
        most = Math.max(most, (await s.list()).filter((o) => !o.id.equals(CLUSTER_KEY_ID)).length);
      } finally {
        await s.close();
      }
    } catch {
      // away or its PIN refused: nothing to count there
    }
  }
  return most;
}
