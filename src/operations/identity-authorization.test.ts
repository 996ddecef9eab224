/**
 * IAM and STS decisions share the matching budget of KMS decisions: identity policies whose
 * patterns would each scan a long request value are refused at once with AccessDenied (fail
 * closed) and a message saying why, while ordinary values are decided as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorizeAssumeRole, authorizeIdentityAction } from './identity-authorization.ts';
import { AccessDeniedError } from '../errors/query-errors.ts';
import type { RoleRecord } from '../domain/identity.ts';
import type { Caller } from './context.ts';

const ACCOUNT = '111122223333';
const eve: Caller = { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/eve`, accessKeyId: 'AKIAEVE', type: 'IAMUser', userId: 'AIDAEVE', username: 'eve', tags: {} };
const role: RoleRecord = {
  accountId: ACCOUNT, roleId: 'AROAAPP', name: 'App', path: '/', arn: `arn:aws:iam::${ACCOUNT}:role/App`, createDate: 0, maxSessionDuration: 3600, tags: [],
  trustPolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] }),
};

/** 121 policies (a user's and its ten groups' maximum) of patterns that each scan a run of `a`. */
const policies: readonly string[] = Array.from({ length: 121 }, (_, p) => {
  const values = Array.from({ length: 700 }, (_, i) => `*a${(p * 700 + i).toString(35).replace(/a/g, 'z')}*`);
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:GetUser', 'sts:AssumeRole'], Resource: '*', Condition: { StringLike: { 'coffer:v': values } } }] });
});

const base = { caller: eve, request: { sourceIp: '127.0.0.1', userAgent: 'test', secureTransport: false }, now: Date.UTC(2026, 0, 1), identityPolicies: async () => policies };
const LONG = Buffer.from('a'.repeat(8190)).toString();
const TOO_COSTLY = /because the policies that apply need more matching than Coffer allows for one request$/;

async function quickly(f: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await f();
  assert.ok(performance.now() - t0 < 1500, `took ${(performance.now() - t0).toFixed(0)} ms`);
}

test('an IAM action: too costly is denied at once; an ordinary value is decided', async () => {
  const get = (v: string) => () => authorizeIdentityAction({ ...base, action: 'iam:GetUser', resource: eve.arn, conditions: { 'coffer:v': v } });
  await get('xa0x')(); // the first pattern, *a0* (and the policies are parsed and cached)
  await assert.rejects(get('nothing'), (e) => e instanceof AccessDeniedError && /because no identity-based policy allows the iam:GetUser action$/.test(e.message));
  await quickly(() => assert.rejects(get(LONG), (e) => e instanceof AccessDeniedError && TOO_COSTLY.test(e.message)));
});

test('AssumeRole: too costly is denied at once; an ordinary value is decided', async () => {
  const assume = (v: string) => () => authorizeAssumeRole({ ...base, conditions: { 'coffer:v': v } }, role);
  await assume('xa0x')();
  await assert.rejects(assume('nothing'), AccessDeniedError);
  await quickly(() => assert.rejects(assume(LONG), (e) => e instanceof AccessDeniedError && TOO_COSTLY.test(e.message)));
});
