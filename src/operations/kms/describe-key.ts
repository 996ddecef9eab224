/**
 * DescribeKey (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html).
 * Accepts key id, key ARN, alias name and alias ARN; a multi-Region key (primary or replica) shows
 * its MultiRegionConfiguration, an EXTERNAL key its ExpirationModel and ValidTo.
 * Errors: NotFoundException.
 */
import type { DescribeKeyRequest, DescribeKeyResponse } from '@aws-sdk/client-kms';
import { describe } from '../../services/multi-region.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const describeKey = defineOperation<DescribeKeyRequest, DescribeKeyResponse>('DescribeKey', async (input, ctx) => ({
  KeyMetadata: await describe(ctx.keyring, await keyFor(ctx, 'DescribeKey', input.KeyId as string, true, { grantTokens: input.GrantTokens })),
}));
