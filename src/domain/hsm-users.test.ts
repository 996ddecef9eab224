/** The pure rules of HSM users: passwords, usernames, scrypt hashes, the admin check. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAdmin, hashPassword, isRole, passwordProblem, usernameProblem, verifyPassword, type HsmUserRecord } from './hsm-users.ts';

test('passwords have 8 to 32 characters, no control characters', () => {
  assert.equal(passwordProblem('12345678'), undefined);
  assert.equal(passwordProblem('x'.repeat(32)), undefined);
  assert.match(passwordProblem('1234567') ?? '', /8 to 32/);
  assert.match(passwordProblem('x'.repeat(33)) ?? '', /8 to 32/);
  assert.match(passwordProblem('abcdefgh\n') ?? '', /control/);
  assert.match(passwordProblem(undefined) ?? '', /required/);
  assert.match(passwordProblem(12345678) ?? '', /required/);
});

test('usernames are token labels: 1-31 characters of CloudHSM\'s alphabet, coffer* reserved', () => {
  assert.equal(usernameProblem('kmsuser'), undefined);
  assert.equal(usernameProblem('app_1-x'), undefined);
  assert.ok(usernameProblem('a'.repeat(32)) !== undefined);
  assert.ok(usernameProblem('-x') !== undefined);
  assert.ok(usernameProblem('a:b') !== undefined);
  assert.ok(usernameProblem('') !== undefined);
  assert.ok(usernameProblem('coffer-vault') !== undefined);
  assert.equal(isRole('admin'), true);
  assert.equal(isRole('crypto-user'), true);
  assert.equal(isRole('appliance-user'), false);
});

test('scrypt hashes: salted (two hashes of one password differ), verified constant-time; no clear text inside', async () => {
  const a = await hashPassword('password-1');
  const b = await hashPassword('password-1');
  assert.notEqual(a, b);
  assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.ok(!a.includes('password-1'));
  assert.equal(await verifyPassword('password-1', a), true);
  assert.equal(await verifyPassword('password-2', a), false);
  assert.equal(await verifyPassword('password-1', undefined), false);
  assert.equal(await verifyPassword('password-1', 'scrypt$1$1$1$AAAA$AAAA'), false, 'absurd parameters refused');
  assert.equal(await verifyPassword('password-1', a.replace(/.$/, a.endsWith('A') ? 'B' : 'A')), false);
});

test('the admin check: an activated admin with its password and role; one answer for every wrong part', async () => {
  const users: HsmUserRecord[] = [
    { username: 'admin', role: 'admin', passwordHash: await hashPassword('admin-pass'), partitions: {} },
    { username: 'pending', role: 'admin', partitions: {} },
    { username: 'cu', role: 'crypto-user', passwordHash: await hashPassword('cu-password'), partitions: {} },
  ];
  const ok = await checkAdmin(users, { Username: 'admin', Role: 'admin', Password: 'admin-pass' });
  assert.ok(ok.ok);
  const refusals = await Promise.all([
    checkAdmin(users, { Username: 'admin', Role: 'admin', Password: 'wrong-pass' }),
    checkAdmin(users, { Username: 'admin', Role: 'crypto-user', Password: 'admin-pass' }),
    checkAdmin(users, { Username: 'nobody', Role: 'admin', Password: 'admin-pass' }),
    checkAdmin(users, { Username: 'pending', Role: 'admin', Password: 'admin-pass' }),
    checkAdmin(users, { Username: 'cu', Role: 'admin', Password: 'cu-password' }),
    checkAdmin(users, undefined),
  ]);
  const reasons = new Set(refusals.map((r) => (r.ok ? 'ok' : r.reason)));
  assert.equal(reasons.size, 1);
  assert.ok(!reasons.has('ok'));
});
