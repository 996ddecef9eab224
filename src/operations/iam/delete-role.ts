/**
 * DeleteRole: only a role without inline or attached policies, as in IAM. Sessions already issued
 * stay authenticated until they expire but lose every permission (their role is gone).
 */
import { DeleteConflictError } from '../../errors/query-errors.ts';
import { defineQueryOperation } from '../query-context.ts';
import { requireRole } from './common.ts';

interface Input { RoleName: string }

export const deleteRole = defineQueryOperation('iam', 'DeleteRole', async (input: Input, ctx) => {
  const repo = ctx.identities;
  const role = await requireRole(ctx, input.RoleName, 'DeleteRole');
  if ((await repo.listInlinePolicies(role.roleId)).length > 0) throw new DeleteConflictError('Cannot delete entity, must delete policies first.');
  if ((await repo.listAttachedPolicies(role.roleId)).length > 0) throw new DeleteConflictError('Cannot delete entity, must detach all policies first.');
  repo.deleteRole(role.roleId);
  return undefined;
});
