/** ListGroupPolicies: the names of a group's inline policies, paged. */
import { listInlinePolicies } from './inline-policies.ts';

export const listGroupPolicies = listInlinePolicies('group');
