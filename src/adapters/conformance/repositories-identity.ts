/**
 * The IdentityRepository's conformance cases (registered by repositories.ts for each adapter):
 * accounts, IAM users, access keys, roles, groups and their members, inline and managed policies
 * and their attachments, STS sessions; names unique per account and matched without regard to
 * case; lists in lower-case name order; relationships removed with what they relate.
 */
import { StorageConflict } from '../../errors/storage-conflict.ts';
import assert from 'node:assert/strict';
import type { Change } from '../../ports/changes.ts';
import type { Storage } from '../../ports/storage.ts';
import {
  ACCOUNT, accessKey, group, managedPolicy, OTHER_ACCOUNT, role, session, user, type Case,
} from './repositories-fixtures.ts';

const commit = (storage: Storage, ...changes: Change[]) => storage.commit({ changes });
const names = (list: readonly { readonly name: string }[]): string[] => list.map((x) => x.name);

export function identityConformanceCases(run: Case): void {
  run('accounts: added once (a second add keeps the first), listed in id order', async (_keys, storage, ids) => {
    assert.equal(await ids.getAccount(ACCOUNT), undefined);
    await commit(storage, { kind: 'addAccount', account: { accountId: OTHER_ACCOUNT, createDate: 5 } },
      { kind: 'addAccount', account: { accountId: ACCOUNT, createDate: 7 } });
    await commit(storage, { kind: 'addAccount', account: { accountId: ACCOUNT, createDate: 9 } });
    assert.deepEqual(await ids.getAccount(ACCOUNT), { accountId: ACCOUNT, createDate: 7 });
    assert.deepEqual(await ids.listAccounts(), [{ accountId: ACCOUNT, createDate: 7 }, { accountId: OTHER_ACCOUNT, createDate: 5 }]);
  });

  run('users: by name without regard to case, by id, listed by lower-case name per account, replaced, deleted', async (_keys, storage, ids) => {
    const [bob, alice, carol, other] = [user('AIDABOB', 'bob'), user('AIDAALICE', 'Alice'), user('AIDACAROL', 'Carol'), user('AIDAOTHER', 'dave', OTHER_ACCOUNT)];
    await commit(storage, ...[bob, alice, carol, other].map((u) => ({ kind: 'putUser' as const, user: u })));
    assert.deepEqual(await ids.getUser(ACCOUNT, 'ALICE'), alice);
    assert.deepEqual(await ids.getUser(ACCOUNT, 'Bob'), bob);
    assert.equal(await ids.getUser(ACCOUNT, 'dave'), undefined);
    assert.deepEqual(await ids.getUserById('AIDAOTHER'), other);
    assert.deepEqual(names(await ids.listUsers(ACCOUNT)), ['Alice', 'bob', 'Carol']);
    assert.deepEqual(names(await ids.listUsers(OTHER_ACCOUNT)), ['dave']);
    const tagged = { ...bob, tags: [{ Key: 'team', Value: 'blue' }] };
    await commit(storage, { kind: 'putUser', user: tagged });
    assert.deepEqual(await ids.getUser(ACCOUNT, 'bob'), tagged);
    // Names are unique per account without regard to case: another user named BOB is refused…
    await assert.rejects(commit(storage, { kind: 'putUser', user: user('AIDABOB2', 'BOB') }), StorageConflict);
    assert.equal(await ids.getUserById('AIDABOB2'), undefined);
    // …but the name is free in another account.
    await commit(storage, { kind: 'putUser', user: user('AIDABOB3', 'BOB', OTHER_ACCOUNT) });
    await commit(storage, { kind: 'deleteUser', userId: 'AIDABOB' });
    assert.equal(await ids.getUser(ACCOUNT, 'bob'), undefined);
    assert.equal(await ids.getUserById('AIDABOB'), undefined);
    assert.deepEqual(names(await ids.listUsers(ACCOUNT)), ['Alice', 'Carol']);
    // Once deleted, the name can be taken by a new user.
    await commit(storage, { kind: 'putUser', user: user('AIDABOB4', 'Bob') });
    assert.equal((await ids.getUser(ACCOUNT, 'BOB'))?.userId, 'AIDABOB4');
  });

  run('access keys: by id with their secret, listed per owner oldest first, status changed, deleted', async (_keys, storage, ids) => {
    const keys = [accessKey('AKIAB', 'AIDAU', 20), accessKey('AKIAA', 'AIDAU', 20), accessKey('AKIAC', 'AIDAU', 10),
      accessKey('AKIAROOT', 'root', 5), accessKey('AKIAOTHER', 'AIDAU', 1, OTHER_ACCOUNT)];
    await commit(storage, ...keys.map((k) => ({ kind: 'putAccessKey' as const, key: k })));
    assert.deepEqual(await ids.getAccessKey('AKIAB'), keys[0]);
    assert.equal((await ids.getAccessKey('AKIAROOT'))?.secretAccessKey, 'secret-of-AKIAROOT');
    assert.equal(await ids.getAccessKey('AKIAZ'), undefined);
    const listed = async (account: string, owner: string) => (await ids.listAccessKeys(account, owner)).map((k) => k.accessKeyId);
    assert.deepEqual(await listed(ACCOUNT, 'AIDAU'), ['AKIAC', 'AKIAA', 'AKIAB'], 'by creation date, then id');
    assert.deepEqual(await listed(ACCOUNT, 'root'), ['AKIAROOT']);
    assert.deepEqual(await listed(OTHER_ACCOUNT, 'AIDAU'), ['AKIAOTHER']);
    // UpdateAccessKey: the status changes, the secret stays.
    await commit(storage, { kind: 'putAccessKey', key: { ...accessKey('AKIAB', 'AIDAU', 20), status: 'Inactive' } });
    assert.deepEqual(await ids.getAccessKey('AKIAB'), { ...keys[0], status: 'Inactive' });
    await commit(storage, { kind: 'deleteAccessKey', accessKeyId: 'AKIAA' });
    assert.equal(await ids.getAccessKey('AKIAA'), undefined);
    assert.deepEqual(await listed(ACCOUNT, 'AIDAU'), ['AKIAC', 'AKIAB']);
  });

  run('roles: by name without regard to case, by id, listed by lower-case name, a name taken once per account, deleted', async (_keys, storage, ids) => {
    const [b, a] = [role('AROAB', 'Builder'), role('AROAA', 'admin')];
    await commit(storage, { kind: 'putRole', role: b }, { kind: 'putRole', role: a }, { kind: 'putRole', role: role('AROAX', 'x', OTHER_ACCOUNT) });
    assert.deepEqual(await ids.getRole(ACCOUNT, 'admin'), a);
    assert.deepEqual(await ids.getRoleById('AROAB'), b);
    assert.deepEqual(names(await ids.listRoles(ACCOUNT)), ['admin', 'Builder']);
    const described = { ...b, description: 'builds', maxSessionDuration: 7200 };
    await commit(storage, { kind: 'putRole', role: described });
    assert.deepEqual(await ids.getRole(ACCOUNT, 'BUILDER'), described);
    await assert.rejects(commit(storage, { kind: 'putRole', role: role('AROAC', 'ADMIN') }));
    await commit(storage, { kind: 'deleteRole', roleId: 'AROAA' });
    assert.equal(await ids.getRole(ACCOUNT, 'admin'), undefined);
    assert.deepEqual(names(await ids.listRoles(ACCOUNT)), ['Builder']);
  });

  run('groups and members: listed by lower-case name both ways, added once, removed, and gone with their user or group', async (_keys, storage, ids) => {
    const [ops, Dev, qa] = [group('AGPAOPS', 'ops'), group('AGPADEV', 'Dev'), group('AGPAQA', 'qa')];
    const [zed, amy, Bea] = [user('AIDAZED', 'zed'), user('AIDAAMY', 'amy'), user('AIDABEA', 'Bea')];
    await commit(storage, ...[ops, Dev, qa].map((g) => ({ kind: 'putGroup' as const, group: g })),
      ...[zed, amy, Bea].map((u) => ({ kind: 'putUser' as const, user: u })),
      { kind: 'addGroupMember', groupId: 'AGPAOPS', userId: 'AIDAZED' }, { kind: 'addGroupMember', groupId: 'AGPAOPS', userId: 'AIDAAMY' },
      { kind: 'addGroupMember', groupId: 'AGPAOPS', userId: 'AIDABEA' }, { kind: 'addGroupMember', groupId: 'AGPADEV', userId: 'AIDAZED' },
      { kind: 'addGroupMember', groupId: 'AGPAQA', userId: 'AIDAZED' });
    await commit(storage, { kind: 'addGroupMember', groupId: 'AGPAOPS', userId: 'AIDAZED' }); // already a member: no change
    assert.deepEqual(await ids.getGroup(ACCOUNT, 'DEV'), Dev);
    assert.deepEqual(names(await ids.listGroups(ACCOUNT)), ['Dev', 'ops', 'qa']);
    assert.deepEqual(names(await ids.listGroupMembers('AGPAOPS')), ['amy', 'Bea', 'zed']);
    assert.deepEqual(names(await ids.listGroupsForUser('AIDAZED')), ['Dev', 'ops', 'qa']);
    await commit(storage, { kind: 'removeGroupMember', groupId: 'AGPAOPS', userId: 'AIDAAMY' });
    assert.deepEqual(names(await ids.listGroupMembers('AGPAOPS')), ['Bea', 'zed']);
    assert.deepEqual(await ids.listGroupsForUser('AIDAAMY'), []);
    // A deleted group leaves no membership, nor does a deleted user.
    await commit(storage, { kind: 'deleteGroup', groupId: 'AGPADEV' });
    assert.equal(await ids.getGroup(ACCOUNT, 'dev'), undefined);
    assert.deepEqual(names(await ids.listGroupsForUser('AIDAZED')), ['ops', 'qa']);
    await commit(storage, { kind: 'deleteUser', userId: 'AIDAZED' });
    assert.deepEqual(names(await ids.listGroupMembers('AGPAOPS')), ['Bea']);
    assert.deepEqual(await ids.listGroupMembers('AGPAQA'), []);
    // A user and a group re-created under old names start with no membership.
    await commit(storage, { kind: 'putGroup', group: group('AGPADEV2', 'dev') }, { kind: 'putUser', user: user('AIDAZED2', 'zed') });
    assert.deepEqual(await ids.listGroupsForUser('AIDAZED2'), []);
    assert.deepEqual(await ids.listGroupMembers('AGPADEV2'), []);
    // A membership of a group or user that does not exist is refused.
    await assert.rejects(commit(storage, { kind: 'addGroupMember', groupId: 'AGPANONE', userId: 'AIDABEA' }));
    await assert.rejects(commit(storage, { kind: 'addGroupMember', groupId: 'AGPAOPS', userId: 'AIDANONE' }));
    await assert.rejects(commit(storage, { kind: 'putGroup', group: group('AGPAOPS2', 'OPS') }));
  });

  run('inline policies: by name without regard to case, listed by lower-case name per principal, replaced, deleted', async (_keys, storage, ids) => {
    const p = (principalId: string, name: string, document = `{"Sid":"${name}"}`) => ({ principalId, name, document });
    await commit(storage, ...[p('AIDAU', 'write'), p('AIDAU', 'Read'), p('AIDAU', 'admin'), p('AROAR', 'read')]
      .map((policy) => ({ kind: 'putInlinePolicy' as const, policy })));
    assert.deepEqual(await ids.getInlinePolicy('AIDAU', 'READ'), p('AIDAU', 'Read'));
    assert.equal(await ids.getInlinePolicy('AIDAX', 'read'), undefined);
    assert.deepEqual(names(await ids.listInlinePolicies('AIDAU')), ['admin', 'Read', 'write']);
    assert.deepEqual(await ids.listInlinePolicies('AROAR'), [p('AROAR', 'read')]);
    // PutUserPolicy under the name in another case replaces the policy, name included.
    await commit(storage, { kind: 'putInlinePolicy', policy: p('AIDAU', 'READ', '{"v":2}') });
    assert.deepEqual(await ids.getInlinePolicy('AIDAU', 'read'), p('AIDAU', 'READ', '{"v":2}'));
    assert.equal((await ids.listInlinePolicies('AIDAU')).length, 3);
    await commit(storage, { kind: 'deleteInlinePolicy', principalId: 'AIDAU', name: 'Write' });
    assert.deepEqual(names(await ids.listInlinePolicies('AIDAU')), ['admin', 'READ']);
    assert.deepEqual(await ids.listInlinePolicies('AROAR'), [p('AROAR', 'read')]);
  });

  run('managed policies: by ARN and by name, listed by lower-case name, attached once, counted, deleted only when detached', async (_keys, storage, ids) => {
    const [z, a, m] = [managedPolicy('ANPAZ', 'Zeta'), managedPolicy('ANPAA', 'alpha'), managedPolicy('ANPAM', 'mu')];
    await commit(storage, ...[z, a, m].map((policy) => ({ kind: 'putManagedPolicy' as const, policy })),
      { kind: 'putManagedPolicy', policy: managedPolicy('ANPAO', 'other', OTHER_ACCOUNT) });
    assert.deepEqual(await ids.getManagedPolicy(a.arn), a);
    assert.deepEqual(await ids.getManagedPolicyByName(ACCOUNT, 'ALPHA'), a);
    assert.equal(await ids.getManagedPolicyByName(ACCOUNT, 'other'), undefined);
    assert.deepEqual(names(await ids.listManagedPolicies(ACCOUNT)), ['alpha', 'mu', 'Zeta']);
    await assert.rejects(commit(storage, { kind: 'putManagedPolicy', policy: managedPolicy('ANPAB', 'zeta') }));
    await commit(storage, { kind: 'attachPolicy', principalId: 'AIDAU', policyArn: z.arn }, { kind: 'attachPolicy', principalId: 'AIDAU', policyArn: a.arn },
      { kind: 'attachPolicy', principalId: 'AGPAG', policyArn: z.arn }, { kind: 'attachPolicy', principalId: 'AIDAU', policyArn: z.arn });
    assert.deepEqual(names(await ids.listAttachedPolicies('AIDAU')), ['alpha', 'Zeta']);
    assert.deepEqual(names(await ids.listAttachedPolicies('AGPAG')), ['Zeta']);
    assert.equal(await ids.countAttachments(z.arn), 2, 'attaching twice is one attachment');
    assert.equal(await ids.countAttachments(m.arn), 0);
    // An attachment needs its policy; a policy still attached cannot be deleted.
    await assert.rejects(commit(storage, { kind: 'attachPolicy', principalId: 'AIDAU', policyArn: managedPolicy('ANPAN', 'none').arn }));
    await assert.rejects(commit(storage, { kind: 'deleteManagedPolicy', arn: z.arn }));
    assert.deepEqual(await ids.getManagedPolicy(z.arn), z);
    const updated = { ...z, document: '{"v":2}', updateDate: 2 };
    await commit(storage, { kind: 'putManagedPolicy', policy: updated });
    assert.deepEqual(await ids.listAttachedPolicies('AGPAG'), [updated]);
    await commit(storage, { kind: 'detachPolicy', principalId: 'AIDAU', policyArn: z.arn }, { kind: 'detachPolicy', principalId: 'AGPAG', policyArn: z.arn });
    assert.equal(await ids.countAttachments(z.arn), 0);
    assert.deepEqual(names(await ids.listAttachedPolicies('AIDAU')), ['alpha']);
    await commit(storage, { kind: 'deleteManagedPolicy', arn: z.arn });
    assert.equal(await ids.getManagedPolicy(z.arn), undefined);
    assert.deepEqual(names(await ids.listManagedPolicies(ACCOUNT)), ['alpha', 'mu']);
  });

  run('a renamed user, role, group or managed policy is found under its new name only, and cannot take a name in use', async (_keys, storage, ids) => {
    await commit(storage, { kind: 'putUser', user: user('AIDAU', 'old') }, { kind: 'putUser', user: user('AIDAT', 'taken') },
      { kind: 'putRole', role: role('AROAR', 'old') }, { kind: 'putGroup', group: group('AGPAG', 'old') },
      { kind: 'putManagedPolicy', policy: managedPolicy('ANPAP', 'old') });
    await commit(storage, { kind: 'putUser', user: user('AIDAU', 'New') }, { kind: 'putRole', role: role('AROAR', 'New') },
      { kind: 'putGroup', group: group('AGPAG', 'New') }, { kind: 'putManagedPolicy', policy: { ...managedPolicy('ANPAP', 'New'), arn: managedPolicy('ANPAP', 'old').arn } });
    assert.equal((await ids.getUser(ACCOUNT, 'new'))?.userId, 'AIDAU');
    assert.equal(await ids.getUser(ACCOUNT, 'old'), undefined);
    assert.equal((await ids.getRole(ACCOUNT, 'new'))?.roleId, 'AROAR');
    assert.equal(await ids.getRole(ACCOUNT, 'old'), undefined);
    assert.equal((await ids.getGroup(ACCOUNT, 'new'))?.groupId, 'AGPAG');
    assert.equal(await ids.getGroup(ACCOUNT, 'old'), undefined);
    assert.equal((await ids.getManagedPolicyByName(ACCOUNT, 'new'))?.policyId, 'ANPAP');
    assert.equal(await ids.getManagedPolicyByName(ACCOUNT, 'old'), undefined);
    assert.deepEqual(names(await ids.listUsers(ACCOUNT)), ['New', 'taken']);
    await assert.rejects(commit(storage, { kind: 'putUser', user: user('AIDAU', 'TAKEN') }));
  }, 'renames');

  run('sessions: read back with their secret and token hash; purgeSessions removes those that expired before the time', async (_keys, storage, ids) => {
    const [early, edge, late] = [session('ASIAEARLY', 100), session('ASIAEDGE', 200), session('ASIALATE', 300)];
    await commit(storage, ...[early, edge, late].map((s) => ({ kind: 'putSession' as const, session: s })));
    assert.deepEqual(await ids.getSession('ASIAEARLY'), early);
    assert.equal(await ids.getSession('ASIANONE'), undefined);
    await commit(storage, { kind: 'purgeSessions', before: 200 });
    assert.equal(await ids.getSession('ASIAEARLY'), undefined);
    assert.deepEqual(await ids.getSession('ASIAEDGE'), edge, 'expiring exactly at the time is kept');
    assert.deepEqual(await ids.getSession('ASIALATE'), late);
  });
}
