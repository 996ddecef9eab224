/** DetachGroupPolicy: detaches a managed policy from a group. */
import { detachPolicy } from './attachments.ts';

export const detachGroupPolicy = detachPolicy('group');
