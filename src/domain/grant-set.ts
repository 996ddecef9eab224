/**
 * The grants of one key as the keyring caches them: the list in grant-id order (ListGrants pages
 * by grant id) and the same grants by grantee, because authorization only ever needs the caller's.
 * A key may hold 50,000 grants: mapping them all on every Encrypt cost 17 ms, and reloading them
 * from storage after every CreateGrant 0.3-0.8 s, so a change updates the set in place of a reload
 * (a copy of the list, O(n) pointer moves) and a decision reads O(grants of the caller).
 */
import type { GrantRecord } from './grant.ts';

export interface GrantSet {
  /** Every grant of the key, ordered by grant id; replaced (never changed) on each change. */
  readonly all: readonly GrantRecord[];
  /** Grantee principal ARN → its grants; each list is replaced (never changed) on each change. */
  readonly byGrantee: Map<string, readonly GrantRecord[]>;
}

const NONE: readonly GrantRecord[] = Object.freeze([]);

/** A set from grants in grant-id order (as storage lists them). */
export function grantSet(sorted: readonly GrantRecord[]): GrantSet {
  const byGrantee = new Map<string, GrantRecord[]>();
  for (const g of sorted) {
    const list = byGrantee.get(g.granteePrincipal);
    if (list) list.push(g);
    else byGrantee.set(g.granteePrincipal, [g]);
  }
  return { all: sorted, byGrantee };
}

/** First index whose grant id is not below `id`. */
function position(all: readonly GrantRecord[], id: string): number {
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((all[mid] as GrantRecord).grantId < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The set with `g` added, or replacing the grant of the same id. */
export function withGrant(set: GrantSet, g: GrantRecord): GrantSet {
  const cleared = withoutGrant(set, g.grantId);
  const all = cleared.all.slice();
  all.splice(position(all, g.grantId), 0, g);
  const byGrantee = cleared.byGrantee;
  byGrantee.set(g.granteePrincipal, [...(byGrantee.get(g.granteePrincipal) ?? NONE), g]);
  return { all, byGrantee };
}

/** The set without the grant of that id (the same set when there is none). */
export function withoutGrant(set: GrantSet, grantId: string): GrantSet {
  const i = position(set.all, grantId);
  const old = set.all[i];
  if (old === undefined || old.grantId !== grantId) return set;
  const all = set.all.slice();
  all.splice(i, 1);
  const rest = (set.byGrantee.get(old.granteePrincipal) ?? NONE).filter((x) => x.grantId !== grantId);
  if (rest.length > 0) set.byGrantee.set(old.granteePrincipal, rest);
  else set.byGrantee.delete(old.granteePrincipal);
  return { all, byGrantee: set.byGrantee };
}

/** The grants whose grantee is one of `principals` (a caller's ARN, and its role's for a session). */
export function grantsFor(set: GrantSet, principals: readonly string[]): readonly GrantRecord[] {
  if (principals.length === 1) return set.byGrantee.get(principals[0] as string) ?? NONE;
  return principals.flatMap((p) => set.byGrantee.get(p) ?? NONE);
}
