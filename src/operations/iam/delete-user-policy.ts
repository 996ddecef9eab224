/** DeleteUserPolicy: removes an inline policy of a user. */
import { deleteInlinePolicy } from './inline-policies.ts';

export const deleteUserPolicy = deleteInlinePolicy('user');
