/**
 * DeriveSharedSecret (https://docs.aws.amazon.com/kms/latest/APIReference/API_DeriveSharedSecret.html):
 * ECDH between a KEY_AGREEMENT key's private key and the peer's DER SubjectPublicKeyInfo on the
 * same curve; answers the raw shared secret and the key's origin.
 * Errors: NotFoundException, DisabledException, KMSInvalidStateException, InvalidKeyUsageException,
 * ValidationException (a peer key that does not parse or is on another curve),
 * DryRunOperationException, UnsupportedOperationException (Recipient: attested use is not supported).
 */
import type { DeriveSharedSecretRequest, DeriveSharedSecretResponse } from '@aws-sdk/client-kms';
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { checkKeyAgreementAlgorithm, deriveSharedSecret as derive } from '../../services/key-agreement.ts';
import { defineOperation } from '../context.ts';
import { dryRunStop, keyFor, requireOperationUsage } from './common.ts';

export const deriveSharedSecret = defineOperation<DeriveSharedSecretRequest, DeriveSharedSecretResponse>('DeriveSharedSecret', async (input, ctx) => {
  if (input.Recipient !== undefined) throw new UnsupportedOperationException('Coffer does not support Recipient (attested decryption).');
  const key = await keyFor(ctx, 'DeriveSharedSecret', input.KeyId as string, true, {
    grantTokens: input.GrantTokens,
    conditions: { 'kms:KeyAgreementAlgorithm': input.KeyAgreementAlgorithm },
  });
  requireOperationUsage(key, 'DeriveSharedSecret');
  const algorithm = checkKeyAgreementAlgorithm(key, input.KeyAgreementAlgorithm as string);
  const peer = input.PublicKey as Buffer;
  if (input.DryRun === true) {
    (await derive(ctx.keyring, key, peer)).fill(0); // the peer key is validated as a real request would
    dryRunStop(true);
  }
  const secret = await derive(ctx.keyring, key, peer);
  ctx.usage.record(key.arn, 'DeriveSharedSecret', ctx.clock.now(), ctx.requestId);
  return { KeyId: key.arn, SharedSecret: secret, KeyAgreementAlgorithm: algorithm, KeyOrigin: key.origin };
});
