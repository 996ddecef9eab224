/**
 * The CloudHSMv2 operations in process, over the in-memory storage: each call's change set is
 * committed as the pipeline would. The certificate checker is injected (its failure and success
 * paths), the IAM decision too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openMemoryStorage } from '../../adapters/storage/memory.ts';
import { createSecretBox } from '../../adapters/keystore/secret-box.ts';
import { CLOUDHSM_OPERATIONS } from './registry.ts';
import type { CloudHsmContext, ClusterCertificateChecker } from './context.ts';
import type { Caller } from '../context.ts';
import { INITIALIZE_MESSAGE, subnetPrefixOf, withHsm, type ClusterRecord } from '../../domain/cluster.ts';
import { CloudHsmAccessDeniedException } from '../../errors/cloudhsm-errors.ts';
import { COFFER_HSM_OPERATIONS } from './hsm-data-plane.ts';
import { hashPassword } from '../../domain/hsm-users.ts';
import { parseHsmPool, type HsmPool } from '../../domain/hsm-pool.ts';
import { pinSealId } from '../../domain/cluster.ts';

const caller: Caller = { type: 'Root', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:root', userId: '111122223333', accessKeyId: 'AKIA' } as Caller;

function setup(opts: { checker?: ClusterCertificateChecker; deny?: boolean; hsmModule?: boolean; hsmPool?: HsmPool } = {}) {
  const m = openMemoryStorage();
  const key = randomBytes(32);
  const secrets = createSecretBox({ activeId: 'dk-1', key: () => key });
  let kicks = 0;
  const checked: unknown[][] = [];
  const context = (): CloudHsmContext => ({
      requestId: 'r', caller, region: 'us-east-1', request: { sourceIp: '127.0.0.1', userAgent: 'test' } as CloudHsmContext['request'],
      resources: new Set(), clusters: m.clusters, uow: { changes: [] }, now: () => 1_700_000_000_000,
      authorize: async (action, resource) => { if (opts.deny === true) throw new CloudHsmAccessDeniedException(`denied ${action} on ${resource}`); },
      seal: (id, s) => secrets.seal(id, s), hsmModule: opts.hsmModule ?? true, hsmPool: opts.hsmPool, hsm: { module: undefined, secrets },
      loginAttempts: 5,
      checkCertificates: (...args) => { checked.push(args); return (opts.checker ?? (() => ({ ok: true, lineageId: 'lin' })))(...args); },
      kick: () => { kicks++; },
  });
  const call = async (name: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const ctx = context();
    const op = CLOUDHSM_OPERATIONS.get(name) ?? COFFER_HSM_OPERATIONS.get(name);
    assert.ok(op, name);
    const out = await op.run(input, ctx) as Record<string, unknown>;
    await m.storage.commit({ changes: ctx.uow.changes });
    return out;
  };
  const get = async (id: string) => await m.clusters.getCluster(id) as ClusterRecord;
  const set = (c: ClusterRecord) => m.storage.commit({ changes: [{ kind: 'putCluster', cluster: c }] });
  return { call, get, set, kicks: () => kicks, checked, context, secrets };
}

const create = async (s: ReturnType<typeof setup>, extra: Record<string, unknown> = {}): Promise<string> => {
  const out = await s.call('CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3e'], ...extra });
  return (out.Cluster as { ClusterId: string }).ClusterId;
};

test('CreateCluster: the synthesised cluster, its rules and the quota of 4 clusters', async () => {
  const s = setup();
  const out = await s.call('CreateCluster', { HsmType: 'hsm1.medium', SubnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3e'], Mode: 'NON_FIPS', BackupRetentionPolicy: { Type: 'DAYS', Value: '30' }, TagList: [{ Key: 'a', Value: 'b' }] });
  const c = out.Cluster as Record<string, unknown>;
  assert.equal(c.State, 'CREATE_IN_PROGRESS');
  assert.deepEqual(c.SubnetMapping, { 'us-east-1a': 'subnet-0a1b2c3d', 'us-east-1b': 'subnet-0a1b2c3e' });
  assert.deepEqual(c.BackupRetentionPolicy, { Type: 'DAYS', Value: '30' });
  assert.equal(c.BackupPolicy, 'DEFAULT');
  assert.equal(c.Mode, 'NON_FIPS');
  assert.deepEqual(c.TagList, [{ Key: 'a', Value: 'b' }]);
  assert.equal(s.kicks(), 1);
  await assert.rejects(s.call('CreateCluster', { HsmType: 'hsm3.large', SubnetIds: ['subnet-0a1b2c3d'] }), { name: 'CloudHsmInvalidRequestException', message: /Invalid HSM type/ });
  await assert.rejects(s.call('CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d'], BackupRetentionPolicy: { Type: 'DAYS', Value: '380' } }), { name: 'CloudHsmInvalidRequestException' });
  await assert.rejects(s.call('CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d'], SourceBackupId: 'backup-aaaaaaaaaaa' }), { name: 'CloudHsmInvalidRequestException', message: /not supported yet/ });
  await assert.rejects(s.call('CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d'], TagList: [{ Key: 'aws:x', Value: 'y' }] }), { name: 'CloudHsmTagException' });
  for (let i = 0; i < 3; i++) await create(s);
  await assert.rejects(create(s), { name: 'CloudHsmInvalidRequestException', message: /most it may have \(4\)/ });
});

test('CreateHsm: AZ of the mapping, an address in the subnet /24, the HSM quotas, and no module → CloudHsmInternalFailureException', async () => {
  const s = setup();
  const id = await create(s);
  await s.set({ ...await s.get(id), state: 'UNINITIALIZED' });
  await assert.rejects(s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1c' }), { name: 'CloudHsmInvalidRequestException', message: /not in the cluster's subnet mapping/ });
  await assert.rejects(s.call('CreateHsm', { ClusterId: 'cluster-zzzzzzzzzzz', AvailabilityZone: 'us-east-1a' }), { name: 'CloudHsmResourceNotFoundException' });
  const prefix = subnetPrefixOf('subnet-0a1b2c3e');
  const hsm = (await s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1b', IpAddress: `${prefix}.77` })).Hsm as Record<string, string>;
  assert.equal(hsm.State, 'CREATE_IN_PROGRESS');
  assert.equal(hsm.EniIp, `${prefix}.77`);
  assert.match(hsm.HsmId as string, /^hsm-[a-z2-7]{11}$/);
  assert.match(hsm.EniId as string, /^eni-[0-9a-f]{17}$/);
  await assert.rejects(s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1b', IpAddress: `${prefix}.77` }), { message: /already in use/ });
  await assert.rejects(s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1b', IpAddress: '192.168.1.1' }), { message: /not in the subnet/ });
  // PINs are stored sealed only.
  const stored = (await s.get(id)).hsms[0];
  assert.ok(stored !== undefined && stored.soPinSealed.startsWith('dk-1:'));
  for (let i = 0; i < 5; i++) await s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1a' });
  await assert.rejects(s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1a' }), { name: 'CloudHsmInvalidRequestException', message: /most it may have \(6\)/ });
  const none = setup({ hsmModule: false });
  const other = await create(none);
  await none.set({ ...await none.get(other), state: 'UNINITIALIZED' });
  await assert.rejects(none.call('CreateHsm', { ClusterId: other, AvailabilityZone: 'us-east-1a' }), { name: 'CloudHsmInternalFailureException', message: /No HSM module/ });
});

test('InitializeCluster: state and HSM rules; the checker refuses with its reason, or the cluster stores the certificates and goes INITIALIZE_IN_PROGRESS', async () => {
  let verdict: Awaited<ReturnType<ClusterCertificateChecker>> = { ok: false, reason: 'The trust anchor is not self-signed.' };
  const s = setup({ checker: () => verdict });
  const id = await create(s);
  const init = { ClusterId: id, SignedCert: 'SIGNED', TrustAnchor: 'ANCHOR' };
  await assert.rejects(s.call('InitializeCluster', init), { name: 'CloudHsmInvalidRequestException', message: /CREATE_IN_PROGRESS/ });
  await s.set({ ...await s.get(id), state: 'UNINITIALIZED' });
  await assert.rejects(s.call('InitializeCluster', init), { message: /no ACTIVE HSM/ });
  await s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1a' });
  const c = await s.get(id);
  await s.set({ ...withHsm(c, c.hsms[0]?.hsmId as string, { state: 'ACTIVE' }), clusterCsr: 'CSR' });
  await assert.rejects(s.call('InitializeCluster', init), { name: 'CloudHsmInvalidRequestException', message: 'The trust anchor is not self-signed.' });
  assert.deepEqual(s.checked.at(-1)?.slice(0, 3), ['CSR', 'SIGNED', 'ANCHOR']);
  assert.equal((await s.get(id)).state, 'UNINITIALIZED');
  verdict = { ok: true, lineageId: 'abc123' };
  assert.deepEqual(await s.call('InitializeCluster', init), { State: 'INITIALIZE_IN_PROGRESS', StateMessage: INITIALIZE_MESSAGE });
  const after = await s.get(id);
  assert.equal(after.state, 'INITIALIZE_IN_PROGRESS');
  assert.equal(after.clusterCertificate, 'SIGNED');
  assert.equal(after.trustAnchor, 'ANCHOR');
  assert.equal(after.lineageId, 'abc123');
  await assert.rejects(s.call('InitializeCluster', init), { message: /INITIALIZE_IN_PROGRESS/ });
});

test('DeleteHsm by HsmId, EniId or EniIp; DeleteCluster needs 0 HSMs; ModifyCluster changes the retention only', async () => {
  const s = setup();
  const id = await create(s);
  await s.set({ ...await s.get(id), state: 'UNINITIALIZED' });
  const hsm = (await s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1a' })).Hsm as Record<string, string>;
  await assert.rejects(s.call('DeleteHsm', { ClusterId: id }), { message: /exactly one/ });
  await assert.rejects(s.call('DeleteHsm', { ClusterId: id, EniIp: '10.9.9.9' }), { name: 'CloudHsmResourceNotFoundException' });
  await assert.rejects(s.call('DeleteCluster', { ClusterId: id }), { name: 'CloudHsmInvalidRequestException', message: /still has 1 HSM/ });
  assert.deepEqual(await s.call('DeleteHsm', { ClusterId: id, EniIp: hsm.EniIp }), { HsmId: hsm.HsmId });
  assert.equal((await s.get(id)).hsms[0]?.state, 'DELETE_IN_PROGRESS');
  assert.deepEqual(await s.call('DeleteHsm', { ClusterId: id, EniId: hsm.EniId }), { HsmId: hsm.HsmId });
  await s.set({ ...await s.get(id), hsms: [] });
  const modified = (await s.call('ModifyCluster', { ClusterId: id, BackupRetentionPolicy: { Type: 'DAYS', Value: '8' } })).Cluster as Record<string, unknown>;
  assert.deepEqual(modified.BackupRetentionPolicy, { Type: 'DAYS', Value: '8' });
  await assert.rejects(s.call('ModifyCluster', { ClusterId: id, HsmType: 'hsm1.medium' }), { message: /not supported yet/ });
  const deleted = (await s.call('DeleteCluster', { ClusterId: id })).Cluster as Record<string, unknown>;
  assert.equal(deleted.State, 'DELETE_IN_PROGRESS');
  await assert.rejects(s.call('DeleteCluster', { ClusterId: id }), { message: /already being deleted/ });
});

test('tags: merge, limit of 50, reserved prefix, untag, paged list; a backup id is not found', async () => {
  const s = setup();
  const id = await create(s, { TagList: [{ Key: 'a', Value: '1' }] });
  await s.call('TagResource', { ResourceId: id, TagList: [{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }] });
  assert.deepEqual((await s.call('ListTags', { ResourceId: id })).TagList, [{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }]);
  const page = await s.call('ListTags', { ResourceId: id, MaxResults: 1 });
  assert.deepEqual(page.TagList, [{ Key: 'a', Value: '2' }]);
  assert.deepEqual((await s.call('ListTags', { ResourceId: id, NextToken: page.NextToken })).TagList, [{ Key: 'b', Value: '3' }]);
  await assert.rejects(s.call('TagResource', { ResourceId: id, TagList: Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }), { name: 'CloudHsmTagException', message: /at most 50/ });
  await assert.rejects(s.call('TagResource', { ResourceId: id, TagList: [{ Key: 'AWS:x', Value: 'v' }] }), { name: 'CloudHsmTagException' });
  await s.call('UntagResource', { ResourceId: id, TagKeyList: ['a', 'zz'] });
  assert.deepEqual((await s.call('ListTags', { ResourceId: id })).TagList, [{ Key: 'b', Value: '3' }]);
  await assert.rejects(s.call('ListTags', { ResourceId: 'backup-aaaaaaaaaaa' }), { name: 'CloudHsmResourceNotFoundException' });
});

test('DescribeClusters: filters, pages and bad filters; an IAM deny is CloudHsmAccessDeniedException', async () => {
  const s = setup();
  const ids = [await create(s), await create(s), await create(s)].sort();
  await s.set({ ...await s.get(ids[0] as string), state: 'UNINITIALIZED' });
  const all = await s.call('DescribeClusters', {});
  assert.deepEqual((all.Clusters as { ClusterId: string }[]).map((c) => c.ClusterId), ids);
  const first = await s.call('DescribeClusters', { MaxResults: 2 });
  assert.equal((first.Clusters as unknown[]).length, 2);
  const rest = await s.call('DescribeClusters', { MaxResults: 2, NextToken: first.NextToken });
  assert.deepEqual((rest.Clusters as { ClusterId: string }[]).map((c) => c.ClusterId), [ids[2]]);
  assert.equal(rest.NextToken, undefined);
  assert.deepEqual(((await s.call('DescribeClusters', { Filters: { states: ['UNINITIALIZED'] } })).Clusters as { ClusterId: string }[]).map((c) => c.ClusterId), [ids[0]]);
  assert.deepEqual(((await s.call('DescribeClusters', { Filters: { clusterIds: [ids[1]] } })).Clusters as { ClusterId: string }[]).map((c) => c.ClusterId), [ids[1]]);
  assert.equal(((await s.call('DescribeClusters', { Filters: { vpcIds: ['vpc-0'] } })).Clusters as unknown[]).length, 0);
  await assert.rejects(s.call('DescribeClusters', { Filters: { colour: ['red'] } }), { message: /Invalid filter/ });
  await assert.rejects(s.call('DescribeClusters', { Filters: { states: ['HAPPY'] } }), { message: /Invalid cluster state/ });
  await assert.rejects(s.call('DescribeClusters', { NextToken: 'garbage' }), { message: /NextToken/ });
  const denied = setup({ deny: true });
  await assert.rejects(denied.call('DescribeClusters', {}), { name: 'CloudHsmAccessDeniedException' });
  await assert.rejects(denied.call('DeleteCluster', { ClusterId: ids[0] }), { name: 'CloudHsmAccessDeniedException', message: /cloudhsm:DeleteCluster on arn:aws:cloudhsm:us-east-1:111122223333:cluster\// });
});

test('data plane: ActivateCluster needs INITIALIZED and a valid password; CreateUser/DeleteUser need admin HSM credentials (one refusal for any wrong part); ListUsers shows no secret; IAM deny first', async () => {
  const s = setup();
  const id = await create(s);
  const initialized = { ...await s.get(id), state: 'INITIALIZED' as const, users: [{ username: 'admin', role: 'admin' as const, partitions: {} }] };
  await s.set(initialized);
  await assert.rejects(s.call('ActivateCluster', { ClusterId: id, Password: 'short' }), { name: 'CloudHsmInvalidRequestException', message: /8 to 32/ });
  await assert.rejects(s.call('CreateUser', { ClusterId: id, Username: 'u1', Role: 'admin', Password: 'password-1', Auth: { Username: 'admin', Role: 'admin', Password: 'whatever1' } }),
    { name: 'CloudHsmInvalidRequestException', message: /INITIALIZED/ });
  assert.deepEqual(await s.call('ActivateCluster', { ClusterId: id, Password: 'admin-pass-1' }), { ClusterId: id, State: 'ACTIVE' });
  const active = await s.get(id);
  assert.equal(active.state, 'ACTIVE');
  assert.ok(!JSON.stringify(active).includes('admin-pass-1'));
  await assert.rejects(s.call('ActivateCluster', { ClusterId: id, Password: 'admin-pass-1' }), { name: 'CloudHsmInvalidRequestException', message: /only an INITIALIZED cluster/ });

  const base = { ClusterId: id, Username: 'admin2', Role: 'admin', Password: 'password-2' };
  for (const Auth of [undefined, { Username: 'admin', Role: 'admin', Password: 'admin-pass-2' }, { Username: 'admin', Role: 'crypto-user', Password: 'admin-pass-1' }, { Username: 'x', Role: 'admin', Password: 'admin-pass-1' }]) {
    await assert.rejects(s.call('CreateUser', { ...base, ...(Auth !== undefined ? { Auth } : {}) }), (e: unknown) => {
      assert.equal((e as Error).name, 'CloudHsmAccessDeniedException');
      assert.ok(!(e as Error).message.includes('admin-pass'));
      return true;
    });
  }
  const auth = { Username: 'admin', Role: 'admin', Password: 'admin-pass-1' };
  await assert.rejects(s.call('CreateUser', { ...base, Role: 'auditor', Auth: auth }), { name: 'CloudHsmInvalidRequestException', message: /Role/ });
  await assert.rejects(s.call('CreateUser', { ...base, Username: 'bad name', Auth: auth }), { name: 'CloudHsmInvalidRequestException', message: /username/ });
  // A crypto user needs the HSM module (none here): refused before anything is stored.
  await assert.rejects(s.call('CreateUser', { ...base, Username: 'cu', Role: 'crypto-user', Auth: auth }), { name: 'CloudHsmInvalidRequestException', message: /No HSM module/ });
  assert.deepEqual(await s.call('CreateUser', { ...base, Auth: auth }), { Username: 'admin2', Role: 'admin' });
  const listed = await s.call('ListUsers', { ClusterId: id });
  assert.deepEqual((listed.Users as { Username: string; Role: string }[]).map((u) => [u.Username, u.Role]), [['admin', 'admin'], ['admin2', 'admin']]);
  assert.ok(!JSON.stringify(listed).includes('scrypt'));
  // The user itself may change its own password with its current one; not another's.
  assert.deepEqual(await s.call('ChangePassword', { ClusterId: id, Username: 'admin2', Password: 'password-3', Auth: { Username: 'admin2', Role: 'admin', Password: 'password-2' } }), { Username: 'admin2', Role: 'admin' });
  await assert.rejects(s.call('ChangePassword', { ClusterId: id, Username: 'admin2', Password: 'password-4', Auth: { Username: 'admin2', Role: 'admin', Password: 'password-2' } }), { name: 'CloudHsmAccessDeniedException' });
  assert.deepEqual(await s.call('DeleteUser', { ClusterId: id, Username: 'admin2', Auth: auth }), { Username: 'admin2', Role: 'admin' });
  await assert.rejects(s.call('DeleteUser', { ClusterId: id, Username: 'admin', Auth: auth }), { name: 'CloudHsmInvalidRequestException', message: /last admin/ });
  assert.ok((await hashPassword('x-password')).startsWith('scrypt$'));

  const denied = setup({ deny: true });
  await assert.rejects(denied.call('ListUsers', { ClusterId: id }), { name: 'CloudHsmAccessDeniedException', message: /cloudhsm:ListUsers/ });
});

test('data plane: a change planned before the lock (prepare) commits as planned, or is planned again when the cluster changed meanwhile', async () => {
  const s = setup();
  const id = await create(s);
  await s.set({ ...await s.get(id), state: 'INITIALIZED', users: [{ username: 'admin', role: 'admin', partitions: {} }] });
  const op = COFFER_HSM_OPERATIONS.get('ActivateCluster');
  assert.ok(op?.prepare);
  // Planned on revision r, then the cluster changes (a tag, say): run plans again on the fresh record.
  const ctx = s.context();
  const planned = await op.prepare({ ClusterId: id, Password: 'admin-pass-1' }, ctx);
  const changed = await s.get(id);
  await s.set({ ...changed, tags: [{ Key: 'k', Value: 'v' }], revision: changed.revision + 1 });
  const runCtx = s.context();
  await op.run({ ClusterId: id, Password: 'admin-pass-1' }, runCtx, planned);
  const put = runCtx.uow.changes[0];
  assert.ok(put?.kind === 'putCluster');
  assert.equal(put.expectRevision, changed.revision + 1);
  assert.deepEqual(put.cluster.tags, [{ Key: 'k', Value: 'v' }]);
  assert.equal(put.cluster.state, 'ACTIVE');
  // Unchanged meanwhile: the plan is committed as it is.
  const fresh = await s.get(id);
  const plan2 = await op.prepare({ ClusterId: id, Password: 'admin-pass-1' }, s.context()) as { after: ClusterRecord };
  const commitCtx = s.context();
  await op.run({ ClusterId: id, Password: 'admin-pass-1' }, commitCtx, plan2);
  const put2 = commitCtx.uow.changes[0];
  assert.ok(put2?.kind === 'putCluster');
  assert.equal(put2.expectRevision, fresh.revision);
  assert.equal(put2.cluster, plan2.after, 'the prepared record itself');
});

test('with an HSM pool: only its subnets, in its zones; CreateHsm claims its tokens (serial and SO PIN) and free slots, one HSM each, until none is left; DeleteHsm gives one back', async () => {
  const pool = parseHsmPool(JSON.stringify({ hsms: [
    { subnetId: 'subnet-0a1b2c3d', availabilityZone: 'eu-west-1b', tokenSerial: 'a1b2c3d4e5f60718', soPin: 'operator-so-pin-1' },
    { subnetId: 'subnet-0a1b2c3e', availabilityZone: 'eu-west-1c' },
  ] }));
  assert.ok(!('problem' in pool));
  const s = setup({ hsmPool: pool });
  await assert.rejects(s.call('CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d', 'subnet-0ffffff1'] }), { name: 'CloudHsmInvalidRequestException', message: /subnet-0ffffff1 is not one of the subnets of Coffer's HSM pool/ });
  const out = await s.call('CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3e', 'subnet-0a1b2c3d'] });
  const id = (out.Cluster as { ClusterId: string; SubnetMapping: unknown }).ClusterId;
  assert.deepEqual((out.Cluster as { SubnetMapping: unknown }).SubnetMapping, { 'eu-west-1c': 'subnet-0a1b2c3e', 'eu-west-1b': 'subnet-0a1b2c3d' });
  await s.set({ ...await s.get(id), state: 'UNINITIALIZED' });
  const first = (await s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'eu-west-1b' })).Hsm as Record<string, string>;
  const h = (await s.get(id)).hsms.find((x) => x.hsmId === first.HsmId);
  assert.equal(h?.poolEntry, 'token:a1b2c3d4e5f60718');
  assert.equal(h?.tokenSerial, 'a1b2c3d4e5f60718');
  assert.equal(s.secrets.open(pinSealId(first.HsmId ?? '', 'so'), h?.soPinSealed ?? ''), 'operator-so-pin-1');
  await assert.rejects(s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'eu-west-1b' }), { name: 'CloudHsmInvalidRequestException', message: /no free HSM left/ });
  const slot = (await s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'eu-west-1c' })).Hsm as Record<string, string>;
  const sh = (await s.get(id)).hsms.find((x) => x.hsmId === slot.HsmId);
  assert.equal(sh?.poolEntry, 'slot:subnet-0a1b2c3e#1');
  assert.equal(sh?.tokenSerial, undefined, 'a free slot gets its serial when the job initialises it');
  // A deleted HSM's entry is free again once the HSM is gone from the cluster.
  await s.set({ ...await s.get(id), hsms: (await s.get(id)).hsms.filter((x) => x.hsmId !== first.HsmId) });
  const again = (await s.call('CreateHsm', { ClusterId: id, AvailabilityZone: 'eu-west-1b' })).Hsm as Record<string, string>;
  assert.equal((await s.get(id)).hsms.find((x) => x.hsmId === again.HsmId)?.poolEntry, 'token:a1b2c3d4e5f60718');
});
