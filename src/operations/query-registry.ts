/** Every IAM and STS operation Coffer answers (AWS Query protocol), keyed by service and action. */
import type { QueryOperation, QueryService } from './query-context.ts';
import { addUserToGroup } from './iam/add-user-to-group.ts';
import { attachGroupPolicy } from './iam/attach-group-policy.ts';
import { attachRolePolicy } from './iam/attach-role-policy.ts';
import { attachUserPolicy } from './iam/attach-user-policy.ts';
import { createAccessKey } from './iam/create-access-key.ts';
import { createGroup } from './iam/create-group.ts';
import { createPolicy } from './iam/create-policy.ts';
import { createRole } from './iam/create-role.ts';
import { createUser } from './iam/create-user.ts';
import { deleteAccessKey } from './iam/delete-access-key.ts';
import { deleteGroupPolicy } from './iam/delete-group-policy.ts';
import { deleteGroup } from './iam/delete-group.ts';
import { deletePolicy } from './iam/delete-policy.ts';
import { deleteRolePolicy } from './iam/delete-role-policy.ts';
import { deleteRole } from './iam/delete-role.ts';
import { deleteUserPolicy } from './iam/delete-user-policy.ts';
import { deleteUser } from './iam/delete-user.ts';
import { detachGroupPolicy } from './iam/detach-group-policy.ts';
import { detachRolePolicy } from './iam/detach-role-policy.ts';
import { detachUserPolicy } from './iam/detach-user-policy.ts';
import { getGroupPolicy } from './iam/get-group-policy.ts';
import { getGroup } from './iam/get-group.ts';
import { getPolicyVersion } from './iam/get-policy-version.ts';
import { getPolicy } from './iam/get-policy.ts';
import { getRolePolicy } from './iam/get-role-policy.ts';
import { getRole } from './iam/get-role.ts';
import { getUserPolicy } from './iam/get-user-policy.ts';
import { getUser } from './iam/get-user.ts';
import { listAccessKeys } from './iam/list-access-keys.ts';
import { listAttachedGroupPolicies } from './iam/list-attached-group-policies.ts';
import { listAttachedRolePolicies } from './iam/list-attached-role-policies.ts';
import { listAttachedUserPolicies } from './iam/list-attached-user-policies.ts';
import { listGroupPolicies } from './iam/list-group-policies.ts';
import { listGroupsForUser } from './iam/list-groups-for-user.ts';
import { listGroups } from './iam/list-groups.ts';
import { listPolicies } from './iam/list-policies.ts';
import { listRolePolicies } from './iam/list-role-policies.ts';
import { listRoleTags } from './iam/list-role-tags.ts';
import { listRoles } from './iam/list-roles.ts';
import { listUserPolicies } from './iam/list-user-policies.ts';
import { listUserTags } from './iam/list-user-tags.ts';
import { listUsers } from './iam/list-users.ts';
import { putGroupPolicy } from './iam/put-group-policy.ts';
import { putRolePolicy } from './iam/put-role-policy.ts';
import { putUserPolicy } from './iam/put-user-policy.ts';
import { removeUserFromGroup } from './iam/remove-user-from-group.ts';
import { tagRole } from './iam/tag-role.ts';
import { tagUser } from './iam/tag-user.ts';
import { untagRole } from './iam/untag-role.ts';
import { untagUser } from './iam/untag-user.ts';
import { updateAccessKey } from './iam/update-access-key.ts';
import { updateAssumeRolePolicy } from './iam/update-assume-role-policy.ts';
import { assumeRole } from './sts/assume-role.ts';
import { getCallerIdentity } from './sts/get-caller-identity.ts';

const IAM: readonly QueryOperation[] = [
  addUserToGroup, attachGroupPolicy, attachRolePolicy, attachUserPolicy, createAccessKey, createGroup,
  createPolicy, createRole, createUser, deleteAccessKey, deleteGroupPolicy, deleteGroup, deletePolicy,
  deleteRolePolicy, deleteRole, deleteUserPolicy, deleteUser, detachGroupPolicy, detachRolePolicy,
  detachUserPolicy, getGroupPolicy, getGroup, getPolicyVersion, getPolicy, getRolePolicy, getRole,
  getUserPolicy, getUser, listAccessKeys, listAttachedGroupPolicies, listAttachedRolePolicies,
  listAttachedUserPolicies, listGroupPolicies, listGroupsForUser, listGroups, listPolicies, listRolePolicies,
  listRoleTags, listRoles, listUserPolicies, listUserTags, listUsers, putGroupPolicy, putRolePolicy,
  putUserPolicy, removeUserFromGroup, tagRole, tagUser, untagRole, untagUser, updateAccessKey,
  updateAssumeRolePolicy,
];
const STS: readonly QueryOperation[] = [assumeRole, getCallerIdentity];

function byName(ops: readonly QueryOperation[], service: QueryService): ReadonlyMap<string, QueryOperation> {
  const m = new Map<string, QueryOperation>();
  for (const op of ops) {
    if (op.service !== service || m.has(op.name)) throw new Error(`query registry: ${service} ${op.name} misplaced or duplicated`);
    m.set(op.name, op);
  }
  return m;
}

export const QUERY_OPERATIONS: Readonly<Record<QueryService, ReadonlyMap<string, QueryOperation>>> = {
  iam: byName(IAM, 'iam'),
  sts: byName(STS, 'sts'),
};
