/**
 * ScheduleKeyDeletion (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html).
 * PendingWindowInDays 7..30 (default 30; the shape allows 1..365, KMS accepts 7..30). A
 * multi-Region primary that still has replicas goes PendingReplicaDeletion, without a deletion
 * date: its waiting period starts when its last replica is deleted (domain/multi-region.ts).
 * Errors: NotFoundException, KMSInvalidStateException, ValidationException.
 */
import type { ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse } from '@aws-sdk/client-kms';
import { ValidationException } from '../../errors/common-errors.ts';
import { DAY_MS } from '../../core/clock.ts';
import { peersOf } from '../../services/multi-region.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const scheduleKeyDeletion = defineOperation<ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse>('ScheduleKeyDeletion', async (input, ctx) => {
  const days = input.PendingWindowInDays ?? 30;
  if (days < 7 || days > 30) {
    const bound = days < 7 ? 'greater than or equal to 7' : 'less than or equal to 30';
    throw new ValidationException(`1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${bound}`);
  }
  const key = await keyFor(ctx, 'ScheduleKeyDeletion', input.KeyId as string, false, {
    conditions: { 'kms:ScheduleKeyDeletionPendingWindowInDays': days },
  });
  if (key.multiRegionKeyType === 'PRIMARY' && (await peersOf(ctx.keyring, key)).length > 0) {
    await ctx.keyring.update(key.arn, (k) => ({ ...k, state: 'PendingReplicaDeletion', pendingWindowInDays: days }));
    return { KeyId: key.arn, KeyState: 'PendingReplicaDeletion', PendingWindowInDays: days };
  }
  const deletionDate = ctx.clock.now() + days * DAY_MS;
  await ctx.keyring.update(key.arn, (k) => ({ ...k, state: 'PendingDeletion', deletionDate, pendingWindowInDays: days }));
  return { KeyId: key.arn, DeletionDate: new Date(deletionDate), KeyState: 'PendingDeletion', PendingWindowInDays: days };
});
