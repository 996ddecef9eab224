/** ListRolePolicies: the names of a role's inline policies, paged. */
import { listInlinePolicies } from './inline-policies.ts';

export const listRolePolicies = listInlinePolicies('role');
