/**
 * A refusal whose change set is still committed, with the call's record (the failed-login counter
 * behind an HSM user's lockout, design/hsm-tier.md §3.2): the operation records its writes, then
 * throws the error marked with `commitChanges`. Only mutating operations can do so.
 */
export function committedRefusal<E extends Error>(e: E): E & { readonly commitChanges: true } {
  return Object.assign(e, { commitChanges: true as const });
}

export const commitsChanges = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && (e as { commitChanges?: unknown }).commitChanges === true;
