/**
 * Every authorization decision of the KMS API: builds the request context (the caller, the key's
 * condition keys, the request's), and asks the policy engine with the key policy, the caller's
 * IAM policies and the key's grants. Parsed policies are cached by text and the caller's IAM
 * policies by identity generation, so a warm Encrypt reads no disk to authorize.
 */
import { AccessDeniedException } from '../errors/common-errors.ts';
import { InvalidGrantTokenException, MalformedPolicyDocumentException } from '../errors/kms-errors.ts';
import { parsePolicy, type Policy, type PolicyKind } from '../policy/parse.ts';
import { requestConditions, type PrincipalInfo } from '../policy/evaluate.ts';
import { accessDeniedMessage, decideKms, type Decision, type GrantInfo, type KmsAuthorizationInput } from '../policy/kms-decision.ts';
import type { Clock } from '../core/clock.ts';
import { grantIdOfToken, type GrantRecord } from './grant.ts';
import type { KeyRecord } from './key.ts';
import type { Keyring } from './keyring.ts';
import type { AuthorizationResult, Caller, ConditionValue, KeyAuthorization, RequestInfo } from './principal.ts';

/** Where the caller's IAM policies come from (the identity store). */
export interface IdentityPolicySource {
  /** Policy texts of the user and its groups, or of the role; inline and attached. */
  identityPoliciesOf(caller: Caller): readonly string[];
  /** Changes whenever any identity policy, membership or attachment changes. */
  generation(): number;
}

type Conditions = Readonly<Record<string, ConditionValue | undefined>>;

const MAX_CACHED = 10_000;

export class Authorizer {
  /**
   * Parsed policies by kind, then by text. Keyed by the text itself (not a concatenation) so the
   * lookup hashes a string V8 has hashed before: the cached key record's policy string.
   */
  private readonly parsed: Readonly<Record<PolicyKind, Map<string, Policy>>> = { resource: new Map(), identity: new Map(), trust: new Map() };
  private readonly identityCache = new Map<string, { generation: number; policies: readonly Policy[] }>();

  constructor(
    private readonly keyring: Keyring,
    private readonly identities: IdentityPolicySource,
    private readonly clock: Clock,
  ) {}

  authorizeKey(caller: Caller, request: RequestInfo, a: KeyAuthorization): AuthorizationResult {
    for (const t of a.grantTokens ?? []) {
      if (grantIdOfToken(t) === undefined) throw new InvalidGrantTokenException('The grant token is not valid.');
    }
    const key = a.key;
    const decision = this.decide(caller, request, a.action, key.arn, {
      ...keyConditions(caller, key, this.keyring.aliasesOf(key)),
      ...(a.requestAlias !== undefined ? { 'kms:RequestAlias': a.requestAlias } : {}),
      ...contextConditions(a.encryptionContext),
      ...a.conditions,
    }, {
      keyAccountId: key.accountId,
      keyPolicy: this.parse(key.policy, 'resource'),
      ...(a.grantOperation !== undefined ? { grantOperation: a.grantOperation, grants: this.keyring.grantsOf(key.arn).map(grantInfo) } : {}),
      ...(a.encryptionContext !== undefined ? { encryptionContext: a.encryptionContext } : {}),
    });
    if (!decision.allowed) throw new AccessDeniedException(accessDeniedMessage(caller.arn, a.action, key.arn, decision));
    return { via: decision.via, ...(decision.grantId !== undefined ? { grantId: decision.grantId } : {}) };
  }

  authorizeAccount(caller: Caller, request: RequestInfo, action: string, resource: string, conditions: Conditions = {}): void {
    const decision = this.decide(caller, request, action, resource, { 'kms:CallerAccount': caller.accountId, ...conditions }, {});
    if (!decision.allowed) throw new AccessDeniedException(accessDeniedMessage(caller.arn, action, resource, decision));
  }

  /** The lockout safety check of CreateKey and PutKeyPolicy (grants do not count). */
  checkLockout(caller: Caller, request: RequestInfo, policyText: string, keyArn: string): void {
    const accountId = keyArn.split(':')[4] ?? caller.accountId;
    const decision = this.decide(caller, request, 'kms:PutKeyPolicy', keyArn, { 'kms:CallerAccount': caller.accountId }, {
      keyAccountId: accountId,
      keyPolicy: this.parse(policyText, 'resource'),
    });
    if (!decision.allowed) {
      throw new MalformedPolicyDocumentException('The new key policy will not allow you to update the key policy in the future.');
    }
  }

  private decide(
    caller: Caller, request: RequestInfo, action: string, resource: string, conditions: Conditions,
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
      identityPolicies: this.identityPolicies(caller),
    });
  }

  private identityPolicies(caller: Caller): readonly Policy[] {
    if (caller.type === 'Root') return [];
    const generation = this.identities.generation();
    const hit = this.identityCache.get(caller.arn);
    if (hit && hit.generation === generation) return hit.policies;
    const policies = this.identities.identityPoliciesOf(caller).map((t) => this.parse(t, 'identity'));
    if (this.identityCache.size >= MAX_CACHED) this.identityCache.clear();
    this.identityCache.set(caller.arn, { generation, policies });
    return policies;
  }

  private parse(text: string, kind: PolicyKind): Policy {
    const cache = this.parsed[kind];
    const hit = cache.get(text);
    if (hit) return hit;
    // Stored policies were validated (with their own size limits) when they were written.
    const p = parsePolicy(text, kind, { maxBytes: Number.MAX_SAFE_INTEGER });
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
