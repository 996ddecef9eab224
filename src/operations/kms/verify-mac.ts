/**
 * VerifyMac (https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html): recomputes
 * the HMAC of the message and compares it, in constant time, with the one given.
 * Errors: those of GenerateMac, KMSInvalidMacException (no message) when they differ.
 */
import type { VerifyMacRequest, VerifyMacResponse } from '@aws-sdk/client-kms';
import { KMSInvalidMacException } from '../../errors/kms-errors.ts';
import { checkMacAlgorithm, verifyMac as check } from '../../services/mac.ts';
import { defineOperation } from '../context.ts';
import { dryRunStop, keyFor, requireOperationUsage } from './common.ts';

export const verifyMac = defineOperation<VerifyMacRequest, VerifyMacResponse>('VerifyMac', async (input, ctx) => {
  const key = await keyFor(ctx, 'VerifyMac', input.KeyId as string, true, {
    grantTokens: input.GrantTokens, conditions: { 'kms:MacAlgorithm': input.MacAlgorithm },
  });
  requireOperationUsage(key, 'VerifyMac');
  const algorithm = checkMacAlgorithm(key, input.MacAlgorithm as string);
  dryRunStop(input.DryRun);
  const valid = await check(ctx.keyring, key, algorithm, input.Message as Buffer, input.Mac as Buffer);
  if (!valid) throw new KMSInvalidMacException();
  ctx.usage.record(key.arn, 'VerifyMac', ctx.clock.now(), ctx.requestId);
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
});
