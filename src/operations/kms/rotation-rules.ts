/** Rules the rotation operations share (reference §3.9). */
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import type { KeyRecord } from '../../domain/key.ts';
import { capabilitiesOf } from '../../domain/key-specs.ts';

/** Automatic and on-demand rotation: symmetric keys with KMS-generated material only. */
export function requireRotatable(key: KeyRecord): void {
  if (key.origin !== 'AWS_KMS') {
    throw new UnsupportedOperationException(`${key.arn} origin is ${key.origin} which is not valid for this operation.`);
  }
  if (capabilitiesOf(key.keySpec).keyType !== 'SYMMETRIC') {
    throw new UnsupportedOperationException(`${key.arn} key spec is ${key.keySpec} which is not valid for this operation.`);
  }
}
