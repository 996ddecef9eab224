/**
 * UpdatePrimaryRegion (https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdatePrimaryRegion.html).
 * The replica in PrimaryRegion becomes the primary and the primary a replica, in one transaction.
 * Needs kms:UpdatePrimaryRegion on both keys (each by its own key policy). Naming the primary's
 * own region changes nothing. Deliberate difference: the change is complete when the answer is
 * sent, so neither key passes through AWS's transient Updating state.
 * Errors: NotFoundException (no key of the set in that region), DisabledException,
 * KMSInvalidStateException, UnsupportedOperationException (not a multi-Region primary key).
 */
import type { UpdatePrimaryRegionRequest } from '@aws-sdk/client-kms';
import { keyArn } from '../../core/arn.ts';
import { assertStateAllows } from '../../domain/key-states.ts';
import { NotFoundException, UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const updatePrimaryRegion = defineOperation<UpdatePrimaryRegionRequest, undefined>('UpdatePrimaryRegion', async (input, ctx) => {
  const region = input.PrimaryRegion as string;
  const conditions = { 'kms:PrimaryRegion': region };
  const primary = await keyFor(ctx, 'UpdatePrimaryRegion', input.KeyId as string, false, { conditions });
  if (primary.multiRegionKeyType !== 'PRIMARY') throw new UnsupportedOperationException(`${primary.arn} is not a multi-region primary key.`);
  if (region === primary.region) return undefined;
  const arn = keyArn({ ...ctx.scope, region }, primary.keyId);
  const replica = await ctx.keyring.get(arn);
  if (!replica) throw new NotFoundException(`Key '${arn}' does not exist`);
  await ctx.authorizeKey({ action: 'kms:UpdatePrimaryRegion', key: replica, conditions });
  assertStateAllows('UpdatePrimaryRegion', replica.state, replica.arn);
  await ctx.keyring.updateAll([primary.arn, replica.arn], (k) => ({ ...k, multiRegionKeyType: k.arn === replica.arn ? 'PRIMARY' : 'REPLICA' }));
  return undefined;
});
