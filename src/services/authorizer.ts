/**
 * Every authorization decision of the KMS API: builds the request context (the caller, the key's
 * condition keys, the request's), and asks the policy engine with the key policy, the caller's
 * IAM policies and the key's grants. Parsed policies are cached by text and the caller's IAM
 * policies by identity generation, so a warm Encrypt reads no disk to authorize.
 */
import { AccessDeniedException } from '../errors/common-errors.ts';
import { InvalidGrantTokenException, MalformedPolicyDocumentException } from '../errors/kms-errors.ts';
import { parsePolicy, type Policy, type PolicyKind } from '../policy/parse.ts';
import { StorageFault } from '../errors/storage-fault.ts';
import { requestConditions, type PrincipalInfo } from '../policy/evaluate.ts';
import { accessDeniedMessage, decideKms, type Decision, type GrantInfo, type KmsAuthorizationInput } from '../policy/kms-decision.ts';
import type { Clock } from '../core/clock.ts';
import { grantIdOfToken, type GrantRecord } from '../domain/grant.ts';
import type { KeyRecord } from '../domain/key.ts';
import { AWS_ALIAS_PREFIX, awsManagedService, viaServiceOf } from '../domain/aws-managed-keys.ts';
import type { Keyring } from './keyring.ts';
import type { AuthorizationResult, Caller, ConditionValue, KeyAuthorization, RequestInfo } from '../domain/principal.ts';

/** Where the caller's IAM policies come from (the identity store). */
export interface IdentityPolicySource {
  /** Policy texts of the user and its groups, or of the role; inline and attached. */
  identityPoliciesOf(caller: Caller): Promise<readonly string[]>;
  /** Changes whenever any identity policy, membership or attachment changes. */
  generation(): number;
}

type Conditions = Readonly<Record<string, ConditionValue | undefined>>;

const MAX_CACHED = 10_000;
const NO_POLICIES: readonly Policy[] = Object.freeze([]);

/**
 * Whether a policy's outcome depends on nothing but the principal, the action and the resource:
 * no statement has a Condition and no Resource pattern has a policy variable.
 */
const unconditionalPolicies = new WeakMap<Policy, boolean>();
export function isUnconditional(p: Policy): boolean {
  let known = unconditionalPolicies.get(p);
  if (known === undefined) {
    known = p.statements.every((st) => st.conditions.length === 0
      && !(st.resource ?? st.notResource ?? []).some((m) => m.kind === 'template'));
    unconditionalPolicies.set(p, known);
  }
  return known;
}

/** What principal matching depends on: the decision cache's key, with the action and the key. */
const decisionKey = (c: Caller, action: string, keyArn: string): string =>
  `${action}\n${keyArn}\n${c.type}\n${c.arn}\n${c.userId}\n${c.roleArn ?? ''}\n${c.accountId}`;

export class Authorizer {
  /**
   * Parsed policies by kind, then by text. Keyed by the text itself (not a concatenation) so the
   * lookup hashes a string V8 has hashed before: the cached key record's policy string.
   */
  private readonly parsed: Readonly<Record<PolicyKind, Map<string, Policy>>> = { resource: new Map(), identity: new Map(), trust: new Map() };
  private readonly identityCache = new Map<string, { generation: number; policies: readonly Policy[] }>();
  /**
   * Allow decisions made by policies alone (not by a grant) when the key policy and the caller's
   * IAM policies are all unconditional: such a decision is a function of the caller, the action
   * and the key, so a repeat skips building the request context. Keyed by the parsed key policy
   * (a new policy text is a new object) and checked against the caller's current IAM policy list
   * (a new identity generation is a new list); denials are never cached.
   */
  private readonly decisions = new WeakMap<Policy, Map<string, { identity: readonly Policy[]; result: AuthorizationResult }>>();

  constructor(
    private readonly keyring: Pick<Keyring, 'aliasesOf' | 'grantsFor'>,
    private readonly identities: IdentityPolicySource,
    private readonly clock: Clock,
  ) {}

  async authorizeKey(caller: Caller, request: RequestInfo, a: KeyAuthorization): Promise<AuthorizationResult> {
    for (const t of a.grantTokens ?? []) {
      if (grantIdOfToken(t) === undefined) throw new InvalidGrantTokenException('The grant token is not valid.');
    }
    const key = a.key;
    const keyPolicy = this.parse(key.policy, 'resource');
    const identity = this.cachedIdentityPolicies(caller) ?? await this.identityPolicies(caller);
    const cacheable = isUnconditional(keyPolicy) && identity.every(isUnconditional);
    const dkey = cacheable ? decisionKey(caller, a.action, key.arn) : '';
    if (cacheable) {
      const hit = this.decisions.get(keyPolicy)?.get(dkey);
      if (hit !== undefined && hit.identity === identity) return hit.result;
    }
    const aliases = await this.keyring.aliasesOf(key);
    const grants = a.grantOperation !== undefined ? await this.keyring.grantsFor(key.arn, granteesOf(caller)) : undefined;
    const decision = this.decide(caller, request, a.action, key.arn, identity, {
      ...keyConditions(caller, key, aliases),
      ...(a.requestAlias !== undefined ? { 'kms:RequestAlias': a.requestAlias } : {}),
      ...contextConditions(a.encryptionContext),
      ...a.conditions,
    }, {
      keyAccountId: key.accountId,
      keyPolicy,
      // Only the caller's grants can allow it (a key may have 50,000): grantAllows checks the grantee again.
      ...(a.grantOperation !== undefined ? { grantOperation: a.grantOperation, grants: (grants ?? []).map(grantInfo) } : {}),
      ...(a.encryptionContext !== undefined ? { encryptionContext: a.encryptionContext } : {}),
    });
    if (!decision.allowed) throw new AccessDeniedException(accessDeniedMessage(caller.arn, a.action, key.arn, decision));
    const result: AuthorizationResult = { via: decision.via, ...(decision.grantId !== undefined ? { grantId: decision.grantId } : {}) };
    if (cacheable && decision.via !== 'grant') {
      let m = this.decisions.get(keyPolicy);
      if (m === undefined) this.decisions.set(keyPolicy, (m = new Map()));
      if (m.size >= MAX_CACHED) m.clear();
      m.set(dkey, { identity, result });
    }
    return result;
  }

  async authorizeAccount(caller: Caller, request: RequestInfo, action: string, resource: string, conditions: Conditions = {}): Promise<void> {
    const identity = await this.identityPolicies(caller);
    const decision = this.decide(caller, request, action, resource, identity, { 'kms:CallerAccount': caller.accountId, ...conditions }, {});
    if (!decision.allowed) throw new AccessDeniedException(accessDeniedMessage(caller.arn, action, resource, decision));
  }

  /** The lockout safety check of CreateKey and PutKeyPolicy (grants do not count). */
  async checkLockout(caller: Caller, request: RequestInfo, policyText: string, keyArn: string): Promise<void> {
    const accountId = keyArn.split(':')[4] ?? caller.accountId;
    const identity = await this.identityPolicies(caller);
    const decision = this.decide(caller, request, 'kms:PutKeyPolicy', keyArn, identity, { 'kms:CallerAccount': caller.accountId }, {
      keyAccountId: accountId,
      keyPolicy: this.parse(policyText, 'resource'),
    });
    if (!decision.allowed) {
      throw new MalformedPolicyDocumentException('The new key policy will not allow you to update the key policy in the future.');
    }
  }

  private decide(
    caller: Caller, request: RequestInfo, action: string, resource: string, identityPolicies: readonly Policy[], conditions: Conditions,
    rest: Omit<KmsAuthorizationInput, 'request' | 'identityPolicies'>,
  ): Decision {
    const principal = principalInfo(caller);
    return decideKms({
      ...rest,
      request: {
        action, resource, principal,
        conditions: requestConditions(principal, {
          now: new Date(this.clock.now()), sourceIp: request.sourceIp, secureTransport: request.secureTransport,
        }, conditions),
      },
      identityPolicies,
    });
  }

  /** The caller's parsed IAM policies when known without a read (the hot path skips an await). */
  private cachedIdentityPolicies(caller: Caller): readonly Policy[] | undefined {
    if (caller.type === 'Root') return NO_POLICIES;
    const hit = this.identityCache.get(caller.arn);
    return hit && hit.generation === this.identities.generation() ? hit.policies : undefined;
  }

  private async identityPolicies(caller: Caller): Promise<readonly Policy[]> {
    const known = this.cachedIdentityPolicies(caller);
    if (known !== undefined) return known;
    const generation = this.identities.generation();
    const policies = (await this.identities.identityPoliciesOf(caller)).map((t) => this.parse(t, 'identity'));
    if (this.identityCache.size >= MAX_CACHED) this.identityCache.clear();
    this.identityCache.set(caller.arn, { generation, policies });
    return policies;
  }

  private parse(text: string, kind: PolicyKind): Policy {
    const cache = this.parsed[kind];
    const hit = cache.get(text);
    if (hit) return hit;
    // Stored policies were validated (with their own size limits) when they were written, and so
    // was a new key policy before its lockout check: one that no longer parses is a damaged
    // record, which the client cannot mend (answered as an internal error and logged).
    let p: Policy;
    try {
      p = parsePolicy(text, kind, { maxBytes: Number.MAX_SAFE_INTEGER });
    } catch (e) {
      throw new StorageFault(`a stored ${kind} policy no longer parses: the database may be damaged`, { cause: e });
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(text, p);
    return p;
  }
}

export function principalInfo(c: Caller): PrincipalInfo {
  return {
    arn: c.arn, accountId: c.accountId, type: c.type, userId: c.userId, tags: c.tags,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.roleArn !== undefined ? { roleArn: c.roleArn } : {}),
  };
}

function keyConditions(caller: Caller, key: KeyRecord, aliases: readonly string[]): Record<string, ConditionValue> {
  const service = key.awsService === undefined ? undefined : awsManagedService(`${AWS_ALIAS_PREFIX}${key.awsService}`);
  const via = service === undefined ? undefined : viaServiceOf(service, key.region);
  return {
    'kms:CallerAccount': caller.accountId,
    'kms:KeySpec': key.keySpec,
    'kms:KeyUsage': key.keyUsage,
    'kms:KeyOrigin': key.origin,
    'kms:CustomerMasterKeySpec': key.keySpec,
    'kms:CustomerMasterKeyUsage': key.keyUsage,
    'kms:MultiRegion': key.multiRegion,
    ...(key.multiRegionKeyType !== undefined ? { 'kms:MultiRegionKeyType': key.multiRegionKeyType } : {}),
    'kms:ResourceAliases': aliases,
    // No AWS service stands in front of Coffer: a call on an AWS managed key is taken as made
    // through the key's service, so that its AWS key policy lets the account's principals use it.
    ...(via !== undefined ? { 'kms:ViaService': via } : {}),
    ...Object.fromEntries(key.tags.map((t) => [`aws:ResourceTag/${t.TagKey ?? ''}`, t.TagValue ?? ''])),
  };
}

function contextConditions(ec: Readonly<Record<string, string>> | undefined): Record<string, ConditionValue> {
  if (ec === undefined || Object.keys(ec).length === 0) return {};
  return {
    'kms:EncryptionContextKeys': Object.keys(ec),
    ...Object.fromEntries(Object.entries(ec).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])),
  };
}

/** The grantee ARNs a grant may name to apply to this caller: its own, and its role's for a role session. */
const granteesOf = (c: Caller): readonly string[] => (c.roleArn === undefined ? [c.arn] : [c.arn, c.roleArn]);

function grantInfo(g: GrantRecord): GrantInfo {
  const eq = g.constraints?.EncryptionContextEquals;
  const sub = g.constraints?.EncryptionContextSubset;
  return {
    grantId: g.grantId,
    granteePrincipal: g.granteePrincipal,
    operations: g.operations,
    ...(eq || sub ? { constraints: { ...(eq ? { encryptionContextEquals: eq } : {}), ...(sub ? { encryptionContextSubset: sub } : {}) } } : {}),
  };
}
