/** PutGroupPolicy: adds or replaces an inline policy of a group. */
import { putInlinePolicy } from './inline-policies.ts';

export const putGroupPolicy = putInlinePolicy('group');
