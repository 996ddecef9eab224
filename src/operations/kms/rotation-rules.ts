/** Rules the rotation operations share (reference §3.9). */
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import type { KeyRecord } from '../../domain/key.ts';
import { capabilitiesOf } from '../../domain/key-specs.ts';

/**
 * Symmetric keys only. Automatic rotation needs KMS-generated material; on-demand rotation and
 * ListKeyRotations (`imported: true`) also take EXTERNAL keys.
 */
export function requireRotatable(key: KeyRecord, opts: { readonly imported?: boolean } = {}): void {
  if (key.origin !== 'AWS_KMS' && !(opts.imported === true && key.origin === 'EXTERNAL')) {
    throw new UnsupportedOperationException(`${key.arn} origin is ${key.origin} which is not valid for this operation.`);
  }
  if (capabilitiesOf(key.keySpec).keyType !== 'SYMMETRIC') {
    throw new UnsupportedOperationException(`${key.arn} key spec is ${key.keySpec} which is not valid for this operation.`);
  }
}

/** A multi-Region key rotates (and changes its rotation settings) through its primary only. */
export function requireNotReplica(key: KeyRecord): void {
  if (key.multiRegionKeyType === 'REPLICA') throw new UnsupportedOperationException(`${key.arn} is not a multi-region primary key.`);
}
