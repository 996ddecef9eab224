/** DetachUserPolicy: detaches a managed policy from a user. */
import { detachPolicy } from './attachments.ts';

export const detachUserPolicy = detachPolicy('user');
