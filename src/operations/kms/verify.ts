/**
 * Verify (https://docs.aws.amazon.com/kms/latest/APIReference/API_Verify.html): checks a
 * signature with the public key of a SIGN_VERIFY key. The message type may differ from the one
 * used to sign, as long as both describe the same message. A signature that does not verify is an
 * error, never SignatureValid false.
 * Errors: those of Sign, KMSInvalidSignatureException (no message).
 */
import type { VerifyRequest, VerifyResponse } from '@aws-sdk/client-kms';
import { KMSInvalidSignatureException } from '../../errors/kms-errors.ts';
import { checkSignRequest, verifySignature } from '../../services/signing.ts';
import { defineOperation } from '../context.ts';
import { dryRunStop, keyFor, requireOperationUsage } from './common.ts';

export const verify = defineOperation<VerifyRequest, VerifyResponse>('Verify', async (input, ctx) => {
  const key = await keyFor(ctx, 'Verify', input.KeyId as string, true, {
    grantTokens: input.GrantTokens,
    conditions: { 'kms:SigningAlgorithm': input.SigningAlgorithm, 'kms:MessageType': input.MessageType ?? 'RAW' },
  });
  requireOperationUsage(key, 'Verify');
  const request = checkSignRequest(key, input.SigningAlgorithm as string, input.MessageType, input.Message as Buffer);
  dryRunStop(input.DryRun);
  const valid = verifySignature(key, request, input.Signature as Buffer);
  if (!valid) throw new KMSInvalidSignatureException();
  ctx.usage.record(key.arn, 'Verify', ctx.clock.now(), ctx.requestId);
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: request.algorithm };
});
