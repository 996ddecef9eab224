/**
 * Quorum (token-sign) operations in process, over the in-memory storage, with a clock the test
 * moves: registration proven by a signed token, the user service's quorum on CreateUser and
 * DeleteUser, the quorum service's on SetQuorumValue, and every refusal leaving the cluster as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { openMemoryStorage } from '../../adapters/storage/memory.ts';
import { createSecretBox } from '../../adapters/keystore/secret-box.ts';
import { CLOUDHSM_OPERATIONS } from './registry.ts';
import type { CloudHsmContext } from './context.ts';
import type { Caller } from '../context.ts';
import type { ClusterRecord } from '../../domain/cluster.ts';
import { hashPassword } from '../../domain/hsm-users.ts';
import { COFFER_HSM_OPERATIONS } from './hsm-data-plane.ts';

const caller = { type: 'Root', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:root', userId: '111122223333', accessKeyId: 'AKIA' } as Caller;

interface TokenEntry { username: string; approval_data: string; unsigned: string; signed: string }
interface TokenFileShape { version: string; tokens: TokenEntry[] }

async function setup() {
  const m = openMemoryStorage();
  const key = randomBytes(32);
  const secrets = createSecretBox({ activeId: 'dk-1', key: () => key });
  let now = 1_700_000_000_000;
  const call = async (name: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const ctx: CloudHsmContext = {
      requestId: 'r', caller, region: 'us-east-1', request: { sourceIp: '127.0.0.1', userAgent: 'test' } as CloudHsmContext['request'],
      resources: new Set(), clusters: m.clusters, uow: { changes: [] }, now: () => now,
      authorize: async () => undefined, seal: (id, s) => secrets.seal(id, s), hsmModule: false, hsmPool: undefined, hsm: { module: undefined, secrets },
      loginAttempts: 5, checkCertificates: () => ({ ok: true, lineageId: 'lin' }), kick: () => undefined,
    };
    const op = CLOUDHSM_OPERATIONS.get(name) ?? COFFER_HSM_OPERATIONS.get(name);
    assert.ok(op, name);
    const out = await op.run(input, ctx) as Record<string, unknown>;
    await m.storage.commit({ changes: ctx.uow.changes });
    return out;
  };
  const out = await call('CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3e'] });
  const id = (out.Cluster as { ClusterId: string }).ClusterId;
  const c = await m.clusters.getCluster(id) as ClusterRecord;
  const users = await Promise.all(['admin', 'admin2', 'admin3'].map(async (u) => ({ username: u, role: 'admin' as const, partitions: {}, passwordHash: await hashPassword(`${u}-password`) })));
  await m.storage.commit({ changes: [{ kind: 'putCluster', cluster: { ...c, state: 'ACTIVE', users, revision: c.revision + 1 } }] });
  return { call, id, get: async () => await m.clusters.getCluster(id) as ClusterRecord, advance: (s: number) => { now += s * 1000; } };
}

const auth = (u: string) => ({ Username: u, Role: 'admin', Password: `${u}-password` });
const signed = (f: TokenFileShape, username: string, key: KeyObject): TokenEntry => {
  const e = f.tokens[0] as TokenEntry;
  // As `openssl pkeyutl -sign -pkeyopt digest:sha256` over the decoded unsigned value.
  return { ...e, username, signed: sign('sha256', Buffer.from(e.approval_data, 'base64'), key).toString('base64') };
};
const file = (...tokens: TokenEntry[]) => ({ version: '2.0', tokens });

test('quorum: register keys, user service M=2, approvals checked, tokens single-use and expiring, refusals change nothing', async () => {
  const s = await setup();
  const keys = new Map(['admin', 'admin2', 'admin3'].map((u) => [u, generateKeyPairSync('rsa', { modulusLength: 2048 })]));
  const pem = (u: string) => keys.get(u)?.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const priv = (u: string) => keys.get(u)?.privateKey as KeyObject;
  const generate = async (u: string, extra: Record<string, unknown>) =>
    (await s.call('GenerateQuorumToken', { ClusterId: s.id, Auth: auth(u), ...extra })).Token as TokenFileShape;

  // Registration: the signature must be by the key registered.
  const reg = await generate('admin', { Service: 'registration' });
  await assert.rejects(s.call('RegisterQuorumKey', { ClusterId: s.id, Auth: auth('admin'), PublicKey: pem('admin'), SignedToken: file(signed(reg, 'admin', priv('admin2'))) }), { name: 'CloudHsmAccessDeniedException', message: /does not verify/ });
  await s.call('RegisterQuorumKey', { ClusterId: s.id, Auth: auth('admin'), PublicKey: pem('admin'), SignedToken: file(signed(reg, 'admin', priv('admin'))) });
  // Only one admin registered: M=2 cannot be met, refused.
  await assert.rejects(s.call('SetQuorumValue', { ClusterId: s.id, Auth: auth('admin'), Service: 'user', Value: 2 }), { message: /needs at least 2 admins/ });
  const reg2 = await generate('admin2', { Service: 'registration' });
  await s.call('RegisterQuorumKey', { ClusterId: s.id, Auth: auth('admin2'), PublicKey: pem('admin2'), SignedToken: file(signed(reg2, 'admin2', priv('admin2'))) });
  // The registration token is single-use.
  await assert.rejects(s.call('RegisterQuorumKey', { ClusterId: s.id, Auth: auth('admin2'), PublicKey: pem('admin2'), SignedToken: file(signed(reg2, 'admin2', priv('admin2'))) }), { message: /no live registration token/ });
  await s.call('SetQuorumValue', { ClusterId: s.id, Auth: auth('admin'), Service: 'user', Value: 2 });
  assert.deepEqual(await s.call('ListQuorumValues', { ClusterId: s.id }), { Values: { user: 2, quorum: 1, cluster: 1 } });

  const bob = { ClusterId: s.id, Username: 'bob', Role: 'admin', Password: 'bob-password', Auth: auth('admin') };
  const before = await s.get();
  await assert.rejects(s.call('CreateUser', bob), { name: 'CloudHsmAccessDeniedException', message: /Quorum approval is required/ });
  const t = await generate('admin', { Service: 'user', Operation: 'CreateUser', Parameters: { Username: 'bob', Role: 'admin' } });
  const afterGenerate = await s.get();
  await assert.rejects(s.call('CreateUser', { ...bob, Approval: file(signed(t, 'admin', priv('admin'))) }), { message: /2 distinct approvers needed, 1 valid/ });
  await assert.rejects(s.call('CreateUser', { ...bob, Approval: file(signed(t, 'admin', priv('admin')), signed(t, 'admin3', priv('admin3'))) }), { message: /admin3 has no registered quorum key/ });
  await assert.rejects(s.call('CreateUser', { ...bob, Username: 'eve', Approval: file(signed(t, 'admin', priv('admin')), signed(t, 'admin2', priv('admin2'))) }), { message: /another command/ });
  await assert.rejects(s.call('CreateUser', { ...bob, Auth: auth('admin2'), Approval: file(signed(t, 'admin', priv('admin')), signed(t, 'admin2', priv('admin2'))) }), { message: /belongs to admin/ });
  assert.equal((await s.get()).revision, afterGenerate.revision, 'refusals change nothing');
  assert.ok(afterGenerate.revision > before.revision);
  const approval = file(signed(t, 'admin', priv('admin')), signed(t, 'admin2', priv('admin2')));
  assert.deepEqual(await s.call('CreateUser', { ...bob, Approval: approval }), { Username: 'bob', Role: 'admin' });
  await assert.rejects(s.call('DeleteUser', { ClusterId: s.id, Username: 'bob', Auth: auth('admin'), Approval: approval }), { message: /no live quorum token/ });
  await assert.rejects(s.call('CreateUser', { ...bob, Username: 'bob2', Approval: approval }), { message: /no live quorum token/ });

  // Expiry: 600 s by default; set-timeout changes it for new tokens.
  const d = await generate('admin', { Service: 'user', Operation: 'DeleteUser', Parameters: { Username: 'bob' } });
  s.advance(601);
  await assert.rejects(s.call('DeleteUser', { ClusterId: s.id, Username: 'bob', Auth: auth('admin'), Approval: file(signed(d, 'admin', priv('admin')), signed(d, 'admin2', priv('admin2'))) }), { message: /expired/ });
  assert.deepEqual(await s.call('ListQuorumTimeouts', { ClusterId: s.id }), { GeneratedTokenTimeoutSeconds: 600 });
  await s.call('SetQuorumTimeout', { ClusterId: s.id, Auth: auth('admin'), Seconds: 120 });
  const d2 = await generate('admin', { Service: 'user', Operation: 'DeleteUser', Parameters: { Username: 'bob' } });
  s.advance(100);
  assert.deepEqual(await s.call('DeleteUser', { ClusterId: s.id, Username: 'bob', Auth: auth('admin'), Approval: file(signed(d2, 'admin', priv('admin')), signed(d2, 'admin2', priv('admin2'))) }), { Username: 'bob', Role: 'admin' });

  // The quorum service protects SetQuorumValue once its own value is 2.
  await s.call('SetQuorumValue', { ClusterId: s.id, Auth: auth('admin'), Service: 'quorum', Value: 2 });
  await assert.rejects(s.call('SetQuorumValue', { ClusterId: s.id, Auth: auth('admin'), Service: 'user', Value: 1 }), { message: /Quorum approval is required/ });
  const q = await generate('admin2', { Service: 'quorum', Operation: 'SetQuorumValue', Parameters: { Service: 'user', Value: 1 } });
  await s.call('SetQuorumValue', { ClusterId: s.id, Auth: auth('admin2'), Service: 'user', Value: 1, Approval: file(signed(q, 'admin', priv('admin')), signed(q, 'admin2', priv('admin2'))) });
  assert.deepEqual(await s.call('ListQuorumValues', { ClusterId: s.id }), { Values: { user: 1, quorum: 2, cluster: 1 } });
  // Delete: a user's own tokens, or all of them (admins).
  await generate('admin', { Service: 'registration' });
  await generate('admin2', { Service: 'registration' });
  assert.equal(((await s.call('ListQuorumTokens', { ClusterId: s.id })).Tokens as unknown[]).length, 2);
  assert.deepEqual(await s.call('DeleteQuorumTokens', { ClusterId: s.id, Auth: auth('admin'), Scope: 'user' }), { Deleted: 1 });
  assert.deepEqual(await s.call('DeleteQuorumTokens', { ClusterId: s.id, Auth: auth('admin'), Scope: 'all' }), { Deleted: 1 });
  assert.equal(((await s.call('ListQuorumTokens', { ClusterId: s.id })).Tokens as unknown[]).length, 0);
  // Deleting a registered admin would leave fewer approvers than the quorum service's M = 2: refused.
  await assert.rejects(s.call('DeleteUser', { ClusterId: s.id, Username: 'admin2', Auth: auth('admin') }), { message: /would leave 1 admin\(s\) with a registered quorum key/ });
  const stored = JSON.stringify(await s.get());
  assert.ok(!stored.includes('PRIVATE KEY') && !stored.includes('admin-password') && !stored.includes('bob-password'), 'no private key or password is stored');
});
