/** GetGroupPolicy: one inline policy of a group (the document URL-encoded on the wire, as IAM answers it). */
import { getInlinePolicy } from './inline-policies.ts';

export const getGroupPolicy = getInlinePolicy('group');
