/**
 * Who an access key id belongs to: the credential resolver every SigV4 lookup goes through, and
 * the identity policies that govern a caller.
 *
 * - The default account's root key comes from configuration (root-credentials.json or the
 *   environment); other accounts' root keys and IAM users' keys from the identity repository.
 * - ASIA… ids are STS role sessions: they carry the SHA-256 of their session token and their
 *   expiration, which the authenticator checks against the `X-Amz-Security-Token` header and the
 *   domain clock.
 * - An inactive key resolves with `active: false`; the authenticator treats it as unknown.
 */
import type { Caller } from '../domain/principal.ts';
import { assumedRoleArn, rootArn, tagsToRecord, type SessionRecord, type UserRecord } from '../domain/identity.ts';
import type { IdentityRepository } from '../ports/identity-repository.ts';
import type { Change } from '../ports/changes.ts';

export interface ResolvedAccessKey {
  readonly secretAccessKey: string;
  readonly caller: Caller;
  /** Session credentials only: SHA-256 of the session token. */
  readonly sessionTokenHash?: Buffer;
  /** Session credentials only: epoch ms on the domain clock. */
  readonly expiration?: number;
  readonly active: boolean;
}

export interface RootKey {
  readonly accountId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export const rootCaller = (accountId: string, accessKeyId: string): Caller => ({
  accountId, arn: rootArn(accountId), accessKeyId, type: 'Root', userId: accountId, tags: {},
});

export const userCaller = (user: UserRecord, accessKeyId: string): Caller => ({
  accountId: user.accountId, arn: user.arn, accessKeyId, type: 'IAMUser', userId: user.userId, username: user.name, tags: tagsToRecord(user.tags),
});

export function sessionCaller(s: SessionRecord, roleTags: Readonly<Record<string, string>>): Caller {
  return {
    accountId: s.accountId, arn: assumedRoleArn(s.accountId, s.roleName, s.sessionName), accessKeyId: s.accessKeyId,
    type: 'AssumedRole', userId: `${s.roleId}:${s.sessionName}`, roleArn: s.roleArn, tags: roleTags,
  };
}

/** The kinds of change that touch keys only (every other kind touches identities). */
const KEY_CHANGE_KINDS: ReadonlySet<Change['kind']> = new Set<Change['kind']>([
  'putKey', 'deleteKey', 'putMaterial', 'deleteMaterial', 'putAlias', 'deleteAlias', 'putGrant', 'deleteGrant', 'putUsage', 'setMeta',
]);

export class CredentialResolver {
  /** Resolved keys by access key id, valid while the identity generation is unchanged (no disk read on a warm request). */
  private readonly cache = new Map<string, { generation: number; resolved: ResolvedAccessKey | undefined }>();
  /** Moves on every committed identity change (and every other writer's notice of one). */
  private identityGeneration = 0;

  constructor(
    private readonly repo: IdentityRepository,
    /** The default account's root key (from configuration, not the database). */
    private readonly defaultRoot: RootKey,
  ) {}

  get defaultAccountId(): string {
    return this.defaultRoot.accountId;
  }

  async resolveAccessKey(accessKeyId: string): Promise<ResolvedAccessKey | undefined> {
    const generation = this.identityGeneration;
    const hit = this.cache.get(accessKeyId);
    if (hit && hit.generation === generation) return hit.resolved;
    const resolved = await this.lookup(accessKeyId);
    // Unknown ids are cached too (bounded), so a flood of bad ids cannot turn into disk reads.
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(accessKeyId, { generation, resolved });
    return resolved;
  }

  private async lookup(accessKeyId: string): Promise<ResolvedAccessKey | undefined> {
    const root = this.defaultRoot;
    if (accessKeyId === root.accessKeyId) {
      return { secretAccessKey: root.secretAccessKey, caller: rootCaller(root.accountId, accessKeyId), active: true };
    }
    if (accessKeyId.startsWith('ASIA')) {
      const s = await this.repo.getSession(accessKeyId);
      if (!s) return undefined;
      const role = await this.repo.getRoleById(s.roleId);
      return {
        secretAccessKey: s.secretAccessKey, caller: sessionCaller(s, role ? tagsToRecord(role.tags) : {}),
        sessionTokenHash: s.sessionTokenHash, expiration: s.expiration, active: true,
      };
    }
    const key = await this.repo.getAccessKey(accessKeyId);
    if (!key) return undefined;
    const active = key.status === 'Active';
    if (key.owner === 'root') return { secretAccessKey: key.secretAccessKey, caller: rootCaller(key.accountId, accessKeyId), active };
    const user = await this.repo.getUserById(key.owner);
    if (!user) return undefined;
    return { secretAccessKey: key.secretAccessKey, caller: userCaller(user, accessKeyId), active };
  }

  /** Changes whenever an identity policy, membership or attachment may have changed. */
  generation(): number {
    return this.identityGeneration;
  }

  /**
   * A commit (or another writer's notice) changed identities: every cached answer is stale. A new
   * STS session is not such a change (its access key id is new and random, so nothing cached can
   * name it, and an expired one is refused by its expiration), so AssumeRole keeps the caches warm.
   */
  /** Another writer changed identities (services/coherence.ts): every cached answer is stale. */
  invalidate(topics: readonly string[]): void {
    if (topics.includes('identity')) this.identityGeneration++;
  }

  invalidateAll(): void {
    this.identityGeneration++;
  }

  applyCommitted(changes: readonly Change[]): void {
    if (changes.some((c) => !KEY_CHANGE_KINDS.has(c.kind) && c.kind !== 'putSession' && c.kind !== 'purgeSessions')) this.identityGeneration++;
  }

  /**
   * The identity policies (JSON texts) that govern `caller`: for an IAM user its inline and attached
   * policies and those of its groups; for a role session the role's inline and attached policies;
   * none for the account root (whose access no identity policy limits).
   */
  async identityPoliciesOf(caller: Caller): Promise<string[]> {
    const of = async (principalId: string): Promise<string[]> => [
      ...(await this.repo.listInlinePolicies(principalId)).map((p) => p.document),
      ...(await this.repo.listAttachedPolicies(principalId)).map((p) => p.document),
    ];
    switch (caller.type) {
      case 'Root':
        return [];
      case 'IAMUser': {
        const user = await this.repo.getUserById(caller.userId);
        if (!user) return [];
        const groups = await this.repo.listGroupsForUser(user.userId);
        return [...await of(user.userId), ...(await Promise.all(groups.map((g) => of(g.groupId)))).flat()];
      }
      case 'AssumedRole': {
        const roleId = caller.userId.split(':')[0] ?? '';
        return (await this.repo.getRoleById(roleId)) ? of(roleId) : [];
      }
    }
  }
}
