/** DeleteGroupPolicy: removes an inline policy of a group. */
import { deleteInlinePolicy } from './inline-policies.ts';

export const deleteGroupPolicy = deleteInlinePolicy('group');
