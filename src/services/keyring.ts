/**
 * The keyring: the committed state of keys, read through the KeyRepository port and kept in
 * memory (the Encrypt/Decrypt path reads no disk on a warm cache): key records, their materials,
 * alias targets, grants. The material itself stays in the key store, which performs operations
 * with it (`KeySession.perform`). It never writes: a request records its writes in
 * its own KeySession (key-session.ts), and the keyring learns of them only once they committed
 * (`applyCommitted`), so the cache never shows what is not durable.
 */
import type { KeyState } from '../domain/key-states.ts';
import { NotFoundException } from '../errors/kms-errors.ts';
import { StorageFault } from '../errors/storage-fault.ts';
import { aliasArn, keyArn, parseKmsArn, type Scope } from '../core/arn.ts';
import { isKeyId } from '../core/ids.ts';
import type { Clock } from '../core/clock.ts';
import type { KeyRecord, MaterialRecord } from '../domain/key.ts';
import type { GrantRecord } from '../domain/grant.ts';
import { grantSet, grantsFor, withGrant, withoutGrant, type GrantSet } from '../domain/grant-set.ts';
import type { KeyRepository } from '../ports/key-repository.ts';
import type { KeyStore } from '../ports/key-store.ts';
import type { Change } from '../ports/changes.ts';

export interface ResolveOptions {
  /** Alias names and alias ARNs are accepted (crypto operations and DescribeKey). */
  readonly aliases: boolean;
}

/**
 * Where a key reference points, before the key record is read: the key's ARN, or the alias that
 * names it (which needs a read). Throws NotFoundException for a reference that cannot name a key.
 */
export function referenceOf(scope: Scope, ref: string, opts: ResolveOptions): { readonly arn: string } | { readonly alias: { readonly scope: Scope; readonly name: string } } {
  if (ref.startsWith('arn:')) {
    const p = parseKmsArn(ref);
    if (!p || p.partition !== scope.partition) throw new NotFoundException(`Invalid arn ${ref}`);
    if (p.region !== scope.region) throw new NotFoundException(`Invalid arn ${p.region}`);
    if (p.resourceType === 'alias') {
      if (!opts.aliases) throw new NotFoundException(`Invalid keyId '${ref}'`);
      return { alias: { scope: { ...scope, accountId: p.accountId }, name: p.resource } };
    }
    if (!isKeyId(p.resource)) throw new NotFoundException(`Invalid keyId '${p.resource}'`);
    return { arn: ref };
  }
  if (ref.startsWith('alias/')) {
    if (!opts.aliases) throw new NotFoundException(`Invalid keyId '${ref}'`);
    return { alias: { scope, name: ref } };
  }
  if (!isKeyId(ref)) throw new NotFoundException(`Invalid keyId '${ref}'`);
  return { arn: keyArn(scope, ref) };
}

/** The key ARN a reference names, reading the alias when it is one. */
export async function arnOf(scope: Scope, ref: string, opts: ResolveOptions, aliasTarget: (scope: Scope, name: string) => Promise<string>): Promise<string> {
  const r = referenceOf(scope, ref, opts);
  return 'arn' in r ? r.arn : aliasTarget(r.alias.scope, r.alias.name);
}

export class Keyring {
  private readonly keys = new Map<string, KeyRecord>();
  private readonly materials = new Map<string, readonly MaterialRecord[]>();
  private readonly aliasTargets = new Map<string, string>();
  private readonly idIndex = new Map<string, string>();
  private readonly grantsByKey = new Map<string, GrantSet>();
  private readonly aliasesByKey = new Map<string, readonly string[]>();
  /** Key-record and key-material lookups answered from memory / from the repository (metrics). */
  cacheHits = 0;
  cacheMisses = 0;

  /**
   * The state a key shows when it differs from its record's (a key of a custom key store that is
   * not connected shows Unavailable: services/custom-key-stores.ts). Set by the composition root.
   */
  shownState: ((key: KeyRecord) => Promise<KeyState>) | undefined;

  constructor(
    readonly repo: KeyRepository,
    readonly store: KeyStore,
    readonly clock: Clock,
  ) {}

  /** The key's state as KMS shows it and checks it (never written back). */
  stateOf(key: KeyRecord): Promise<KeyState> | KeyState {
    return key.customKeyStoreId === undefined || this.shownState === undefined ? key.state : this.shownState(key);
  }

  /** Finds the key a KeyId parameter names, in the caller's scope, or throws NotFoundException. */
  async resolve(scope: Scope, ref: string, opts: ResolveOptions): Promise<KeyRecord> {
    const arn = await arnOf(scope, ref, opts, (s, name) => this.aliasTarget(s, name));
    const key = await this.get(arn);
    if (!key) throw new NotFoundException(`Key '${arn}' does not exist`);
    return key;
  }

  /** The cached record of a key, without a read (the hot path's shortcut; get() reads on a miss). */
  cachedKey(arn: string): KeyRecord | undefined {
    const hit = this.keys.get(arn);
    if (hit) this.cacheHits++;
    return hit;
  }

  /** The cached versions of a key's material, without a read. */
  cachedMaterials(arn: string): readonly MaterialRecord[] | undefined {
    return this.materials.get(arn);
  }

  async get(arn: string): Promise<KeyRecord | undefined> {
    const hit = this.keys.get(arn);
    if (hit) { this.cacheHits++; return hit; }
    this.cacheMisses++;
    const k = await this.repo.getKey(arn);
    if (k) this.keys.set(arn, k);
    return k;
  }

  /**
   * The key a ciphertext names: key ids are unique, so the id and the region find it. A miss is
   * cross-checked through the key's ARN in the caller's own account (another index): a key found
   * that way but not by its id means the id index is damaged, a storage fault, not a ciphertext
   * the client got wrong.
   */
  async byKeyId(keyId: string, scope: Scope): Promise<KeyRecord | undefined> {
    const cacheKey = `${scope.region}|${keyId}`;
    const arn = this.idIndex.get(cacheKey) ?? await this.repo.findKeyArn(keyId, scope.region);
    if (arn === undefined) {
      if (isKeyId(keyId) && await this.repo.getKey(keyArn(scope, keyId)) !== undefined) {
        throw new StorageFault(`key ${keyArn(scope, keyId)} exists but its key id is missing from the key-id index: the database is damaged (a full integrity check names it; REINDEX repairs it)`);
      }
      return undefined;
    }
    this.idIndex.set(cacheKey, arn);
    return this.get(arn);
  }

  async aliasTarget(scope: Scope, name: string): Promise<string> {
    const cacheKey = `${scope.accountId}/${scope.region}/${name}`;
    const hit = this.aliasTargets.get(cacheKey);
    if (hit) return hit;
    const a = await this.repo.getAlias(scope.accountId, scope.region, name);
    if (!a) throw new NotFoundException(`Alias ${aliasArn(scope, name)} is not found.`);
    this.aliasTargets.set(cacheKey, a.targetKeyArn);
    return a.targetKeyArn;
  }

  async materialsOf(arn: string): Promise<readonly MaterialRecord[]> {
    const hit = this.materials.get(arn);
    if (hit) return hit;
    const list = await this.repo.getMaterials(arn);
    this.materials.set(arn, list);
    return list;
  }

  /** A key's grants, loaded once (a key may have 50,000) and then kept up to date as grants commit. */
  private async grantSetOf(arn: string): Promise<GrantSet> {
    const hit = this.grantsByKey.get(arn);
    if (hit) return hit;
    const all: GrantRecord[] = [];
    for (let page = await this.repo.listGrants(arn, undefined, 1000); page.length > 0; page = await this.repo.listGrants(arn, page.at(-1)?.grantId, 1000)) {
      all.push(...page);
    }
    const set = grantSet(all);
    this.grantsByKey.set(arn, set);
    return set;
  }

  /** Every grant on a key, in grant-id order (cached). */
  async grantsOf(arn: string): Promise<readonly GrantRecord[]> {
    return (await this.grantSetOf(arn)).all;
  }

  /** The grants on a key whose grantee is one of `principals` (authorization, on the hot path). */
  async grantsFor(arn: string, principals: readonly string[]): Promise<readonly GrantRecord[]> {
    return grantsFor(await this.grantSetOf(arn), principals);
  }

  /** The alias names that point to a key (kms:ResourceAliases), cached. */
  async aliasesOf(key: KeyRecord): Promise<readonly string[]> {
    const hit = this.aliasesByKey.get(key.arn);
    if (hit) return hit;
    const names: string[] = [];
    for (let page = await this.repo.listAliases(key.accountId, key.region, key.arn, undefined, 100); page.length > 0;
      page = await this.repo.listAliases(key.accountId, key.region, key.arn, page.at(-1)?.name, 100)) {
      names.push(...page.map((a) => a.name));
    }
    this.aliasesByKey.set(key.arn, names);
    return names;
  }

  /**
   * Brings the caches up to what a commit made durable (a request's change set, or another
   * writer's notice): records replaced, materials re-read, plaintext of removed material zeroed.
   */
  applyCommitted(changes: readonly Change[]): void {
    for (const c of changes) {
      switch (c.kind) {
        case 'putKey':
          this.keys.set(c.key.arn, c.key);
          this.materials.delete(c.key.arn);
          break;
        case 'deleteKey':
          this.forget(c.arn);
          break;
        case 'putMaterial':
          this.materials.delete(c.material.keyArn);
          break;
        case 'deleteMaterial':
          this.store.forget(c.keyArn, c.materialId);
          this.materials.delete(c.keyArn);
          break;
        case 'putAlias':
        case 'deleteAlias':
          this.aliasTargets.clear();
          this.aliasesByKey.clear();
          break;
        case 'putGrant': {
          // A cached set is updated in place of a reload (a reload of 50,000 grants took 0.3-0.8 s).
          const set = this.grantsByKey.get(c.grant.keyArn);
          if (set) this.grantsByKey.set(c.grant.keyArn, withGrant(set, c.grant));
          break;
        }
        case 'deleteGrant': {
          const set = this.grantsByKey.get(c.grant.keyArn);
          if (set) this.grantsByKey.set(c.grant.keyArn, withoutGrant(set, c.grant.grantId));
          break;
        }
        default:
          break;
      }
    }
  }

  /** Drops what another writer's notice names (services/coherence.ts topics). */
  invalidate(topics: readonly string[]): void {
    for (const t of topics) {
      const colon = t.indexOf(':');
      const kind = colon < 0 ? t : t.slice(0, colon);
      const arn = colon < 0 ? '' : t.slice(colon + 1);
      switch (kind) {
        case 'key':
          this.keys.delete(arn);
          this.materials.delete(arn);
          break;
        case 'key-deleted':
          this.forget(arn);
          break;
        case 'material-deleted':
          this.store.forget(arn);
          break;
        case 'grant':
          this.grantsByKey.delete(arn);
          break;
        case 'alias':
          this.aliasTargets.clear();
          this.aliasesByKey.clear();
          break;
        default:
          break;
      }
    }
  }

  /** Drops every cached record (notices may have been missed); unwrapped material stays (its versions never change). */
  invalidateAll(): void {
    this.keys.clear();
    this.materials.clear();
    this.aliasTargets.clear();
    this.aliasesByKey.clear();
    this.grantsByKey.clear();
    this.idIndex.clear();
  }

  private forget(arn: string): void {
    this.keys.delete(arn);
    this.materials.delete(arn);
    this.store.forget(arn);
    this.aliasTargets.clear();
    this.aliasesByKey.clear();
    this.grantsByKey.delete(arn);
    for (const [id, a] of this.idIndex) if (a === arn) this.idIndex.delete(id);
  }

}
