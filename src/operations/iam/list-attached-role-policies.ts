/** ListAttachedRolePolicies: the managed policies attached to a role, paged. */
import { listAttachedPolicies } from './attachments.ts';

export const listAttachedRolePolicies = listAttachedPolicies('role');
