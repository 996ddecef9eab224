/**
 * DescribeKey (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html).
 * Accepts key id, key ARN, alias name and alias ARN. Errors: NotFoundException.
 */
import type { DescribeKeyRequest, DescribeKeyResponse } from '@aws-sdk/client-kms';
import { keyMetadata } from '../../domain/key.ts';
import { defineOperation } from '../context.ts';
import { keyFor } from './common.ts';

export const describeKey = defineOperation<DescribeKeyRequest, DescribeKeyResponse>('DescribeKey', (input, ctx) => ({
  KeyMetadata: keyMetadata(keyFor(ctx, 'DescribeKey', input.KeyId as string, true, { grantOperation: 'DescribeKey', grantTokens: input.GrantTokens })),
}));
