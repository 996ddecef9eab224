/**
 * AssumeRole: temporary credentials (ASIA… key, secret, opaque session token) for a role whose
 * trust policy lets the caller in. DurationSeconds 900..43200 (default 3600), at most the role's
 * MaxSessionDuration, and at most one hour when a role session assumes a role (role chaining).
 * The expiration is on the domain clock. Session policies, session tags, MFA, source identity and
 * provided contexts are refused rather than ignored: each would change what the session may do.
 */
import { assumedRoleArn, hashSessionToken, newAccessKeyId, newSecretAccessKey, newSessionToken, parseIamArn, type SessionRecord } from '../../domain/identity.ts';
import { AccessDeniedError, ValidationError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';

export const DEFAULT_DURATION_SECONDS = 3600;
export const ROLE_CHAINING_MAX_SECONDS = 3600;
/** Expired sessions are kept this long (so their use answers ExpiredToken), then purged. */
export const EXPIRED_SESSION_RETENTION_MS = 7 * 86_400_000;

interface Input {
  RoleArn: string; RoleSessionName: string; DurationSeconds?: number; ExternalId?: string;
  Policy?: string; PolicyArns?: unknown[]; Tags?: unknown[]; TransitiveTagKeys?: unknown[];
  SerialNumber?: string; TokenCode?: string; SourceIdentity?: string; ProvidedContexts?: unknown[];
}

const UNSUPPORTED = ['Policy', 'PolicyArns', 'Tags', 'TransitiveTagKeys', 'SerialNumber', 'TokenCode', 'SourceIdentity', 'ProvidedContexts'] as const;

export const assumeRole = defineQueryOperation('sts', 'AssumeRole', async (input: Input, ctx) => {
  for (const name of UNSUPPORTED) {
    if (input[name] !== undefined) throw new ValidationError(`Coffer does not support ${name} in AssumeRole.`);
  }
  const parsed = parseIamArn(input.RoleArn);
  if (!parsed || parsed.type !== 'role' || parsed.accountId === 'aws') throw new ValidationError(`${input.RoleArn} is invalid`);
  const role = await ctx.identities.getRole(parsed.accountId, parsed.name);
  const denied = (): AccessDeniedError =>
    new AccessDeniedError(`User: ${ctx.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`);
  if (!role || role.arn !== input.RoleArn) {
    if (ctx.caller.type === 'Root') throw new AccessDeniedError('Roles may not be assumed by root accounts.');
    throw denied();
  }
  await ctx.authorizeAssumeRole(role, {
    'sts:RoleSessionName': input.RoleSessionName,
    ...(input.ExternalId !== undefined ? { 'sts:ExternalId': input.ExternalId } : {}),
  });

  const duration = input.DurationSeconds ?? DEFAULT_DURATION_SECONDS;
  if (duration > role.maxSessionDuration) throw new ValidationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  if (ctx.caller.type === 'AssumedRole' && duration > ROLE_CHAINING_MAX_SECONDS) {
    throw new ValidationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }

  const now = ctx.clock.now();
  const token = newSessionToken();
  const session: SessionRecord = {
    accessKeyId: newAccessKeyId('ASIA'), accountId: role.accountId, secretAccessKey: newSecretAccessKey(),
    sessionTokenHash: hashSessionToken(token), roleId: role.roleId, roleName: role.name, roleArn: role.arn,
    sessionName: input.RoleSessionName, expiration: now + duration * 1000, createDate: now,
  };
  ctx.identities.purgeSessions(now - EXPIRED_SESSION_RETENTION_MS);
  ctx.identities.putSession(session);
  return {
    Credentials: { AccessKeyId: session.accessKeyId, SecretAccessKey: session.secretAccessKey, SessionToken: token, Expiration: session.expiration },
    AssumedRoleUser: { AssumedRoleId: `${role.roleId}:${session.sessionName}`, Arn: assumedRoleArn(role.accountId, role.name, session.sessionName) },
  };
});
