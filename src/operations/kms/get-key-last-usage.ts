/**
 * GetKeyLastUsage (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyLastUsage.html).
 * Key id or key ARN only. Errors: NotFoundException.
 * Difference from AWS: CloudTrailEventId is absent until the audit trail exists; tracking starts
 * when the data folder was created (or the key, whichever is later).
 */
import type { GetKeyLastUsageRequest, GetKeyLastUsageResponse, KeyLastUsageTrackingOperation } from '@aws-sdk/client-kms';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const getKeyLastUsage = defineOperation<GetKeyLastUsageRequest, GetKeyLastUsageResponse>('GetKeyLastUsage', async (input, ctx) => {
  const key = await keyFor(ctx, 'GetKeyLastUsage', input.KeyId as string, false);
  const used = await ctx.usage.last(key.arn);
  const since = Number(await ctx.keyring.repo.getMeta('usage_tracking_start') ?? 0);
  return {
    KeyId: key.arn,
    KeyLastUsage: used
      ? { Operation: used.operation as KeyLastUsageTrackingOperation, Timestamp: new Date(used.timestamp), KmsRequestId: used.requestId }
      : {},
    TrackingStartDate: new Date(Math.max(since, key.creationDate)),
    KeyCreationDate: new Date(key.creationDate),
  };
});
