/** DeleteRolePolicy: removes an inline policy of a role. */
import { deleteInlinePolicy } from './inline-policies.ts';

export const deleteRolePolicy = deleteInlinePolicy('role');
