/**
 * KMS key tables' rows as the SQL stores keep them (SQLite, PostgreSQL: the same columns) read
 * back as the port's records: key and grant documents checked for the fields every Coffer version
 * has written (data folders of older versions must still read), materials and aliases from their
 * columns.
 */
import type { KeyRecord, MaterialRecord } from '../../domain/key.ts';
import type { GrantRecord } from '../../domain/grant.ts';
import type { AliasRecord } from '../../ports/key-repository.ts';
import { readDoc } from './sqlite-docs.ts';

export interface DocRow { doc: string }
export interface MaterialRow { key_arn: string; material_id: string; domain_key_id: string; wrapped: Buffer; created_at: number; rotation_type: string | null }
export interface AliasRow { account_id: string; region: string; name: string; target_key_arn: string; created_at: number; updated_at: number }

const isKeyDoc = (d: Record<string, unknown>): boolean =>
  typeof d.arn === 'string' && typeof d.keyId === 'string' && typeof d.state === 'string' && typeof d.policy === 'string' && typeof d.keySpec === 'string';
const isGrantDoc = (d: Record<string, unknown>): boolean =>
  typeof d.grantId === 'string' && typeof d.keyArn === 'string' && typeof d.granteePrincipal === 'string' && Array.isArray(d.operations);

export const toMaterial = (r: MaterialRow): MaterialRecord => ({
  keyArn: r.key_arn, materialId: r.material_id, domainKeyId: r.domain_key_id, wrapped: r.wrapped, createdAt: r.created_at,
  ...(r.rotation_type === 'AUTOMATIC' || r.rotation_type === 'ON_DEMAND' ? { rotationType: r.rotation_type } : {}),
});
export const toAlias = (r: AliasRow): AliasRecord => ({
  accountId: r.account_id, region: r.region, name: r.name, targetKeyArn: r.target_key_arn,
  creationDate: r.created_at, lastUpdatedDate: r.updated_at,
});
export const parseKeyDoc = (doc: string): KeyRecord => readDoc<KeyRecord>(doc, 'key', isKeyDoc);
export const parseGrantDoc = (doc: string): GrantRecord => readDoc<GrantRecord>(doc, 'grant', isGrantDoc);
