/** Rules the import operations share (reference §3.10). */
import type { ExpirationModelType } from '@aws-sdk/client-kms';
import { DAY_MS } from '../../core/clock.ts';
import { ValidationException } from '../../errors/common-errors.ts';
import { UnsupportedOperationException } from '../../errors/kms-errors.ts';
import type { ImportTerms } from '../../domain/import-rules.ts';
import type { KeyRecord } from '../../domain/key.ts';

/** Only EXTERNAL keys take imported material (AWS-recorded wording). */
export function requireExternal(key: KeyRecord): void {
  if (key.origin !== 'EXTERNAL') {
    throw new UnsupportedOperationException(`${key.arn} origin is ${key.origin} which is not valid for this operation.`);
  }
}

export const MAX_VALID_TO_MS = 365 * DAY_MS;

/**
 * ExpirationModel (default KEY_MATERIAL_EXPIRES) and ValidTo: required with an expiring model, in
 * the future and at most 365 days away (on the domain clock); refused with the other model.
 */
export function importTerms(model: ExpirationModelType | undefined, validTo: Date | undefined, description: string | undefined, now: number): ImportTerms {
  const expirationModel = model ?? 'KEY_MATERIAL_EXPIRES';
  const text = description !== undefined ? { description } : {};
  if (expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE') {
    if (validTo !== undefined) throw new ValidationException('A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE');
    return { expirationModel, ...text };
  }
  if (validTo === undefined) throw new ValidationException('A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
  const at = validTo.getTime();
  if (at <= now) throw new ValidationException('The validTo date must be in the future.');
  if (at > now + MAX_VALID_TO_MS) throw new ValidationException('The validTo date must be no more than 365 days from the current date.');
  return { expirationModel, validTo: at, ...text };
}

/** ISO 8601 without milliseconds, as AWS renders date condition keys (kms:ValidTo). */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
