/**
 * The cluster side of ports/cluster-keys.ts (design/hsm-tier.md §1.2, §1.3, §4.1): what KMS's
 * AWS_CLOUDHSM custom key stores use of a Coffer HSM cluster.
 *
 * - `view` reads the cluster record: state, trust anchor, lineage id, subnet AZs, ACTIVE HSMs.
 * - `connect` runs the connect job's checks in the design's order (cluster exists → an ACTIVE HSM →
 *   the crypto user exists → C_Login with the password on the user's partition of every ACTIVE
 *   HSM) and maps the first failure to its ConnectionErrorCode. The design's "rotate the kmsuser
 *   password" step is NOT done: the password KMS holds stays the partition PIN.
 * - The sessions it answers re-read the cluster record for every call (at most every
 *   VIEW_CACHE_MS), so an HSM that goes DEGRADED is no longer used and a new ACTIVE one is used once
 *   it holds the user's partition; a session on a new HSM is opened with the password on first use.
 *   Keys: generated in the user's partition on the primary HSM (the first ACTIVE by id), wrapped
 *   there under the cluster key (CKM_AES_KEY_WRAP_PAD) into the blob KMS keeps, unwrapped into the
 *   same partition on every other ACTIVE HSM. Crypto goes round-robin over the ACTIVE HSMs holding
 *   the key, with one retry on another HSM after a device or token error.
 * - New HSMs get the keys through `ensure` (KMS calls it with the blob it keeps, e.g. after
 *   connecting, or when a call finds a key missing): the cluster side keeps no key registry of its own.
 */
import type { ClusterRecord, HsmRecord } from '../domain/cluster.ts';
import type { ClusterView, ConnectionErrorCode } from '../domain/custom-key-store.ts';
import { CLUSTER_KEY_ID, userOf } from '../domain/hsm-users.ts';
import { HsmError, type HsmModule, type SecretKeyTemplate, type TokenSession } from '../ports/hsm.ts';
import type { ClusterConnection, ClusterKeyService, ClusterUserSessions } from '../ports/cluster-keys.ts';
import type { ClusterRepository } from '../ports/cluster-repository.ts';
import type { Logger } from '../core/log.ts';

/** How long the sessions' view of the cluster (which HSMs are ACTIVE) is reused. */
const VIEW_CACHE_MS = 500;

export interface ClusterKeyDeps {
  readonly clusters: ClusterRepository;
  /** Undefined when no HSM module is configured: connect then fails with INTERNAL_ERROR. */
  readonly module: HsmModule | undefined;
  readonly log: Logger;
  readonly now?: () => number;
}

/** A device or token that is away: the operation may be tried on another HSM. */
const isDeviceError = (e: unknown): boolean => e instanceof HsmError && (e.kind === 'device-error' || e.kind === 'token-not-present');

const describe = (e: unknown): string => (e instanceof HsmError ? `${e.kind} (${e.code})` : e instanceof Error ? e.message.slice(0, 200) : 'unknown error');

export const clusterViewOf = (c: ClusterRecord): ClusterView => ({
  id: c.clusterId,
  state: c.state,
  trustAnchorPem: c.trustAnchor,
  lineageId: c.lineageId,
  subnetAzs: Object.keys(c.subnetMapping),
  activeHsms: c.hsms.filter((h) => h.state === 'ACTIVE').map((h) => ({ hsmId: h.hsmId, az: h.availabilityZone })),
});

const visible = (c: ClusterRecord | undefined, accountId: string, region: string): c is ClusterRecord =>
  c !== undefined && c.accountId === accountId && c.region === region && c.state !== 'DELETED' && c.state !== 'DELETE_IN_PROGRESS';

/** The ACTIVE HSMs (by id, the primary first) where `username` has a partition: hsmId and the partition's serial. */
export function userTargets(c: ClusterRecord, username: string): { hsmId: string; serial: string }[] {
  const user = userOf(c.users, username);
  if (user === undefined) return [];
  return [...c.hsms].filter((h: HsmRecord) => h.state === 'ACTIVE' && user.partitions[h.hsmId] !== undefined)
    .sort((a, b) => (a.hsmId < b.hsmId ? -1 : a.hsmId > b.hsmId ? 1 : 0))
    .map((h) => ({ hsmId: h.hsmId, serial: user.partitions[h.hsmId] as string }));
}

const codeOf = (e: unknown): ConnectionErrorCode => {
  if (!(e instanceof HsmError)) return 'INTERNAL_ERROR';
  switch (e.kind) {
    case 'pin-incorrect': return 'INVALID_CREDENTIALS';
    case 'pin-locked': return 'USER_LOCKED_OUT';
    case 'token-not-present': case 'device-error': return 'NETWORK_ERRORS';
    default: return 'INTERNAL_ERROR';
  }
};

export function createClusterKeyService(deps: ClusterKeyDeps): ClusterKeyService {
  return {
    async view(accountId, region, clusterId) {
      const c = await deps.clusters.getCluster(clusterId);
      return visible(c, accountId, region) ? clusterViewOf(c) : undefined;
    },
    async connect(accountId, region, clusterId, username, password): Promise<ClusterConnection> {
      const fail = (code: ConnectionErrorCode, message: string): ClusterConnection => ({ ok: false, code, message });
      const c = await deps.clusters.getCluster(clusterId);
      if (!visible(c, accountId, region)) return fail('CLUSTER_NOT_FOUND', `The cluster ${clusterId} was not found.`);
      if (!c.hsms.some((h) => h.state === 'ACTIVE')) return fail('INSUFFICIENT_CLOUDHSM_HSMS', `The cluster ${clusterId} has no ACTIVE HSM.`);
      const user = userOf(c.users, username);
      if (user === undefined || user.role !== 'crypto-user') return fail('USER_NOT_FOUND', `The cluster ${clusterId} has no crypto user ${username}.`);
      const module = deps.module;
      if (module === undefined) return fail('INTERNAL_ERROR', 'No HSM module is configured.');
      const active = c.hsms.filter((h) => h.state === 'ACTIVE');
      const missing = active.find((h) => user.partitions[h.hsmId] === undefined);
      if (missing !== undefined) return fail('INTERNAL_ERROR', `The crypto user ${username} has no partition on HSM ${missing.hsmId} yet.`);
      const sessions = new UserSessions(deps, module, clusterId, username, password);
      try {
        for (const t of userTargets(c, username)) await sessions.sessionOn(t.serial);
      } catch (e) {
        await sessions.close();
        const code = codeOf(e);
        deps.log.info('cluster connect failed', { clusterId, code, cause: describe(e) });
        return fail(code, code === 'INVALID_CREDENTIALS' ? `The password of crypto user ${username} is not correct.`
          : code === 'USER_LOCKED_OUT' ? `The crypto user ${username} is locked out.`
            : code === 'NETWORK_ERRORS' ? `An HSM of cluster ${clusterId} cannot be reached: ${describe(e)}.`
              : `The login on cluster ${clusterId} failed: ${describe(e)}.`);
      }
      return { ok: true, sessions };
    },
  };
}

const keyTemplate = (id: Buffer, label: string): SecretKeyTemplate =>
  ({ id, label, usage: ['encrypt', 'decrypt'], wrapWithTrusted: true, extractable: true });

/** One crypto user's sessions on the ACTIVE HSMs of one cluster (ClusterUserSessions). */
class UserSessions implements ClusterUserSessions {
  private readonly open = new Map<string, Promise<TokenSession>>();
  private cached: { at: number; targets: { hsmId: string; serial: string }[]; live: number } | undefined;
  private turn = 0;
  private closed = false;

  constructor(
    private readonly deps: ClusterKeyDeps,
    private readonly module: HsmModule,
    private readonly clusterId: string,
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** The session on the partition with this serial, opened (and logged in) on first use. */
  sessionOn(serial: string): Promise<TokenSession> {
    if (this.closed) return Promise.reject(new HsmError('other', 'COFFER_SESSION_CLOSED', 'The cluster sessions are closed.'));
    let s = this.open.get(serial);
    if (s === undefined) {
      s = this.module.openSession(serial, this.password);
      this.open.set(serial, s);
      s.catch(() => { if (this.open.get(serial) === s) this.open.delete(serial); });
    }
    return s;
  }

  /** Drops a session after a device error (closed best-effort): the next use logs in again. */
  private async drop(serial: string): Promise<void> {
    const s = this.open.get(serial);
    this.open.delete(serial);
    if (s !== undefined) await s.then((x) => x.close()).catch(() => undefined);
  }

  /** The ACTIVE HSMs with the user's partition, primary first, and how many HSMs the cluster has. */
  private async targets(): Promise<{ targets: { hsmId: string; serial: string }[]; live: number }> {
    const now = (this.deps.now ?? Date.now)();
    if (this.cached !== undefined && now - this.cached.at < VIEW_CACHE_MS) return this.cached;
    const c = await this.deps.clusters.getCluster(this.clusterId);
    const targets = c === undefined ? [] : userTargets(c, this.username);
    const live = c === undefined ? 0 : c.hsms.filter((h) => h.state === 'ACTIVE' || h.state === 'DEGRADED').length;
    this.cached = { at: now, targets, live };
    return this.cached;
  }

  private noHsm(): HsmError {
    return new HsmError('token-not-present', 'COFFER_NO_ACTIVE_HSM', `The cluster ${this.clusterId} has no ACTIVE HSM with the partition of ${this.username}.`);
  }

  /**
   * Runs `f` on the HSMs in turn (round-robin), retrying once on another after a device or token
   * error, or when the key is missing there (a copy not yet restored by `ensure`).
   */
  private async anyHsm<T>(f: (s: TokenSession) => Promise<T>): Promise<T> {
    const { targets } = await this.targets();
    if (targets.length === 0) throw this.noHsm();
    const first = this.turn++ % targets.length;
    const order = [targets[first], ...targets.filter((_, i) => i !== first)].slice(0, 2);
    let last: unknown;
    for (const t of order) {
      if (t === undefined) continue;
      try {
        return await f(await this.sessionOn(t.serial));
      } catch (e) {
        const missing = e instanceof HsmError && e.kind === 'object-not-found';
        if (!isDeviceError(e) && !missing) throw e;
        last = e;
        this.deps.log.warn('HSM operation failed; trying another', { clusterId: this.clusterId, hsmId: t.hsmId, cause: describe(e) });
        if (!missing) await this.drop(t.serial);
      }
    }
    throw last;
  }

  async generateAes256(keyRef: Buffer, label: string): Promise<{ readonly blob: Buffer; readonly hsms: number }> {
    const { targets, live } = await this.targets();
    const primary = targets[0];
    if (primary === undefined) throw this.noHsm();
    const template = keyTemplate(keyRef, label);
    const p = await this.sessionOn(primary.serial);
    if (!(await p.has(keyRef))) await p.generateAes(template, 32);
    const blob = await p.wrap(CLUSTER_KEY_ID, keyRef);
    let hsms = 1;
    for (const t of targets.slice(1)) {
      try {
        const s = await this.sessionOn(t.serial);
        if (!(await s.has(keyRef))) await s.unwrap(CLUSTER_KEY_ID, blob, template);
        hsms++;
      } catch (e) {
        this.deps.log.warn('key not replicated to an HSM', { clusterId: this.clusterId, hsmId: t.hsmId, cause: describe(e) });
        if (isDeviceError(e)) await this.drop(t.serial);
      }
    }
    // The key availability quorum (design §1.2): 2 HSMs, 1 when the cluster has only one.
    const needed = live <= 1 ? 1 : 2;
    if (hsms < needed) {
      await this.destroy(keyRef).catch(() => 0);
      throw new HsmError('device-error', 'COFFER_KEY_AVAILABILITY', `The new key exists on ${hsms} HSM(s) of cluster ${this.clusterId}; ${needed} are needed.`);
    }
    return { blob, hsms };
  }

  async ensure(keyRef: Buffer, label: string, blob: Buffer): Promise<number> {
    // The HSMs as the repository has them now, not as cached for crypto: an HSM just added must be
    // among them (and one just removed must not be counted).
    this.cached = undefined;
    const { targets } = await this.targets();
    let hsms = 0;
    for (const t of targets) {
      try {
        const s = await this.sessionOn(t.serial);
        if (!(await s.has(keyRef))) await s.unwrap(CLUSTER_KEY_ID, blob, keyTemplate(keyRef, label));
        hsms++;
      } catch (e) {
        this.deps.log.warn('key not restored on an HSM', { clusterId: this.clusterId, hsmId: t.hsmId, cause: describe(e) });
        if (isDeviceError(e)) await this.drop(t.serial);
      }
    }
    return hsms;
  }

  encryptGcm(keyRef: Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer): Promise<Buffer> {
    return this.anyHsm((s) => s.encryptGcm(keyRef, iv, aad, plaintext));
  }

  decryptGcm(keyRef: Buffer, iv: Buffer, aad: Buffer, ciphertextAndTag: Buffer): Promise<Buffer> {
    return this.anyHsm((s) => s.decryptGcm(keyRef, iv, aad, ciphertextAndTag));
  }

  random(bytes: number): Promise<Buffer> {
    return this.anyHsm((s) => s.random(bytes));
  }

  async destroy(keyRef: Buffer): Promise<number> {
    const { targets } = await this.targets();
    let copies = 0;
    for (const t of targets) {
      try {
        copies += await (await this.sessionOn(t.serial)).destroy(keyRef) > 0 ? 1 : 0;
      } catch (e) {
        this.deps.log.warn('key copy not destroyed', { clusterId: this.clusterId, hsmId: t.hsmId, cause: describe(e) });
      }
    }
    return copies;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((s) => s.then((x) => x.close()).catch(() => undefined)));
  }
}
