/** GetRole: the role with its trust policy (URL-encoded on the wire, as IAM answers it), tags and limits. */
import { defineQueryOperation } from '../query-context.ts';
import { requireRole, roleOutput } from './common.ts';

interface Input { RoleName: string }

export const getRole = defineQueryOperation('iam', 'GetRole', async (input: Input, ctx) => ({ Role: roleOutput(await requireRole(ctx, input.RoleName, 'GetRole'), true) }));
