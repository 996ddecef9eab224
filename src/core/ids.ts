/** Identifiers in AWS's formats (reference §3.1). */
import { randomBytes, randomUUID } from 'node:crypto';

export const newKeyId = (): string => randomUUID();
export const newMultiRegionKeyId = (): string => `mrk-${randomBytes(16).toString('hex')}`;
export const newRequestId = (): string => randomUUID();
export const newMaterialId = (): Buffer => randomBytes(32);

const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
export const isKeyId = (s: string): boolean => KEY_ID.test(s);
