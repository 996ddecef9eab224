/**
 * The HSM clusters' state machines (design/hsm-tier.md §2.2), run as jobs by the scheduler on the
 * lease holder only. A job reads a cluster, does ONE step (token work through the HsmModule port
 * outside the state-change lock), and commits the step's result conditional on the revision it
 * read; then reads again. Every step is idempotent, so a kill -9 anywhere repeats at most the
 * step in flight:
 *
 * - cluster CREATE_IN_PROGRESS → UNINITIALIZED; DELETE_IN_PROGRESS → DELETED; DELETED for 7 days → purged.
 * - INITIALIZE_IN_PROGRESS → INITIALIZED in two steps: (1) the cluster key CK (32 random bytes)
 *   is made and committed sealed, with the unactivated admin (CloudHSM's PRECO); (2) CK is
 *   installed as the SO in the system partition of every ACTIVE HSM (skipped where it is already),
 *   then INITIALIZED. CK buffers are zeroed after use.
 * - An HSM that becomes ACTIVE in a cluster with CK also gets CK in its system partition and every
 *   crypto user's partition (services/partitions.ts; PIN from the user's sealed PIN), committed with
 *   ACTIVE. Keys reach it through ClusterKeyService's `ensure` (services/cluster-keys.ts).
 * - HSM CREATE_IN_PROGRESS → ACTIVE: the token labelled `coffer:<hsmId>` is found or initialised
 *   with the HSM's SO PIN (sealed in the record before the job runs, so a repeat uses the same
 *   one), then the system PIN is set as SO. An HSM of the pool's tokens (COFFER_HSM_POOL) has its
 *   token's serial and SO PIN from CreateHsm and is never initialised by Coffer; not there, it
 *   fails. The first HSM of an UNINITIALIZED cluster also makes the cluster identity RSA-2048 pair
 *   in its token (found again by CKA_ID if it exists whole, made again if a kill left half of it)
 *   and the CSR, signed inside the token; both commit with ACTIVE. A module failure → DELETED with
 *   a StateMessage (shown for an hour). In an initialised cluster the new HSM also gets CK, every
 *   crypto user's partition and, in them, their keys (hsm-catch-up.ts).
 * - HSM DELETE_IN_PROGRESS → its token and its users' partitions wiped with their SO PINs (this
 *   process's sessions on the partitions closed first: `closeSessions`) → dropped from the cluster
 *   (and from the users' partition lists).
 * - Health (design §1.3), every `probeMs` (default 10 s) within a run: each ACTIVE or DEGRADED
 *   HSM's tokens (system partition and its users' partitions) must be listed by the module and a
 *   session must open on the system partition, else the HSM is DEGRADED with a StateMessage; back
 *   to ACTIVE once they are and it has caught up with the repository (hsm-catch-up.ts: crypto users'
 *   PINs changed and keys made, deleted or unshared while it was away). An ACTIVE cluster is DEGRADED while any HSM is, and ACTIVE again when
 *   none is. ClusterKeyService uses only ACTIVE HSMs.
 * A step that loses a race with a request (StorageConflict) is simply done again on fresh state.
 */
import {
  dueAt, FAILED_HSM_VISIBLE_MS, IDENTITY_KEY_ID, pinSealId, revise, tokenLabelOf, withHsm,
  type ClusterRecord, type HsmRecord,
} from '../domain/cluster.ts';
import { HsmError, type HsmModule, type TokenInfo } from '../ports/hsm.ts';
import { clusterKeySealId, FIRST_ADMIN, pinSealOfUser, type HsmUserRecord } from '../domain/hsm-users.ts';
import { POOL_TOKEN } from '../domain/hsm-pool.ts';
import { ensurePartition, installClusterKey, openClusterKey, wipePartition } from './partitions.ts';
import { catchUpHsm } from './hsm-catch-up.ts';
import { randomBytes } from 'node:crypto';
import type { ClusterRepository } from '../ports/cluster-repository.ts';
import type { Change } from '../ports/changes.ts';
import type { SecretBox } from '../ports/secret-box.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { Mutex } from '../core/mutex.ts';

/** Builds the cluster's PKCS#10 CSR (PEM) over `spki`, signing its to-be-signed bytes with `sign` (inside the token). */
export type ClusterCsrBuilder = (spki: Buffer, ids: { clusterId: string; hsmId: string }, sign: (data: Buffer) => Promise<Buffer>) => Promise<string>;

export interface ClusterJobDeps {
  readonly clusters: ClusterRepository;
  /** Undefined when no module is configured: HSMs then fail to DELETED (CreateHsm refuses them first). */
  readonly module: HsmModule | undefined;
  readonly secrets: SecretBox;
  readonly buildCsr: ClusterCsrBuilder;
  /** Commits a step's changes (with no call record: AuditSink.commit), under the state-change lock. */
  readonly commit: (changes: readonly Change[]) => Promise<void>;
  readonly lock: Mutex;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often (ms, wall clock) a run also probes the HSMs' health; default 10 000. */
  readonly probeMs?: number;
  /**
   * Closes this process's sessions on the cluster's crypto users' partitions (a connected custom key
   * store's; they reopen when next used, on ACTIVE HSMs only). Absent: this process opens none.
   */
  readonly closeSessions?: (clusterId: string) => Promise<void>;
}

/** One step's outcome: the changes to commit, or nothing left to do for this cluster now. */
type Step = readonly Change[] | undefined;

const put = (before: ClusterRecord, after: ClusterRecord): Change[] => [{ kind: 'putCluster', cluster: after, expectRevision: before.revision }];

const failure = (e: unknown): string =>
  e instanceof HsmError ? `${e.kind} (${e.code})` : e instanceof Error ? e.message.slice(0, 200) : 'unknown error';

export class ClusterJobs {
  private lastProbe = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: ClusterJobDeps) {}

  /** Whether a probe is due (the runner calls `run` at least this often: serve.ts kicks it). */
  get probeMs(): number {
    return this.deps.probeMs ?? 10_000;
  }

  /**
   * Probes every cluster's ACTIVE and DEGRADED HSMs and commits the states that changed
   * (conditional on the revision read: a lost race is probed again next time). Answers how many
   * clusters changed.
   */
  async probe(): Promise<number> {
    const { clusters, module, log } = this.deps;
    this.lastProbe = Date.now();
    if (module === undefined) return 0;
    let changed = 0;
    for (const id of await clusters.clusterIds()) {
      const c = await clusters.getCluster(id);
      if (c === undefined || c.state === 'DELETED' || c.state === 'DELETE_IN_PROGRESS') continue;
      const probed = c.hsms.filter((h) => (h.state === 'ACTIVE' || h.state === 'DEGRADED') && h.tokenSerial !== undefined);
      if (probed.length === 0) continue;
      let listed: ReadonlySet<string>;
      try {
        listed = new Set((await module.tokens()).filter((t) => t.initialized).map((t) => t.serial));
      } catch (e) {
        listed = new Set();
        log.warn('HSM module does not list its tokens', { problem: failure(e) });
      }
      const verdicts = new Map<string, string | undefined>();
      for (const h of probed) verdicts.set(h.hsmId, await this.problemOf(c, h, module, listed));
      // A DEGRADED HSM healthy again catches up with the repository (PINs, keys) before it serves: hsm-catch-up.ts.
      let keys = c.keys;
      for (const h of probed) {
        if (h.state !== 'DEGRADED' || verdicts.get(h.hsmId) !== undefined) continue;
        try {
          keys = (await catchUpHsm({ module, secrets: this.deps.secrets }, { ...c, ...(keys !== undefined ? { keys } : {}) }, h)).keys;
        } catch (e) {
          verdicts.set(h.hsmId, `The HSM is back but could not catch up with the repository: ${failure(e)}.`);
        }
      }
      const hsms = c.hsms.map((h): HsmRecord => {
        if (!verdicts.has(h.hsmId)) return h;
        const problem = verdicts.get(h.hsmId);
        if (problem === undefined) {
          const { stateMessage: _, ...rest } = h;
          return h.state === 'ACTIVE' ? h : { ...rest, state: 'ACTIVE' };
        }
        return { ...h, state: 'DEGRADED', stateMessage: problem };
      });
      const anyDegraded = hsms.some((h) => h.state === 'DEGRADED');
      const state = c.state === 'ACTIVE' && anyDegraded ? 'DEGRADED' : c.state === 'DEGRADED' && !anyDegraded ? 'ACTIVE' : c.state;
      const hsmsChanged = hsms.some((h, i) => h.state !== c.hsms[i]?.state || h.stateMessage !== c.hsms[i]?.stateMessage);
      if (!hsmsChanged && state === c.state) continue;
      for (const h of hsms) {
        const before = c.hsms.find((x) => x.hsmId === h.hsmId);
        if (before?.state !== h.state) log.warn('HSM health changed', { clusterId: id, hsmId: h.hsmId, state: h.state, problem: h.stateMessage ?? '' });
      }
      try {
        await this.deps.commit(put(c, revise(c, { hsms, state, ...(keys !== undefined ? { keys } : {}) })));
        changed++;
      } catch (e) {
        log.warn('HSM health not committed', { clusterId: id, cause: failure(e) });
      }
    }
    return changed;
  }

  /** Why this HSM is unhealthy, or undefined when its tokens are there and its system partition opens. */
  private async problemOf(c: ClusterRecord, h: HsmRecord, module: HsmModule, listed: ReadonlySet<string>): Promise<string | undefined> {
    const serials = [h.tokenSerial as string, ...(c.users ?? []).flatMap((u) => (u.partitions[h.hsmId] !== undefined ? [u.partitions[h.hsmId] as string] : []))];
    const missing = serials.find((s) => !listed.has(s));
    if (missing !== undefined) return `The HSM's token ${missing} is not present.`;
    try {
      const session = await module.openSession(h.tokenSerial as string, this.open(h, 'system'));
      await session.close();
      return undefined;
    } catch (e) {
      return `The HSM's system partition does not open: ${failure(e)}.`;
    }
  }

  /** Runs every due cluster's steps until none is left; resolves with the number of steps committed. */
  async run(): Promise<number> {
    const { clusters, clock, lock } = this.deps;
    // Under the lock: a request committing a change (and kicking this) is done before the read.
    const due = await lock.run(() => clusters.clustersDue(clock.now()));
    let steps = 0;
    for (const id of due) {
      // A bounded number of steps per cluster and pass (an HSM's create and the CSR are two at most each).
      for (let i = 0; i < 64; i++) {
        const c = await clusters.getCluster(id);
        if (c === undefined) break;
        const changes = await this.step(c);
        if (changes === undefined) break;
        try {
          await this.deps.commit(changes);
          steps++;
        } catch (e) {
          // A request changed the cluster meanwhile (StorageConflict): the next round reads it afresh.
          this.deps.log.warn('cluster job step not committed', { clusterId: id, cause: failure(e) });
          if (i > 8) throw e;
        }
      }
    }
    if (Date.now() - this.lastProbe >= this.probeMs) await this.probe();
    return steps;
  }

  /** The next step for this cluster, or undefined when it has none due now. */
  async step(c: ClusterRecord): Promise<Step> {
    const now = this.deps.clock.now();
    const due = dueAt(c);
    if (due === undefined || due > now) return undefined;
    switch (c.state) {
      case 'CREATE_IN_PROGRESS': return put(c, revise(c, { state: 'UNINITIALIZED' }));
      case 'INITIALIZE_IN_PROGRESS': return this.initialize(c);
      case 'DELETE_IN_PROGRESS': return put(c, revise(c, { state: 'DELETED', deletedAt: now }));
      case 'DELETED': return [{ kind: 'purgeCluster', clusterId: c.clusterId }];
      default: break;
    }
    const deleting = c.hsms.find((h) => h.state === 'DELETE_IN_PROGRESS');
    if (deleting !== undefined) return this.deleteHsm(c, deleting);
    const creating = c.hsms.find((h) => h.state === 'CREATE_IN_PROGRESS');
    if (creating !== undefined) return this.createHsm(c, creating);
    const expired = c.hsms.find((h) => h.state === 'DELETED' && (h.deletedAt ?? 0) + FAILED_HSM_VISIBLE_MS <= now);
    if (expired !== undefined) return put(c, revise(c, { hsms: c.hsms.filter((h) => h !== expired) }));
    const holder = c.state === 'UNINITIALIZED' && c.clusterCsr === undefined ? c.hsms.find((h) => h.state === 'ACTIVE') : undefined;
    if (holder !== undefined && this.deps.module !== undefined) {
      const identity = await this.identity(c, holder, this.deps.module);
      return put(c, revise(c, identity));
    }
    return undefined;
  }

  /** INITIALIZE_IN_PROGRESS: CK and the unactivated admin first, then CK in every ACTIVE HSM, then INITIALIZED. */
  private async initialize(c: ClusterRecord): Promise<Step> {
    if (c.ckSealed === undefined) {
      const ck = randomBytes(32);
      try {
        const ckSealed = this.deps.secrets.seal(clusterKeySealId(c.clusterId), ck.toString('base64'));
        const admin: HsmUserRecord = { username: FIRST_ADMIN, role: 'admin', partitions: {} };
        return put(c, revise(c, { ckSealed, users: [admin] }));
      } finally {
        ck.fill(0);
      }
    }
    const module = this.deps.module;
    if (module !== undefined) {
      const ck = openClusterKey(this.deps.secrets, c);
      try {
        for (const h of c.hsms.filter((x) => x.state === 'ACTIVE' && x.tokenSerial !== undefined)) {
          try {
            await installClusterKey(module, h.tokenSerial as string, this.open(h, 'so'), this.open(h, 'system'), ck);
          } catch (e) {
            // A token away: the cluster initialises all the same (the probe degrades that HSM; the
            // crypto users' partitions, made later, get CK themselves, and a replacement HSM gets it).
            this.deps.log.warn('cluster key not installed in an HSM', { clusterId: c.clusterId, hsmId: h.hsmId, problem: failure(e) });
          }
        }
      } finally {
        ck.fill(0);
      }
    }
    const { stateMessage: _, ...rest } = c;
    return put(c, { ...rest, state: 'INITIALIZED', revision: c.revision + 1 });
  }

  private open(h: HsmRecord, which: 'so' | 'system'): string {
    return this.deps.secrets.open(pinSealId(h.hsmId, which), which === 'so' ? h.soPinSealed : h.systemPinSealed);
  }

  /** The token of this HSM if one was initialised already (a repeat after kill -9), found by its label. */
  private async tokenOf(module: HsmModule, h: HsmRecord): Promise<TokenInfo | undefined> {
    const tokens = await module.tokens();
    if (h.tokenSerial !== undefined) return tokens.find((t) => t.serial === h.tokenSerial);
    return tokens.find((t) => t.initialized && t.label === tokenLabelOf(h.hsmId));
  }

  private async createHsm(c: ClusterRecord, h: HsmRecord): Promise<Step> {
    const { module, log } = this.deps;
    const fail = (message: string): Step => {
      log.warn('HSM creation failed', { clusterId: c.clusterId, hsmId: h.hsmId, problem: message });
      return put(c, withHsm(c, h.hsmId, { state: 'DELETED', stateMessage: message, deletedAt: this.deps.clock.now() }));
    };
    if (module === undefined) return fail('No HSM module is configured.');
    let token: TokenInfo;
    try {
      const soPin = this.open(h, 'so');
      const found = await this.tokenOf(module, h);
      // A token of the HSM pool's is the operator's: used as it is, never initialised on a free slot instead.
      if (h.poolEntry?.startsWith(POOL_TOKEN) === true && (found === undefined || !found.initialized)) {
        return fail(`The HSM pool's token ${h.tokenSerial ?? '?'} is not present or not initialised (COFFER_HSM_POOL).`);
      }
      token = found ?? await module.initToken(tokenLabelOf(h.hsmId), soPin);
      const admin = await module.openAdmin(token.serial, soPin);
      try {
        await admin.initUserPin(this.open(h, 'system'));
      } finally {
        await admin.close();
      }
    } catch (e) {
      return fail(`The HSM's token could not be initialised: ${failure(e)}.`);
    }
    const withToken: HsmRecord = { ...h, tokenSerial: token.serial };
    // The first HSM of an UNINITIALIZED cluster makes the cluster identity and the CSR, committed with ACTIVE.
    let identity: Partial<ClusterRecord> = {};
    if (c.state === 'UNINITIALIZED' && c.clusterCsr === undefined) {
      try {
        identity = await this.identity(c, withToken, module);
      } catch (e) {
        return fail(`The cluster identity key could not be made in the HSM's token: ${failure(e)}.`);
      }
    }
    // In a cluster with CK (INITIALIZED and later): CK in the system partition and every crypto user's partition.
    let users = c.users;
    let keys = c.keys;
    if (c.ckSealed !== undefined) {
      const ck = openClusterKey(this.deps.secrets, c);
      try {
        await installClusterKey(module, token.serial, this.open(h, 'so'), this.open(h, 'system'), ck);
        const next: HsmUserRecord[] = [];
        for (const u of c.users ?? []) {
          if (u.role !== 'crypto-user' || u.pinSealed === undefined) { next.push(u); continue; }
          const pin = this.deps.secrets.open(pinSealOfUser(c.clusterId, u.username), u.pinSealed);
          const serial = await ensurePartition(module, this.deps.secrets, c, h, u.username, pin, ck);
          next.push({ ...u, partitions: { ...u.partitions, [h.hsmId]: serial } });
        }
        users = next;
        // The crypto users' keys into their new partitions (a new HSM gets every key, as from a backup).
        keys = (await catchUpHsm({ module, secrets: this.deps.secrets }, { ...c, ...(users !== undefined ? { users } : {}) }, withToken)).keys;
      } catch (e) {
        return fail(`The HSM's partitions could not be made: ${failure(e)}.`);
      } finally {
        ck.fill(0);
      }
    }
    const { stateMessage: _, ...rest } = withToken;
    const active: HsmRecord = { ...rest, state: 'ACTIVE' };
    return put(c, revise(c, { ...identity, ...(users !== undefined ? { users } : {}), ...(keys !== undefined ? { keys } : {}), hsms: c.hsms.map((x) => (x.hsmId === h.hsmId ? active : x)) }));
  }

  /**
   * The cluster identity RSA-2048 pair in the HSM's token (made once, found again by CKA_ID) and the CSR over it.
   * A pair found that cannot make the CSR is destroyed and made again: a kill -9 inside C_GenerateKeyPair
   * leaves half of one (SoftHSM writes the public key's object, then the private key's), which would
   * otherwise fail the HSM on every repeat. Nothing refers to it yet: it is used only once its CSR is committed.
   */
  private async identity(c: ClusterRecord, h: HsmRecord, module: HsmModule): Promise<Partial<ClusterRecord>> {
    const serial = h.tokenSerial;
    if (serial === undefined) throw new Error(`HSM ${h.hsmId} has no token yet`);
    const session = await module.openSession(serial, this.open(h, 'system'));
    const csrOver = async (spki: Buffer): Promise<Partial<ClusterRecord>> => ({
      clusterCsr: await this.deps.buildCsr(spki, { clusterId: c.clusterId, hsmId: h.hsmId }, (data) => session.signRsaSha256(IDENTITY_KEY_ID, data)),
      identityHsmId: h.hsmId,
    });
    try {
      if (await session.has(IDENTITY_KEY_ID)) {
        try {
          return await csrOver(await session.rsaPublicKey(IDENTITY_KEY_ID));
        } catch (e) {
          this.deps.log.warn('cluster identity key pair incomplete in the token (its generation was cut short): made again', { clusterId: c.clusterId, hsmId: h.hsmId, problem: failure(e) });
          await session.destroy(IDENTITY_KEY_ID);
        }
      }
      return await csrOver(await session.generateRsaPair(IDENTITY_KEY_ID, 'coffer-cluster-identity', 2048));
    } finally {
      await session.close();
    }
  }

  private async deleteHsm(c: ClusterRecord, h: HsmRecord): Promise<Step> {
    const { module, log } = this.deps;
    if (module !== undefined) {
      try {
        const token = await this.tokenOf(module, h);
        if (token !== undefined) await module.wipeToken(token.serial, this.open(h, 'so'));
      } catch (e) {
        // The token is gone or refuses its SO PIN: nothing of the cluster's is lost (the repository
        // holds it), so the HSM is removed all the same; the operator may reclaim the slot.
        log.warn('HSM token not wiped', { clusterId: c.clusterId, hsmId: h.hsmId, problem: failure(e) });
      }
      // A partition with a session of this process open refuses to be wiped (CKR_SESSION_EXISTS): a
      // connected custom key store's sessions would leave kmsuser's partition, keys and all, on the
      // deleted HSM. Closed first; they reopen without this HSM, no longer ACTIVE.
      if ((c.users ?? []).some((u) => u.partitions[h.hsmId] !== undefined)) await this.deps.closeSessions?.(c.clusterId);
      for (const u of c.users ?? []) {
        const serial = u.partitions[h.hsmId];
        if (serial === undefined) continue;
        try {
          await wipePartition(module, this.deps.secrets, h, u.username, serial);
        } catch (e) {
          log.warn('HSM partition not wiped', { clusterId: c.clusterId, hsmId: h.hsmId, problem: failure(e) });
        }
      }
    }
    // The identity key pair was in this token: a later HSM makes a new one (and a new CSR).
    const lostIdentity = c.identityHsmId === h.hsmId && c.state === 'UNINITIALIZED';
    const users = c.users?.map((u) => {
      if (u.partitions[h.hsmId] === undefined) return u;
      const { [h.hsmId]: _gone, ...partitions } = u.partitions;
      return { ...u, partitions };
    });
    const after = revise(c, { hsms: c.hsms.filter((x) => x.hsmId !== h.hsmId), ...(users !== undefined ? { users } : {}) });
    if (!lostIdentity) return put(c, after);
    const { clusterCsr: _csr, identityHsmId: _id, ...rest } = after;
    return put(c, rest);
  }
}
