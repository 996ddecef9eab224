/**
 * The rules GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share (reference §3.4):
 * a fresh key pair of KeyPairSpec, its PKCS#8 DER private key encrypted under a symmetric
 * ENCRYPT_DECRYPT key exactly as Encrypt would (so Decrypt with the same context opens it), and
 * its DER SubjectPublicKeyInfo. The pair is generated off the event loop; the wrapping key's state
 * is checked again once the pair exists.
 */
import { ValidationException } from '../../errors/common-errors.ts';
import { NotFoundException, UnsupportedOperationException } from '../../errors/kms-errors.ts';
import { generateKeyPair, type DerKeyPair } from '../../crypto/keypair.ts';
import { capabilitiesOf, isKeySpec } from '../../domain/key-specs.ts';
import { assertStateAllows } from '../../domain/key-states.ts';
import { encryptUnder } from '../../services/symmetric.ts';
import type { KeyRecord } from '../../domain/key.ts';
import type { OperationContext } from '../context.ts';
import { dryRunStop, keyFor, requireSymmetricEncryption } from './common.ts';

export interface DataKeyPairInput {
  KeyId?: string | undefined;
  KeyPairSpec?: string | undefined;
  EncryptionContext?: Record<string, string> | undefined;
  DryRun?: boolean | undefined;
  GrantTokens?: string[] | undefined;
  Recipient?: object | undefined;
}

export interface DataKeyPair {
  readonly key: KeyRecord;
  readonly pair: DerKeyPair;
  readonly privateKeyCiphertext: Buffer;
}

export async function generateDataKeyPair(ctx: OperationContext, operation: string, input: DataKeyPairInput): Promise<DataKeyPair> {
  if (input.Recipient !== undefined) throw new UnsupportedOperationException('Coffer does not support Recipient (attested decryption).');
  const spec = input.KeyPairSpec as string;
  const key = await keyFor(ctx, operation, input.KeyId as string, true, {
    encryptionContext: input.EncryptionContext, grantTokens: input.GrantTokens,
    conditions: { 'kms:EncryptionAlgorithm': 'SYMMETRIC_DEFAULT', 'kms:DataKeyPairSpec': spec },
  });
  requireSymmetricEncryption(key, operation);
  const caps = isKeySpec(spec) ? capabilitiesOf(spec) : undefined;
  if (!caps?.dataKeyPair) throw new ValidationException(`KeyPairSpec ${spec} is not a data key pair spec.`);
  if (caps.material.kind !== 'pair') throw new UnsupportedOperationException(caps.unsupported ?? `Coffer does not support KeyPairSpec ${spec}.`);
  dryRunStop(input.DryRun);
  const pair = await generateKeyPair(caps.material.pair);
  try {
    // The wrapping key may have changed while the pair was being made.
    const current = await ctx.keyring.get(key.arn);
    if (!current) throw new NotFoundException(`Key '${key.arn}' does not exist`);
    assertStateAllows(operation, await ctx.keyring.stateOf(current), current.arn);
    const privateKeyCiphertext = await encryptUnder(ctx.keyring, current, pair.privateKey, input.EncryptionContext);
    ctx.usage.record(current.arn, operation, ctx.clock.now(), ctx.requestId);
    return { key: current, pair, privateKeyCiphertext };
  } catch (e) {
    pair.privateKey.fill(0);
    throw e;
  }
}
