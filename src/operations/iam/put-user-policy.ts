/** PutUserPolicy: adds or replaces an inline policy of a user. */
import { putInlinePolicy } from './inline-policies.ts';

export const putUserPolicy = putInlinePolicy('user');
