/** ARNs of KMS keys and aliases. */
export interface Scope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

export const keyArn = (s: Scope, keyId: string): string =>
  `arn:${s.partition}:kms:${s.region}:${s.accountId}:key/${keyId}`;
export const aliasArn = (s: Scope, aliasName: string): string =>
  `arn:${s.partition}:kms:${s.region}:${s.accountId}:${aliasName}`;
export const accountRootArn = (s: Pick<Scope, 'partition' | 'accountId'>): string =>
  `arn:${s.partition}:iam::${s.accountId}:root`;

export interface ParsedKmsArn {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly resourceType: 'key' | 'alias';
  /** Key id for keys; the full `alias/...` name for aliases. */
  readonly resource: string;
}

const KMS_ARN = /^arn:(aws[\w-]*):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

export function parseKmsArn(arn: string): ParsedKmsArn | undefined {
  const m = KMS_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, region, accountId, type, rest] = m as unknown as [string, string, string, string, 'key' | 'alias', string];
  return { partition, region, accountId, resourceType: type, resource: type === 'alias' ? `alias/${rest}` : rest };
}
