/**
 * GenerateMac (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html): the HMAC
 * (RFC 2104) of a message of up to 4096 bytes under an HMAC key, with the key spec's one algorithm.
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, InvalidKeyUsageException
 * (usage, or "Algorithm X is incompatible with key spec Y."), DryRunOperationException.
 */
import type { GenerateMacRequest, GenerateMacResponse } from '@aws-sdk/client-kms';
import { checkMacAlgorithm, generateMac as mac } from '../../services/mac.ts';
import { defineOperation } from '../context.ts';
import { dryRunStop, keyFor, requireOperationUsage } from './common.ts';

export const generateMac = defineOperation<GenerateMacRequest, GenerateMacResponse>('GenerateMac', async (input, ctx) => {
  const key = await keyFor(ctx, 'GenerateMac', input.KeyId as string, true, {
    grantTokens: input.GrantTokens, conditions: { 'kms:MacAlgorithm': input.MacAlgorithm },
  });
  requireOperationUsage(key, 'GenerateMac');
  const algorithm = checkMacAlgorithm(key, input.MacAlgorithm as string);
  dryRunStop(input.DryRun);
  const result = await mac(ctx.keyring, key, algorithm, input.Message as Buffer);
  ctx.usage.record(key.arn, 'GenerateMac', ctx.clock.now(), ctx.requestId);
  return { Mac: result, MacAlgorithm: algorithm, KeyId: key.arn };
});
