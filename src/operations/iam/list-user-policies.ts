/** ListUserPolicies: the names of a user's inline policies, paged. */
import { listInlinePolicies } from './inline-policies.ts';

export const listUserPolicies = listInlinePolicies('user');
