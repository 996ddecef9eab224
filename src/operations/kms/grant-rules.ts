/** Rules the grant operations share (reference §3.15). */
import type { GrantListEntry } from '@aws-sdk/client-kms';
import { InvalidArnException, InvalidGrantTokenException } from '../../errors/kms-errors.ts';
import { grantIdOfToken, type GrantRecord } from '../../domain/grant.ts';

export const MAX_GRANTS_PER_KEY = 50_000;

const PRINCIPAL_ARN = /^arn:aws[\w-]*:(?:iam::\d{12}:(?:root|user\/.+|role\/.+)|sts::\d{12}:assumed-role\/[^/]+\/.+)$/;

export function checkPrincipalArn(value: string, member: string): void {
  if (!PRINCIPAL_ARN.test(value)) throw new InvalidArnException(`${member} ${value} is not a valid principal ARN.`);
}

/** The grant ids named by GrantTokens: a token that is not one of ours is InvalidGrantTokenException. */
export function grantIdsOf(tokens: readonly string[] | undefined): string[] {
  return (tokens ?? []).map((t) => {
    const id = grantIdOfToken(t);
    if (id === undefined) throw new InvalidGrantTokenException('The grant token is not valid.');
    return id;
  });
}

export function grantListEntry(g: GrantRecord): GrantListEntry {
  return {
    KeyId: g.keyArn,
    GrantId: g.grantId,
    ...(g.name !== undefined ? { Name: g.name } : {}),
    CreationDate: new Date(g.creationDate),
    GranteePrincipal: g.granteePrincipal,
    ...(g.retiringPrincipal !== undefined ? { RetiringPrincipal: g.retiringPrincipal } : {}),
    IssuingAccount: g.issuingAccount,
    Operations: [...g.operations] as GrantListEntry['Operations'],
    ...(g.constraints ? { Constraints: { ...g.constraints } } : {}),
  };
}

const sameMap = (a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort());

/** Two grants with the same parameters (CreateGrant's Name idempotency). */
export function sameGrant(a: GrantRecord, b: Omit<GrantRecord, 'grantId' | 'creationDate'>): boolean {
  return a.granteePrincipal === b.granteePrincipal && a.retiringPrincipal === b.retiringPrincipal
    && [...a.operations].sort().join() === [...b.operations].sort().join()
    && sameMap(a.constraints?.EncryptionContextEquals, b.constraints?.EncryptionContextEquals)
    && sameMap(a.constraints?.EncryptionContextSubset, b.constraints?.EncryptionContextSubset)
    && (a.constraints?.EncryptionContextEquals === undefined) === (b.constraints?.EncryptionContextEquals === undefined)
    && (a.constraints?.EncryptionContextSubset === undefined) === (b.constraints?.EncryptionContextSubset === undefined);
}

const contains = (outer: Readonly<Record<string, string>>, inner: Readonly<Record<string, string>>): boolean =>
  Object.entries(inner).every(([k, v]) => outer[k] === v);

/** A child grant made through a parent grant's CreateGrant keeps the parent's limits. */
export function withinParent(parent: GrantRecord, child: Omit<GrantRecord, 'grantId' | 'creationDate'>): boolean {
  if (!child.operations.every((op) => parent.operations.includes(op))) return false;
  const pe = parent.constraints?.EncryptionContextEquals;
  const ps = parent.constraints?.EncryptionContextSubset;
  const ce = child.constraints?.EncryptionContextEquals;
  const cs = child.constraints?.EncryptionContextSubset;
  if (pe) return ce !== undefined && sameMap(pe, ce);
  if (ps) return (ce !== undefined && contains(ce, ps)) || (cs !== undefined && contains(cs, ps));
  return true;
}
