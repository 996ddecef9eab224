/** DetachRolePolicy: detaches a managed policy from a role. */
import { detachPolicy } from './attachments.ts';

export const detachRolePolicy = detachPolicy('role');
