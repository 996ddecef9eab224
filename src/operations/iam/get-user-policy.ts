/** GetUserPolicy: one inline policy of a user (the document URL-encoded on the wire, as IAM answers it). */
import { getInlinePolicy } from './inline-policies.ts';

export const getUserPolicy = getInlinePolicy('user');
