/**
 * Sign (https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html): a signature, with the
 * private key of a SIGN_VERIFY key, of a message (RAW, up to 4096 bytes), of a digest (DIGEST,
 * exactly the algorithm's hash length) or of an ML-DSA μ (EXTERNAL_MU, 64 bytes).
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, InvalidKeyUsageException
 * (usage, or an algorithm the key spec lacks), ValidationException (message type, digest length),
 * DryRunOperationException.
 */
import type { SignRequest, SignResponse } from '@aws-sdk/client-kms';
import { checkSignRequest, signMessage } from '../../services/signing.ts';
import { defineOperation } from '../context.ts';
import { dryRunStop, keyFor, requireOperationUsage } from './common.ts';

export const sign = defineOperation<SignRequest, SignResponse>('Sign', async (input, ctx) => {
  const key = await keyFor(ctx, 'Sign', input.KeyId as string, true, {
    grantTokens: input.GrantTokens,
    conditions: { 'kms:SigningAlgorithm': input.SigningAlgorithm, 'kms:MessageType': input.MessageType ?? 'RAW' },
  });
  requireOperationUsage(key, 'Sign');
  const request = checkSignRequest(key, input.SigningAlgorithm as string, input.MessageType, input.Message as Buffer);
  dryRunStop(input.DryRun);
  const signature = await signMessage(ctx.keyring, key, request);
  ctx.usage.record(key.arn, 'Sign', ctx.clock.now(), ctx.requestId);
  return { KeyId: key.arn, Signature: signature, SigningAlgorithm: request.algorithm };
});
