/**
 * One request's view of the keys: it reads the committed state through the shared keyring (and
 * its caches), records the request's writes in the request's change set (its unit of work), and
 * lets the request read what it wrote (a key, a material, an alias or a grant it put or removed).
 * Nothing is stored until the pipeline commits the change set with the call's audit record; a
 * request that fails leaves no trace in storage or in any cache.
 */
import { NotFoundException } from '../errors/kms-errors.ts';
import { aliasArn, type Scope } from '../core/arn.ts';
import type { Clock } from '../core/clock.ts';
import type { KeyRecord, MaterialRecord } from '../domain/key.ts';
import type { KeyState } from '../domain/key-states.ts';
import type { GrantRecord } from '../domain/grant.ts';
import type { AliasRecord, KeyRepository, KeyUsageRecord } from '../ports/key-repository.ts';
import type { KeyStore, MaterialRef } from '../ports/key-store.ts';
import type { KeyOperation, KeyOperationResult } from '../domain/key-operation.ts';
import type { UnitOfWork } from '../ports/changes.ts';
import { arnOf, referenceOf, type Keyring, type ResolveOptions } from './keyring.ts';

export type { UnitOfWork } from '../ports/changes.ts';

export const newUnitOfWork = (): UnitOfWork => ({ changes: [] });

const aliasKey = (accountId: string, region: string, name: string): string => `${accountId}/${region}/${name}`;

/** What one request wrote, for its own reads. */
class Writes {
  /** Keys put (a record) or removed (null) by this request. */
  readonly keys = new Map<string, KeyRecord | null>();
  readonly addedMaterials = new Map<string, MaterialRecord[]>();
  readonly removedMaterials = new Set<string>();
  /** Aliases put (the record) or removed (null) by this request, by account, region and name. */
  readonly aliases = new Map<string, { readonly accountId: string; readonly region: string; readonly name: string; readonly alias: AliasRecord | null }>();
  readonly grants = new Map<string, GrantRecord | null>();
}

const NONE = new Writes();

export class KeySession {
  /** Made at the first write: most requests (Encrypt, Decrypt, …) write nothing. */
  private written: Writes | undefined;
  /** For reads: the request's writes, or an empty set that is never written to. */
  private get mine(): Writes { return this.written ?? NONE; }
  /** For writes. */
  private get writes(): Writes { return (this.written ??= new Writes()); }

  constructor(private readonly keyring: Keyring, private readonly uow: UnitOfWork) {}

  get repo(): KeyRepository { return this.keyring.repo; }
  get store(): KeyStore { return this.keyring.store; }
  get clock(): Clock { return this.keyring.clock; }

  /** The key's state as shown and checked (Unavailable for a key of a disconnected custom key store). */
  async stateOf(key: KeyRecord): Promise<KeyState> { return this.keyring.stateOf(key); }

  // ---- reads (what is committed, and what this request wrote)

  resolve(scope: Scope, ref: string, opts: ResolveOptions): Promise<KeyRecord> {
    // The hot path (Encrypt, Decrypt, … by key id or ARN, the key cached, nothing written yet)
    // answers without a chain of awaits; every other case takes the general path.
    if (this.written === undefined) {
      let r: ReturnType<typeof referenceOf>;
      try {
        r = referenceOf(scope, ref, opts);
      } catch (e) {
        return Promise.reject(e);
      }
      const hit = 'arn' in r ? this.keyring.cachedKey(r.arn) : undefined;
      if (hit !== undefined) return Promise.resolve(hit);
    }
    return this.resolveRead(scope, ref, opts);
  }

  private async resolveRead(scope: Scope, ref: string, opts: ResolveOptions): Promise<KeyRecord> {
    const arn = await arnOf(scope, ref, opts, (s, name) => this.aliasTarget(s, name));
    const key = await this.get(arn);
    if (!key) throw new NotFoundException(`Key '${arn}' does not exist`);
    return key;
  }

  async get(arn: string): Promise<KeyRecord | undefined> {
    const mine = this.mine.keys.get(arn);
    if (mine !== undefined) return mine ?? undefined;
    return this.keyring.get(arn);
  }

  byKeyId(keyId: string, scope: Scope): Promise<KeyRecord | undefined> {
    return this.keyring.byKeyId(keyId, scope);
  }

  private async aliasTarget(scope: Scope, name: string): Promise<string> {
    const mine = this.mine.aliases.get(aliasKey(scope.accountId, scope.region, name));
    if (mine === undefined) return this.keyring.aliasTarget(scope, name);
    if (mine.alias === null) throw new NotFoundException(`Alias ${aliasArn(scope, name)} is not found.`);
    return mine.alias.targetKeyArn;
  }

  async getAlias(accountId: string, region: string, name: string): Promise<AliasRecord | undefined> {
    const mine = this.mine.aliases.get(aliasKey(accountId, region, name));
    if (mine !== undefined) return mine.alias ?? undefined;
    return this.keyring.repo.getAlias(accountId, region, name);
  }

  /** How many aliases name the key, counting this request's own changes. */
  async countAliases(targetKeyArn: string): Promise<number> {
    let n = await this.keyring.repo.countAliases(targetKeyArn);
    for (const a of this.mine.aliases.values()) {
      const before = await this.keyring.repo.getAlias(a.accountId, a.region, a.name);
      if (before?.targetKeyArn === targetKeyArn) n--;
      if (a.alias?.targetKeyArn === targetKeyArn) n++;
    }
    return n;
  }

  async materialsOf(arn: string): Promise<readonly MaterialRecord[]> {
    if (this.mine.keys.get(arn) === null) return [];
    const committed = await this.keyring.materialsOf(arn);
    const added = this.mine.addedMaterials.get(arn) ?? [];
    if (added.length === 0 && this.mine.removedMaterials.size === 0) return committed;
    return [...committed.filter((m) => !this.mine.removedMaterials.has(`${arn}|${m.materialId}`)), ...added];
  }

  /** Where a version of the key's material is, or undefined when the key has no such version. */
  async materialRef(key: KeyRecord, materialId: string): Promise<MaterialRef | undefined> {
    return (await this.materialsOf(key.arn)).find((m) => m.materialId === materialId);
  }

  /**
   * Has the key store perform `op` with one version of the key's material (its current one by
   * default); undefined when the key has no such version.
   */
  perform<O extends KeyOperation>(key: KeyRecord, op: O, materialId = key.currentMaterialId): Promise<KeyOperationResult<O> | undefined> {
    const cached = this.written === undefined ? this.keyring.cachedMaterials(key.arn) : undefined;
    if (cached !== undefined) {
      const ref = cached.find((m) => m.materialId === materialId);
      return ref === undefined ? Promise.resolve(undefined) : this.keyring.store.perform(ref, op);
    }
    return this.performRead(key, op, materialId);
  }

  private async performRead<O extends KeyOperation>(key: KeyRecord, op: O, materialId: string): Promise<KeyOperationResult<O> | undefined> {
    const ref = await this.materialRef(key, materialId);
    return ref === undefined ? undefined : this.keyring.store.perform(ref, op);
  }

  /** perform() with the current version, which every enabled key has. */
  async performCurrent<O extends KeyOperation>(key: KeyRecord, op: O): Promise<KeyOperationResult<O>> {
    const r = await this.perform(key, op);
    if (r === undefined) throw new Error(`key ${key.arn} has no current material`);
    return r;
  }

  grantsOf(arn: string): Promise<readonly GrantRecord[]> {
    return this.keyring.grantsOf(arn);
  }

  grantsFor(arn: string, principals: readonly string[]): Promise<readonly GrantRecord[]> {
    return this.keyring.grantsFor(arn, principals);
  }

  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    const mine = this.mine.grants.get(grantId);
    if (mine !== undefined) return mine ?? undefined;
    return this.keyring.repo.getGrant(grantId);
  }

  async countGrants(keyArn: string): Promise<number> {
    let n = await this.keyring.repo.countGrants(keyArn);
    for (const [id, g] of this.mine.grants) {
      const before = await this.keyring.repo.getGrant(id);
      if (before?.keyArn === keyArn) n--;
      if (g?.keyArn === keyArn) n++;
    }
    return n;
  }

  aliasesOf(key: KeyRecord): Promise<readonly string[]> {
    return this.keyring.aliasesOf(key);
  }

  /** Every key of an account with this key id (a multi-Region set), with this request's changes. */
  async keysWithKeyId(accountId: string, keyId: string): Promise<KeyRecord[]> {
    const committed = await this.keyring.repo.keysWithKeyId(accountId, keyId);
    const out = committed.map((k) => (this.mine.keys.has(k.arn) ? this.mine.keys.get(k.arn) : k)).filter((k): k is KeyRecord => k !== null && k !== undefined);
    for (const [arn, k] of this.mine.keys) if (k && k.accountId === accountId && k.keyId === keyId && !committed.some((c) => c.arn === arn)) out.push(k);
    return out;
  }

  // ---- writes (recorded; stored when the pipeline commits)

  /**
   * Creates a key with its materials (none for an EXTERNAL key). The key must not exist yet: if
   * another writer created it meanwhile (a replica of the same key), the commit fails with
   * StorageConflict and the pipeline runs the request again on fresh state.
   */
  create(key: KeyRecord, materials: readonly MaterialRecord[]): KeyRecord {
    const { revision: _, ...fresh } = key;
    const put = this.put(fresh);
    for (const m of materials) this.putMaterial(m);
    return put;
  }

  /**
   * Records a key's new record, made from the revision it carries (the one this request read; none:
   * a new key). The record stored carries the next revision, and storage refuses the change when
   * the stored revision has moved meanwhile: no writer's update is lost.
   */
  put(key: KeyRecord): KeyRecord {
    const from = key.revision ?? 0;
    const next: KeyRecord = { ...key, revision: from + 1 };
    this.writes.keys.set(next.arn, next);
    this.uow.changes.push({ kind: 'putKey', key: next, expectRevision: from });
    return next;
  }

  /** Reads the key (as this request sees it), applies `change`, records the result. */
  async update(arn: string, change: (k: KeyRecord) => KeyRecord): Promise<KeyRecord> {
    const current = await this.get(arn);
    if (!current) throw new NotFoundException(`Key '${arn}' does not exist`);
    return this.put(change(current));
  }

  /** update() for several keys at once (a multi-Region key's set). */
  async updateAll(arns: readonly string[], change: (k: KeyRecord) => KeyRecord): Promise<KeyRecord[]> {
    const updated: KeyRecord[] = [];
    for (const arn of arns) updated.push(await this.update(arn, change));
    return updated;
  }

  /** Destroys a key: record, every material, aliases, grants and usage. */
  destroy(arn: string): void {
    this.writes.keys.set(arn, null);
    this.writes.addedMaterials.delete(arn);
    this.uow.changes.push({ kind: 'deleteKey', arn });
  }

  putMaterial(m: MaterialRecord): void {
    const list = this.mine.addedMaterials.get(m.keyArn);
    if (list) list.push(m);
    else this.writes.addedMaterials.set(m.keyArn, [m]);
    this.uow.changes.push({ kind: 'putMaterial', material: m });
  }

  deleteMaterial(keyArn: string, materialId: string): void {
    this.writes.removedMaterials.add(`${keyArn}|${materialId}`);
    const list = this.mine.addedMaterials.get(keyArn);
    if (list) this.writes.addedMaterials.set(keyArn, list.filter((m) => m.materialId !== materialId));
    this.uow.changes.push({ kind: 'deleteMaterial', keyArn, materialId });
  }

  /** `expect`: the alias must not exist yet (CreateAlias) or must still exist (UpdateAlias) when the change commits. */
  putAlias(a: AliasRecord, expect?: 'absent' | 'present'): void {
    this.writes.aliases.set(aliasKey(a.accountId, a.region, a.name), { accountId: a.accountId, region: a.region, name: a.name, alias: a });
    this.uow.changes.push({ kind: 'putAlias', alias: a, ...(expect !== undefined ? { expect } : {}) });
  }

  deleteAlias(accountId: string, region: string, name: string): void {
    this.writes.aliases.set(aliasKey(accountId, region, name), { accountId, region, name, alias: null });
    this.uow.changes.push({ kind: 'deleteAlias', accountId, region, name });
  }

  putGrant(g: GrantRecord): void {
    this.writes.grants.set(g.grantId, g);
    this.uow.changes.push({ kind: 'putGrant', grant: g });
  }

  deleteGrant(g: GrantRecord): void {
    this.writes.grants.set(g.grantId, null);
    this.uow.changes.push({ kind: 'deleteGrant', grant: g });
  }

  putUsage(records: readonly KeyUsageRecord[]): void {
    if (records.length > 0) this.uow.changes.push({ kind: 'putUsage', records });
  }
}
