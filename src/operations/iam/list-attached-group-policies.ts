/** ListAttachedGroupPolicies: the managed policies attached to a group, paged. */
import { listAttachedPolicies } from './attachments.ts';

export const listAttachedGroupPolicies = listAttachedPolicies('group');
