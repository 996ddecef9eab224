import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountProblem, accountIdProblem, planNewAccount } from './accounts.ts';

const none = async (): Promise<boolean> => false;

test('a new account: its record and its root key, with fresh credentials each time', async () => {
  const a = await planNewAccount('444455556666', '111122223333', none, 1234);
  assert.deepEqual(a.changes[0], { kind: 'addAccount', account: { accountId: '444455556666', createDate: 1234 } });
  assert.equal(a.changes[1].kind, 'putAccessKey');
  assert.deepEqual({ ...a.changes[1].key, accessKeyId: '', secretAccessKey: '' },
    { accessKeyId: '', accountId: '444455556666', owner: 'root', secretAccessKey: '', status: 'Active', createDate: 1234 });
  assert.equal(a.changes[1].key.accessKeyId, a.credentials.accessKeyId);
  assert.equal(a.changes[1].key.secretAccessKey, a.credentials.secretAccessKey);
  assert.match(a.credentials.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
  assert.ok(a.credentials.secretAccessKey.length >= 40);
  const b = await planNewAccount('444455556666', '111122223333', none, 1234);
  assert.notEqual(a.credentials.secretAccessKey, b.credentials.secretAccessKey);
});

test('refused: not 12 digits (invalid); the home account or an existing one (exists)', async () => {
  for (const id of ['12345', '4444555566667', 'abcdefghijkl', ' 444455556666']) {
    assert.ok(accountIdProblem(id));
    await assert.rejects(planNewAccount(id, '111122223333', none, 0), (e) => e instanceof AccountProblem && e.kind === 'invalid');
  }
  assert.equal(accountIdProblem('444455556666'), undefined);
  await assert.rejects(planNewAccount('111122223333', '111122223333', none, 0), (e) => e instanceof AccountProblem && e.kind === 'exists' && /home account/.test(e.message));
  await assert.rejects(planNewAccount('444455556666', '111122223333', async (id) => id === '444455556666', 0),
    (e) => e instanceof AccountProblem && e.kind === 'exists' && e.message === 'Account 444455556666 exists already.');
});
