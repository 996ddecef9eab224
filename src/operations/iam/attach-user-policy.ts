/** AttachUserPolicy: attaches a customer managed policy to a user. */
import { attachPolicy } from './attachments.ts';

export const attachUserPolicy = attachPolicy('user');
