/** AttachRolePolicy: attaches a customer managed policy to a role. */
import { attachPolicy } from './attachments.ts';

export const attachRolePolicy = attachPolicy('role');
