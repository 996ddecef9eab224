/**
 * CreateGrant (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html).
 * Operations must suit the key's type; constraints only on symmetric keys; Name makes a retry
 * with identical parameters return the existing grant (with a new token). A grant made through
 * another grant's CreateGrant keeps that grant's operations and constraints.
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, InvalidArnException,
 * InvalidGrantTokenException, LimitExceededException (50,000 per key), ValidationException,
 * AccessDeniedException, DryRunOperationException, UnsupportedOperationException (service principals).
 */
import type { CreateGrantRequest, CreateGrantResponse } from '@aws-sdk/client-kms';
import { AccessDeniedException, ValidationException } from '../../errors/common-errors.ts';
import { LimitExceededException, UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { accountRootArn } from '../../core/arn.ts';
import { grantOperationsFor, newGrantId, newGrantToken, type GrantConstraints, type GrantRecord } from '../../domain/grant.ts';
import { defineOperation } from '../context.ts';
import { authorizedKey, dryRunStop } from './common.ts';
import { checkPrincipalArn, grantIdsOf, MAX_GRANTS_PER_KEY, sameGrant, withinParent } from './grant-rules.ts';

export const createGrant = defineOperation<CreateGrantRequest, CreateGrantResponse>('CreateGrant', async (input, ctx) => {
  if (input.GranteeServicePrincipal !== undefined || input.RetiringServicePrincipal !== undefined) {
    throw new UnsupportedOperationException('Coffer does not support grants to service principals.');
  }
  if (input.GranteePrincipal === undefined) {
    throw new ValidationException("1 validation error detected: Value null at 'granteePrincipal' failed to satisfy constraint: Member must not be null");
  }
  checkPrincipalArn(input.GranteePrincipal, 'GranteePrincipal');
  if (input.RetiringPrincipal !== undefined) checkPrincipalArn(input.RetiringPrincipal, 'RetiringPrincipal');
  const operations = [...new Set(input.Operations ?? [])];
  const c = input.Constraints;
  const constraints: GrantConstraints | undefined = c && (c.EncryptionContextEquals || c.EncryptionContextSubset)
    ? { ...(c.EncryptionContextEquals ? { EncryptionContextEquals: c.EncryptionContextEquals } : {}), ...(c.EncryptionContextSubset ? { EncryptionContextSubset: c.EncryptionContextSubset } : {}) }
    : undefined;
  grantIdsOf(input.GrantTokens);

  const constraintTypes = [constraints?.EncryptionContextEquals ? 'EncryptionContextEquals' : undefined, constraints?.EncryptionContextSubset ? 'EncryptionContextSubset' : undefined]
    .filter((x): x is string => x !== undefined);
  const contextPairs = { ...constraints?.EncryptionContextSubset, ...constraints?.EncryptionContextEquals };
  const { key, allowedBy: via } = await authorizedKey(ctx, 'CreateGrant', input.KeyId as string, false, {
    
    grantTokens: input.GrantTokens,
    conditions: {
      'kms:GrantOperations': operations,
      'kms:GranteePrincipal': input.GranteePrincipal,
      'kms:RetiringPrincipal': input.RetiringPrincipal,
      'kms:GrantIsForAWSResource': false,
      ...(constraintTypes.length > 0 ? { 'kms:GrantConstraintType': constraintTypes } : {}),
      'kms:EncryptionContextKeys': Object.keys(contextPairs),
      ...Object.fromEntries(Object.entries(contextPairs).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])),
    },
  });
  const allowedOps = grantOperationsFor(key);
  const bad = operations.filter((op) => !allowedOps.includes(op));
  if (bad.length > 0) throw new ValidationException(`Grant operations ${bad.join(', ')} are not valid for a ${key.keySpec} key with key usage ${key.keyUsage}.`);
  if (constraints && key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new ValidationException('Encryption context grant constraints are supported only on symmetric encryption KMS keys.');
  }

  const draft: Omit<GrantRecord, 'grantId' | 'creationDate'> = {
    keyArn: key.arn,
    ...(input.Name !== undefined ? { name: input.Name } : {}),
    granteePrincipal: input.GranteePrincipal,
    ...(input.RetiringPrincipal !== undefined ? { retiringPrincipal: input.RetiringPrincipal } : {}),
    issuingAccount: accountRootArn({ partition: ctx.scope.partition, accountId: ctx.caller.accountId }),
    operations,
    ...(constraints ? { constraints } : {}),
  };
  if (via?.via === 'grant' && via.grantId !== undefined) {
    const parent = (await ctx.keyring.grantsOf(key.arn)).find((g) => g.grantId === via.grantId);
    if (!parent || !withinParent(parent, draft)) {
      throw new AccessDeniedException(`User: ${ctx.caller.arn} is not authorized to perform: kms:CreateGrant on resource: ${key.arn} because the grant that allows it does not allow these operations or constraints`);
    }
  }
  dryRunStop(input.DryRun);

  if (input.Name !== undefined) {
    const existing = (await ctx.keyring.grantsOf(key.arn)).find((g) => g.name === input.Name && sameGrant(g, draft));
    if (existing) return { GrantId: existing.grantId, GrantToken: newGrantToken(existing.grantId) };
  }
  if ((await ctx.keyring.grantsOf(key.arn)).length >= MAX_GRANTS_PER_KEY) {
    throw new LimitExceededException(`The key ${key.arn} already has ${MAX_GRANTS_PER_KEY} grants.`);
  }
  const grant: GrantRecord = { ...draft, grantId: newGrantId(), creationDate: ctx.clock.now() };
  ctx.keyring.putGrant(grant);
  return { GrantId: grant.grantId, GrantToken: newGrantToken(grant.grantId) };
});
