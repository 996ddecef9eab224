/**
 * The keyring: resolves key references, keeps key records and unwrapped key material in memory
 * (the Encrypt/Decrypt path reads no disk on a warm cache), and applies every change through a
 * repository transaction first and the cache second, so the cache never shows what is not durable.
 */
import { NotFoundException } from '../errors/kms-errors.ts';
import { StorageFault } from '../errors/storage-fault.ts';
import { aliasArn, keyArn, parseKmsArn, type Scope } from '../core/arn.ts';
import { isKeyId } from '../core/ids.ts';
import { zero } from '../crypto/bytes.ts';
import type { Clock } from '../core/clock.ts';
import type { KeyRecord, MaterialRecord } from '../domain/key.ts';
import type { GrantRecord } from '../domain/grant.ts';
import { grantSet, grantsFor, withGrant, withoutGrant, type GrantSet } from '../domain/grant-set.ts';
import type { AliasRecord, KeyRepository } from '../ports/key-repository.ts';
import type { KeyStore } from '../ports/key-store.ts';

export interface ResolveOptions {
  /** Alias names and alias ARNs are accepted (crypto operations and DescribeKey). */
  readonly aliases: boolean;
}

export class Keyring {
  private readonly keys = new Map<string, KeyRecord>();
  private readonly materials = new Map<string, readonly MaterialRecord[]>();
  private readonly plaintext = new Map<string, Buffer>();
  private readonly aliasTargets = new Map<string, string>();
  private readonly idIndex = new Map<string, string>();
  private readonly grantsByKey = new Map<string, GrantSet>();
  private readonly aliasesByKey = new Map<string, readonly string[]>();
  /** Key-record and key-material lookups answered from memory / from the repository (metrics). */
  cacheHits = 0;
  cacheMisses = 0;

  constructor(
    readonly repo: KeyRepository,
    readonly store: KeyStore,
    readonly clock: Clock,
  ) {}

  /** Finds the key a KeyId parameter names, in the caller's scope, or throws NotFoundException. */
  resolve(scope: Scope, ref: string, opts: ResolveOptions): KeyRecord {
    let arn: string;
    if (ref.startsWith('arn:')) {
      const p = parseKmsArn(ref);
      if (!p || p.partition !== scope.partition) throw new NotFoundException(`Invalid arn ${ref}`);
      if (p.region !== scope.region) throw new NotFoundException(`Invalid arn ${p.region}`);
      if (p.resourceType === 'alias') {
        if (!opts.aliases) throw new NotFoundException(`Invalid keyId '${ref}'`);
        arn = this.aliasTarget({ ...scope, accountId: p.accountId }, p.resource);
      } else {
        if (!isKeyId(p.resource)) throw new NotFoundException(`Invalid keyId '${p.resource}'`);
        arn = ref;
      }
    } else if (ref.startsWith('alias/')) {
      if (!opts.aliases) throw new NotFoundException(`Invalid keyId '${ref}'`);
      arn = this.aliasTarget(scope, ref);
    } else {
      if (!isKeyId(ref)) throw new NotFoundException(`Invalid keyId '${ref}'`);
      arn = keyArn(scope, ref);
    }
    const key = this.get(arn);
    if (!key) throw new NotFoundException(`Key '${arn}' does not exist`);
    return key;
  }

  get(arn: string): KeyRecord | undefined {
    const hit = this.keys.get(arn);
    if (hit) { this.cacheHits++; return hit; }
    this.cacheMisses++;
    const k = this.repo.getKey(arn);
    if (k) this.keys.set(arn, k);
    return k;
  }

  /**
   * The key a ciphertext names: key ids are unique, so the id and the region find it. A miss is
   * cross-checked through the key's ARN in the caller's own account (another index): a key found
   * that way but not by its id means the id index is damaged, a storage fault, not a ciphertext
   * the client got wrong.
   */
  byKeyId(keyId: string, scope: Scope): KeyRecord | undefined {
    const cacheKey = `${scope.region}|${keyId}`;
    const arn = this.idIndex.get(cacheKey) ?? this.repo.findKeyArn(keyId, scope.region);
    if (arn === undefined) {
      if (isKeyId(keyId) && this.repo.getKey(keyArn(scope, keyId)) !== undefined) {
        throw new StorageFault(`key ${keyArn(scope, keyId)} exists but its key id is missing from the key-id index: the database is damaged (a full integrity check names it; REINDEX repairs it)`);
      }
      return undefined;
    }
    this.idIndex.set(cacheKey, arn);
    return this.get(arn);
  }

  private aliasTarget(scope: Scope, name: string): string {
    const cacheKey = `${scope.accountId}/${scope.region}/${name}`;
    const hit = this.aliasTargets.get(cacheKey);
    if (hit) return hit;
    const a = this.repo.getAlias(scope.accountId, scope.region, name);
    if (!a) throw new NotFoundException(`Alias ${aliasArn(scope, name)} is not found.`);
    this.aliasTargets.set(cacheKey, a.targetKeyArn);
    return a.targetKeyArn;
  }

  materialsOf(arn: string): readonly MaterialRecord[] {
    const hit = this.materials.get(arn);
    if (hit) return hit;
    const list = this.repo.getMaterials(arn);
    this.materials.set(arn, list);
    return list;
  }

  /**
   * The unwrapped material of one key version (an AES backing key, an HMAC key or a PKCS#8 private
   * key), or undefined when the key has no such version. Cached; zeroed when the key is forgotten.
   * Callers must not modify or keep the buffer.
   */
  backingKey(key: KeyRecord, materialId: string): Buffer | undefined {
    const id = `${key.arn}|${materialId}`;
    const hit = this.plaintext.get(id);
    if (hit) { this.cacheHits++; return hit; }
    this.cacheMisses++;
    const m = this.materialsOf(key.arn).find((x) => x.materialId === materialId);
    if (!m) return undefined;
    const pt = this.store.unwrap(key.arn, m.materialId, m);
    this.plaintext.set(id, pt);
    return pt;
  }

  /** The unwrapped material of the key's current version (see backingKey). */
  currentMaterial(key: KeyRecord): Buffer {
    const material = this.backingKey(key, key.currentMaterialId);
    if (!material) throw new Error(`key ${key.arn} has no current material`);
    return material;
  }

  /** A key's grants, loaded once (a key may have 50,000) and then kept up to date by putGrant/deleteGrant. */
  private grantSetOf(arn: string): GrantSet {
    const hit = this.grantsByKey.get(arn);
    if (hit) return hit;
    const all: GrantRecord[] = [];
    for (let page = this.repo.listGrants(arn, undefined, 1000); page.length > 0; page = this.repo.listGrants(arn, page.at(-1)?.grantId, 1000)) {
      all.push(...page);
    }
    const set = grantSet(all);
    this.grantsByKey.set(arn, set);
    return set;
  }

  /** Every grant on a key, in grant-id order (cached). */
  grantsOf(arn: string): readonly GrantRecord[] {
    return this.grantSetOf(arn).all;
  }

  /** The grants on a key whose grantee is one of `principals` (authorization, on the hot path). */
  grantsFor(arn: string, principals: readonly string[]): readonly GrantRecord[] {
    return grantsFor(this.grantSetOf(arn), principals);
  }

  /** Stores the grant, then updates a cached set rather than dropping it (a reload of 50,000 grants took 0.3-0.8 s). */
  putGrant(g: GrantRecord): void {
    this.repo.transaction(() => this.repo.putGrant(g));
    const set = this.grantsByKey.get(g.keyArn);
    if (set) this.grantsByKey.set(g.keyArn, withGrant(set, g));
  }

  deleteGrant(g: GrantRecord): void {
    this.repo.transaction(() => this.repo.deleteGrant(g.grantId));
    const set = this.grantsByKey.get(g.keyArn);
    if (set) this.grantsByKey.set(g.keyArn, withoutGrant(set, g.grantId));
  }

  /** The alias names that point to a key (kms:ResourceAliases), cached. */
  aliasesOf(key: KeyRecord): readonly string[] {
    const hit = this.aliasesByKey.get(key.arn);
    if (hit) return hit;
    const names: string[] = [];
    for (let page = this.repo.listAliases(key.accountId, key.region, key.arn, undefined, 100); page.length > 0;
      page = this.repo.listAliases(key.accountId, key.region, key.arn, page.at(-1)?.name, 100)) {
      names.push(...page.map((a) => a.name));
    }
    this.aliasesByKey.set(key.arn, names);
    return names;
  }

  /** Creates a key with its materials (none for an EXTERNAL key) in one transaction. */
  create(key: KeyRecord, materials: readonly MaterialRecord[]): KeyRecord {
    this.repo.transaction(() => {
      this.repo.putKey(key);
      for (const m of materials) this.repo.putMaterial(m);
    });
    this.keys.set(key.arn, key);
    this.materials.delete(key.arn);
    return key;
  }

  /** Reads the durable record, applies `change`, stores it; `extra` runs in the same transaction. */
  update(arn: string, change: (k: KeyRecord) => KeyRecord, extra?: (k: KeyRecord) => void): KeyRecord {
    const next = this.repo.transaction(() => {
      const current = this.repo.getKey(arn);
      if (!current) throw new NotFoundException(`Key '${arn}' does not exist`);
      const updated = change(current);
      this.repo.putKey(updated);
      extra?.(updated);
      return updated;
    });
    this.keys.set(arn, next);
    this.materials.delete(arn);
    return next;
  }

  /**
   * update() for several keys at once (a multi-Region key's set): every record is re-read, changed
   * and stored, and `extra` runs, in one transaction.
   */
  updateAll(arns: readonly string[], change: (k: KeyRecord) => KeyRecord, extra?: (updated: readonly KeyRecord[]) => void): KeyRecord[] {
    const next = this.repo.transaction(() => {
      const updated = arns.map((arn) => {
        const current = this.repo.getKey(arn);
        if (!current) throw new NotFoundException(`Key '${arn}' does not exist`);
        const k = change(current);
        this.repo.putKey(k);
        return k;
      });
      extra?.(updated);
      return updated;
    });
    for (const k of next) {
      this.keys.set(k.arn, k);
      this.materials.delete(k.arn);
    }
    return next;
  }

  /** Zeroes and drops the cached plaintext of one material (deleted or expired imported material). */
  forgetMaterial(arn: string, materialId: string): void {
    const id = `${arn}|${materialId}`;
    zero(this.plaintext.get(id));
    this.plaintext.delete(id);
    this.materials.delete(arn);
  }

  /** Destroys a key: record, every material, aliases and usage, then the cached plaintext. */
  destroy(arn: string): void {
    this.repo.transaction(() => this.repo.deleteKey(arn));
    this.forget(arn);
  }

  putAlias(a: AliasRecord): void {
    this.repo.transaction(() => this.repo.putAlias(a));
    this.aliasTargets.clear();
    this.aliasesByKey.clear();
  }

  deleteAlias(accountId: string, region: string, name: string): void {
    this.repo.transaction(() => this.repo.deleteAlias(accountId, region, name));
    this.aliasTargets.clear();
    this.aliasesByKey.clear();
  }

  private forget(arn: string): void {
    this.keys.delete(arn);
    this.materials.delete(arn);
    for (const [id, buf] of this.plaintext) {
      if (id.startsWith(`${arn}|`)) {
        zero(buf);
        this.plaintext.delete(id);
      }
    }
    this.aliasTargets.clear();
    this.aliasesByKey.clear();
    this.grantsByKey.delete(arn);
    for (const [id, a] of this.idIndex) if (a === arn) this.idIndex.delete(id);
  }

  /**
   * Drops every cached record and zeroes every cached plaintext, so that the next read comes from
   * the repository: for when an enclosing transaction rolled back after the cache was updated.
   */
  invalidate(): void {
    for (const b of this.plaintext.values()) zero(b);
    for (const m of [this.keys, this.materials, this.plaintext, this.aliasTargets, this.idIndex, this.grantsByKey, this.aliasesByKey]) m.clear();
  }

  close(): void {
    for (const b of this.plaintext.values()) zero(b);
    this.plaintext.clear();
  }
}
