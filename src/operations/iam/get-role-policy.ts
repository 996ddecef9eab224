/** GetRolePolicy: one inline policy of a role (the document URL-encoded on the wire, as IAM answers it). */
import { getInlinePolicy } from './inline-policies.ts';

export const getRolePolicy = getInlinePolicy('role');
