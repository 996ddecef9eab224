/** AttachGroupPolicy: attaches a customer managed policy to a group. */
import { attachPolicy } from './attachments.ts';

export const attachGroupPolicy = attachPolicy('group');
