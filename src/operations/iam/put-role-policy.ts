/** PutRolePolicy: adds or replaces an inline policy of a role. */
import { putInlinePolicy } from './inline-policies.ts';

export const putRolePolicy = putInlinePolicy('role');
