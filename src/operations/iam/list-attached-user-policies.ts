/** ListAttachedUserPolicies: the managed policies attached to a user, paged. */
import { listAttachedPolicies } from './attachments.ts';

export const listAttachedUserPolicies = listAttachedPolicies('user');
