/**
 * Grant management as the account root: create (validation, idempotency by Name), list, list
 * retirable, retire (by token, by key and id), revoke, and grants going away with their key.
 * Who a grant lets do what is tested with real principals in authorization.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateGrantCommand, CreateKeyCommand, EncryptCommand, ListGrantsCommand, ListRetirableGrantsCommand, RetireGrantCommand,
  RevokeGrantCommand, ScheduleKeyDeletionCommand, type KMSClient,
} from '@aws-sdk/client-kms';
import { ACCOUNT_ID, rejectsWith, serverForFile, type Coffer } from './harness.ts';

const DAY = 86_400;
const ALICE = `arn:aws:iam::${ACCOUNT_ID}:user/alice`;
const BOB = `arn:aws:iam::${ACCOUNT_ID}:user/bob`;
const ROOT = `arn:aws:iam::${ACCOUNT_ID}:root`;
let coffer: Coffer;
let kms: KMSClient;

serverForFile({ env: { COFFER_TEST_MODE: 'true' } }, (c) => { coffer = c; kms = c.client(); });

const newKey = async (): Promise<string> => (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;

test('CreateGrant answers a grant id and token; ListGrants shows the grant without its token', async () => {
  const key = await newKey();
  const g = await kms.send(new CreateGrantCommand({
    KeyId: key, GranteePrincipal: ALICE, RetiringPrincipal: BOB, Operations: ['Encrypt', 'Decrypt'], Name: 'app',
    Constraints: { EncryptionContextSubset: { app: 'billing' } },
  }));
  assert.match(g.GrantId ?? '', /^[0-9a-f]{64}$/);
  assert.ok((g.GrantToken ?? '').length > 20);
  const list = await kms.send(new ListGrantsCommand({ KeyId: key }));
  assert.equal(list.Grants?.length, 1);
  const entry = list.Grants?.[0];
  assert.equal(entry?.KeyId, key);
  assert.equal(entry?.GrantId, g.GrantId);
  assert.equal(entry?.Name, 'app');
  assert.equal(entry?.GranteePrincipal, ALICE);
  assert.equal(entry?.RetiringPrincipal, BOB);
  assert.equal(entry?.IssuingAccount, ROOT);
  assert.deepEqual(entry?.Operations, ['Encrypt', 'Decrypt']);
  assert.deepEqual(entry?.Constraints, { EncryptionContextSubset: { app: 'billing' } });
  assert.ok(!JSON.stringify(list).includes(g.GrantToken as string), 'tokens are never listed');
});

test('Name makes CreateGrant idempotent for identical parameters, with a new token each time', async () => {
  const key = await newKey();
  const input = { KeyId: key, GranteePrincipal: ALICE, Operations: ['Decrypt' as const], Name: 'same' };
  const a = await kms.send(new CreateGrantCommand(input));
  const b = await kms.send(new CreateGrantCommand(input));
  assert.equal(a.GrantId, b.GrantId);
  assert.notEqual(a.GrantToken, b.GrantToken);
  const c = await kms.send(new CreateGrantCommand({ ...input, Operations: ['Encrypt'] }));
  assert.notEqual(c.GrantId, a.GrantId, 'different parameters make a new grant');
  const other = await newKey();
  const d = await kms.send(new CreateGrantCommand({ ...input, KeyId: other }));
  assert.notEqual(d.GrantId, a.GrantId, 'names are scoped to their key');
  assert.equal((await kms.send(new ListGrantsCommand({ KeyId: key }))).Grants?.length, 2);
});

test('CreateGrant validation', async () => {
  const key = await newKey();
  await rejectsWith(kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE, Operations: ['Sign'] })), 'ValidationException', /Sign/);
  await rejectsWith(kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: 'alice', Operations: ['Decrypt'] })), 'InvalidArnException');
  await rejectsWith(kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE, RetiringPrincipal: 'arn:aws:s3:::bucket', Operations: ['Decrypt'] })), 'InvalidArnException');
  await rejectsWith(kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE, Operations: ['Decrypt'], GrantTokens: ['not-a-token'] })), 'InvalidGrantTokenException');
  await rejectsWith(kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE, Operations: ['Decrypt'], DryRun: true })), 'DryRunOperationException');
  assert.equal((await kms.send(new ListGrantsCommand({ KeyId: key }))).Grants?.length, 0, 'nothing was created');
  await rejectsWith(kms.send(new CreateGrantCommand({ KeyId: 'alias/none', GranteePrincipal: ALICE, Operations: ['Decrypt'] })), 'NotFoundException');
});

test('ListGrants filters and pages', async () => {
  const key = await newKey();
  const ids: string[] = [];
  for (const p of [ALICE, BOB, ALICE]) ids.push((await kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: p, Operations: ['Decrypt'] }))).GrantId as string);
  assert.equal((await kms.send(new ListGrantsCommand({ KeyId: key, GranteePrincipal: ALICE }))).Grants?.length, 2);
  assert.deepEqual((await kms.send(new ListGrantsCommand({ KeyId: key, GrantId: ids[1] }))).Grants?.map((g) => g.GrantId), [ids[1]]);
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListGrantsCommand({ KeyId: key, Limit: 1, ...(marker ? { Marker: marker } : {}) }));
    seen.push(...(page.Grants ?? []).map((g) => g.GrantId as string));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  assert.deepEqual(seen.sort(), [...ids].sort());
  await rejectsWith(kms.send(new ListGrantsCommand({ KeyId: key, GrantId: 'nope' })), 'InvalidGrantIdException');
});

test('RetireGrant by token and by key and grant id; the issuing account may retire', async () => {
  const key = await newKey();
  const a = await kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE, RetiringPrincipal: BOB, Operations: ['Decrypt'] }));
  const b = await kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE, Operations: ['Decrypt'] }));
  const retirable = await kms.send(new ListRetirableGrantsCommand({ RetiringPrincipal: BOB }));
  assert.ok(retirable.Grants?.some((g) => g.GrantId === a.GrantId));
  assert.ok(!retirable.Grants?.some((g) => g.GrantId === b.GrantId));
  await kms.send(new RetireGrantCommand({ GrantToken: a.GrantToken }));
  await kms.send(new RetireGrantCommand({ KeyId: key, GrantId: b.GrantId }));
  assert.equal((await kms.send(new ListGrantsCommand({ KeyId: key }))).Grants?.length, 0);
  await rejectsWith(kms.send(new RetireGrantCommand({ GrantToken: a.GrantToken })), 'NotFoundException');
  await rejectsWith(kms.send(new RetireGrantCommand({})), 'InvalidGrantTokenException', 'Grant token OR (grant ID, key ID) must be specified');
  await rejectsWith(kms.send(new RetireGrantCommand({ GrantToken: 'garbage' })), 'InvalidGrantTokenException');
});

test('RevokeGrant removes a grant; unknown grant ids are refused', async () => {
  const key = await newKey();
  const g = await kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE, Operations: ['Decrypt'] }));
  await rejectsWith(kms.send(new RevokeGrantCommand({ KeyId: key, GrantId: g.GrantId, DryRun: true })), 'DryRunOperationException');
  await kms.send(new RevokeGrantCommand({ KeyId: key, GrantId: g.GrantId }));
  assert.equal((await kms.send(new ListGrantsCommand({ KeyId: key }))).Grants?.length, 0);
  await rejectsWith(kms.send(new RevokeGrantCommand({ KeyId: key, GrantId: g.GrantId })), 'NotFoundException');
  await rejectsWith(kms.send(new RevokeGrantCommand({ KeyId: key, GrantId: 'x' })), 'InvalidGrantIdException');
});

test('grant tokens are checked on every operation that accepts them', async () => {
  const key = await newKey();
  const g = await kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE, Operations: ['Encrypt'] }));
  await kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('x'), GrantTokens: [g.GrantToken as string] }));
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('x'), GrantTokens: ['bad token'] })), 'InvalidGrantTokenException');
});

test('grants are removed when their key is deleted', async () => {
  const key = await newKey();
  const g = await kms.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: ALICE, RetiringPrincipal: BOB, Operations: ['Decrypt'] }));
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key, PendingWindowInDays: 7 }));
  await coffer.advanceClock(8 * DAY);
  const retirable = await kms.send(new ListRetirableGrantsCommand({ RetiringPrincipal: BOB }));
  assert.ok(!retirable.Grants?.some((x) => x.GrantId === g.GrantId));
  await rejectsWith(kms.send(new RetireGrantCommand({ GrantToken: g.GrantToken })), 'NotFoundException');
});
