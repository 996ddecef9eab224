/**
 * AWS_CLOUDHSM custom key stores at run time (design/hsm-tier.md §4.1): the stores' records (cached
 * per process, dropped by change notices: topic `custom-key-store:<id>`), the kmsuser password
 * sealed through the SecretBox (bound to the store id; never logged, never audited), and the
 * sessions on the store's cluster (ports/cluster-keys.ts) through which its keys live in tokens.
 *
 * - The connect job (`run`, on the scheduler's lease holder) takes a CONNECTING store, calls
 *   `ClusterKeyService.connect` as `kmsuser` with the stored password and records CONNECTED, or
 *   FAILED with the ConnectionErrorCode it answered; a DISCONNECTING store's sessions are closed
 *   and DISCONNECTED recorded. Each step commits conditional on the revision it read.
 * - Any process that needs a CONNECTED store's sessions and has none opens them lazily with the
 *   sealed password; a notice that the store changed closes them, so a disconnect reaches every
 *   process within one poll.
 * - The key state a key of a store shows is derived (domain keyStateIn), never written.
 */
import { KMS_USER, keyStateIn, type ConnectionState, type CustomKeyStoreRecord, type ClusterView } from '../domain/custom-key-store.ts';
import type { KeyState } from '../domain/key-states.ts';
import type { KeyRecord } from '../domain/key.ts';
import type { ClusterKeyService, ClusterUserSessions } from '../ports/cluster-keys.ts';
import type { CustomKeyStoreRepository } from '../ports/custom-key-store-repository.ts';
import type { Change } from '../ports/changes.ts';
import type { SecretBox } from '../ports/secret-box.ts';
import type { Logger } from '../core/log.ts';
import type { Mutex } from '../core/mutex.ts';
import { StorageConflict } from '../errors/storage-conflict.ts';
import { KMSInvalidStateException } from '../errors/kms-errors.ts';

/** The prefix of a MaterialRecord.domainKeyId whose material lives in a store's cluster: `cks:<storeId>`. */
export const TOKEN_MATERIAL_PREFIX = 'cks:';

export const tokenDomainKeyId = (storeId: string): string => `${TOKEN_MATERIAL_PREFIX}${storeId}`;

/** The CKA_ID of a version's key in the token: its 32-byte material id. */
export const tokenKeyRef = (materialId: string): Buffer => Buffer.from(materialId, 'hex');

export interface CustomKeyStoreDeps {
  readonly repo: CustomKeyStoreRepository;
  /** Undefined when this Coffer has no HSM cluster side: connect jobs then fail with CLUSTER_NOT_FOUND. */
  readonly clusters: ClusterKeyService | undefined;
  readonly secrets: SecretBox;
  /** Commits a job step's changes (no call record), under the state-change lock. */
  readonly commit: (changes: readonly Change[]) => Promise<void>;
  readonly lock: Mutex;
  readonly log: Logger;
  /**
   * Every key version held in this store: its CKA_ID's material id, its label (the key ARN) and
   * its blob (the key wrapped under the cluster key), so that an HSM added to the cluster gets
   * every key (design §1.2). Absent: keys are not brought to new HSMs.
   */
  readonly materialsOf?: (store: CustomKeyStoreRecord) => Promise<readonly { readonly keyArn: string; readonly materialId: string; readonly blob: Buffer }[]>;
}

export class CustomKeyStores {
  private readonly records = new Map<string, CustomKeyStoreRecord>();
  private readonly sessions = new Map<string, Promise<ClusterUserSessions>>();
  /** Per CONNECTED store, the ACTIVE HSMs of its cluster when its keys were last brought to all of them. */
  private readonly synced = new Map<string, string>();

  constructor(private readonly deps: CustomKeyStoreDeps) {}

  get repo(): CustomKeyStoreRepository { return this.deps.repo; }

  /** The committed record (cached until a notice or a commit names it). */
  async get(id: string): Promise<CustomKeyStoreRecord | undefined> {
    const hit = this.records.get(id);
    if (hit !== undefined) return hit;
    const s = await this.deps.repo.getCustomKeyStore(id);
    if (s !== undefined) this.records.set(id, s);
    return s;
  }

  async connectionState(id: string): Promise<ConnectionState | undefined> {
    return (await this.get(id))?.state;
  }

  /** The state a key shows: Unavailable when its store is not CONNECTED (and it is Enabled or Disabled). */
  async stateOf(key: KeyRecord): Promise<KeyState> {
    if (key.customKeyStoreId === undefined) return key.state;
    return keyStateIn((await this.connectionState(key.customKeyStoreId)) ?? 'DISCONNECTED', key.state);
  }

  view(accountId: string, region: string, clusterId: string): Promise<ClusterView | undefined> {
    return this.deps.clusters === undefined ? Promise.resolve(undefined) : this.deps.clusters.view(accountId, region, clusterId);
  }

  sealPassword(storeId: string, password: string): CustomKeyStoreRecord['sealedPassword'] {
    const sealed = this.deps.secrets.seal(storeId, password);
    const at = sealed.indexOf(':');
    return { domainKeyId: sealed.slice(0, at), wrapped: Buffer.from(sealed.slice(at + 1), 'base64') };
  }

  private password(s: CustomKeyStoreRecord): string {
    return this.deps.secrets.open(s.id, `${s.sealedPassword.domainKeyId}:${s.sealedPassword.wrapped.toString('base64')}`);
  }

  /**
   * The sessions of a CONNECTED store: this process's, or opened now with the sealed password.
   * KMSInvalidStateException when the store is not connected or its cluster refuses the login.
   */
  async sessionsFor(storeId: string): Promise<ClusterUserSessions> {
    const s = await this.get(storeId);
    if (s === undefined || s.state !== 'CONNECTED') {
      throw new KMSInvalidStateException(`Custom key store ${storeId} is not connected (${s?.state ?? 'deleted'}).`);
    }
    let open = this.sessions.get(storeId);
    if (open === undefined) {
      open = this.connect(s).then((c) => {
        if (!c.ok) throw new KMSInvalidStateException(`Custom key store ${storeId} cannot reach its cluster (${c.code}).`);
        return c.sessions;
      });
      this.sessions.set(storeId, open);
      open.catch(() => { if (this.sessions.get(storeId) === open) this.sessions.delete(storeId); });
    }
    return open;
  }

  private async connect(s: CustomKeyStoreRecord) {
    if (this.deps.clusters === undefined) return { ok: false as const, code: 'CLUSTER_NOT_FOUND' as const, message: 'no HSM cluster side' };
    return this.deps.clusters.connect(s.accountId, s.region, s.clusterId, KMS_USER, this.password(s));
  }

  /** Closes this process's sessions of a store (best effort). */
  async close(storeId: string): Promise<void> {
    const open = this.sessions.get(storeId);
    this.sessions.delete(storeId);
    if (open === undefined) return;
    try {
      await (await open).close();
    } catch {
      // Sessions that never opened, or a token gone: nothing left to close.
    }
  }

  private drop(id: string): void {
    const before = this.records.get(id);
    this.records.delete(id);
    // A store's record changed elsewhere: its sessions go unless it stays CONNECTED (they reopen lazily if so).
    void this.deps.repo.getCustomKeyStore(id).then((s) => {
      if (s === undefined || s.state !== 'CONNECTED' || before?.state !== 'CONNECTED') return this.close(id);
      return undefined;
    }, () => this.close(id));
  }

  /** This process's own commits (storage notifies it). */
  applyCommitted(changes: readonly Change[]): void {
    for (const c of changes) {
      if (c.kind === 'putCustomKeyStore') {
        const before = this.records.get(c.store.id);
        this.records.set(c.store.id, c.store);
        if (c.store.state !== 'CONNECTED' && before?.state === 'CONNECTED') void this.close(c.store.id);
      } else if (c.kind === 'deleteCustomKeyStore') {
        this.records.delete(c.id);
        void this.close(c.id);
      }
    }
  }

  /**
   * Destroys deleted keys' objects in their stores' tokens, best effort: a store not connected, or
   * a token away, leaves an orphan (its label a deleted key's ARN), as AWS warns.
   */
  async destroyTokenKeys(keys: readonly { readonly customKeyStoreId: string; readonly materialIds: readonly string[] }[]): Promise<void> {
    for (const k of keys) {
      for (const materialId of k.materialIds) {
        try {
          const sessions = await this.sessionsFor(k.customKeyStoreId);
          await sessions.destroy(tokenKeyRef(materialId));
        } catch (e) {
          this.deps.log.warn('a deleted key\'s token object was not destroyed (an orphan remains)', {
            customKeyStoreId: k.customKeyStoreId, materialId, cause: e instanceof Error ? e.message : String(e),
          });
        }
      }
    }
  }

  /**
   * Closes this process's sessions of the stores on this cluster (they reopen when next used): one
   * of its HSMs is being deleted, and its partitions cannot be wiped while a session is open on them.
   */
  async closeCluster(clusterId: string): Promise<void> {
    for (const id of [...this.sessions.keys()]) {
      if ((await this.get(id))?.clusterId === clusterId) await this.close(id);
    }
  }

  /** Closes every session of this process (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }

  /** TopicListener: another process changed a store. */
  invalidate(topics: readonly string[]): void {
    for (const t of topics) if (t.startsWith('custom-key-store:')) this.drop(t.slice('custom-key-store:'.length));
  }

  invalidateAll(): void {
    for (const id of [...this.records.keys(), ...this.sessions.keys()]) this.drop(id);
  }

  /** The connect/disconnect job: every due store's step; resolves with the number of steps committed. */
  async run(): Promise<number> {
    let steps = 0;
    for (const id of await this.deps.repo.customKeyStoresDue()) {
      try {
        if (await this.step(id)) steps++;
      } catch (e) {
        if (e instanceof StorageConflict) continue;
        this.deps.log.error('custom key store job failed', { customKeyStoreId: id, cause: e instanceof Error ? e.message : String(e) });
      }
    }
    await this.syncKeys();
    return steps;
  }

  /**
   * Brings every key of each CONNECTED store to every ACTIVE HSM of its cluster (ClusterUserSessions
   * .ensure unwraps a key's blob where it is missing), whenever the set of ACTIVE HSMs differs from
   * the one last brought up to date: an HSM added (a replacement for a lost one) receives every key.
   */
  private async syncKeys(): Promise<void> {
    const { materialsOf, clusters } = this.deps;
    if (materialsOf === undefined || clusters === undefined) return;
    for (const [id, record] of this.records) if (record.state !== 'CONNECTED') this.synced.delete(id);
    for (const id of await this.deps.repo.customKeyStoreIds()) {
      const s = await this.get(id);
      if (s === undefined || s.state !== 'CONNECTED') continue;
      const view = await clusters.view(s.accountId, s.region, s.clusterId);
      const active = (view?.activeHsms ?? []).map((h) => h.hsmId).sort();
      const hsms = active.join(',');
      if (hsms === '' || this.synced.get(id) === hsms) continue;
      try {
        const sessions = await this.sessionsFor(id);
        // Done only once every key is on as many HSMs as are ACTIVE (the sessions' own view of the
        // cluster may lag this one by a moment: then the next pass does it again).
        let everywhere = true;
        for (const m of await materialsOf(s)) {
          if (await sessions.ensure(tokenKeyRef(m.materialId), m.keyArn, m.blob) < active.length) everywhere = false;
        }
        if (everywhere) this.synced.set(id, hsms);
      } catch (e) {
        this.deps.log.warn('custom key store keys not yet on every HSM; retried at the next pass', { customKeyStoreId: id, cause: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  private async step(id: string): Promise<boolean> {
    const s = await this.deps.repo.getCustomKeyStore(id);
    if (s === undefined) return false;
    const put = async (next: Omit<CustomKeyStoreRecord, 'revision'>): Promise<void> => {
      await this.deps.commit([{ kind: 'putCustomKeyStore', store: { ...next, revision: s.revision + 1 }, expectRevision: s.revision }]);
    };
    if (s.state === 'DISCONNECTING') {
      await this.close(id);
      const { errorCode: _e, ...rest } = s;
      await put({ ...rest, state: 'DISCONNECTED' });
      return true;
    }
    if (s.state !== 'CONNECTING') return false;
    const c = await this.connect(s);
    if (!c.ok) {
      this.deps.log.warn('custom key store connection failed', { customKeyStoreId: id, code: c.code });
      await put({ ...s, state: 'FAILED', errorCode: c.code });
      return true;
    }
    try {
      const { errorCode: _e, ...rest } = s;
      await put({ ...rest, state: 'CONNECTED' });
    } catch (e) {
      await c.sessions.close().catch(() => undefined);
      throw e;
    }
    await this.close(id);
    this.sessions.set(id, Promise.resolve(c.sessions));
    return true;
  }
}

/** One request's view of the custom key stores: reads the committed records, records its writes in the request's change set. */
export class CustomKeyStoreSession {
  constructor(readonly service: CustomKeyStores, private readonly changes: Change[], private readonly kickJobs: () => void) {}

  /** The committed record, read fresh (a request decides on what storage holds, not on a cache). */
  get(id: string): Promise<CustomKeyStoreRecord | undefined> { return this.service.repo.getCustomKeyStore(id); }
  list(accountId: string, region: string): Promise<CustomKeyStoreRecord[]> { return this.service.repo.listCustomKeyStores(accountId, region); }

  /** Records the store's next revision, conditional on the one it carries (0: a new store). */
  put(store: CustomKeyStoreRecord, from: number): CustomKeyStoreRecord {
    const next = { ...store, revision: from + 1 };
    this.changes.push({ kind: 'putCustomKeyStore', store: next, expectRevision: from });
    return next;
  }

  delete(store: CustomKeyStoreRecord): void {
    this.changes.push({ kind: 'deleteCustomKeyStore', id: store.id, expectRevision: store.revision });
  }

  /** Asks the job runner to run soon (after this call's change set is committed). */
  kick(): void { this.kickJobs(); }
}
