/**
 * The cached grant set against a plain model (a sorted, filtered array) under random puts,
 * replacements and deletions: the list stays in grant-id order and the by-grantee index agrees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grantSet, grantsFor, withGrant, withoutGrant, type GrantSet } from './grant-set.ts';
import type { GrantRecord } from './grant.ts';

const grant = (id: number, grantee: string): GrantRecord => ({
  grantId: id.toString(16).padStart(4, '0'), keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k', creationDate: id,
  granteePrincipal: `arn:aws:iam::111122223333:user/${grantee}`, issuingAccount: 'arn:aws:iam::111122223333:root', operations: ['Encrypt'],
});
const users = ['a', 'b', 'c', 'd'];
const arn = (u: string): string => `arn:aws:iam::111122223333:user/${u}`;

test('random puts, replacements and deletions keep the order and the index right', () => {
  let state = 7;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  let model: GrantRecord[] = [];
  let set: GrantSet = grantSet([]);
  for (let step = 0; step < 3000; step++) {
    const id = next(200);
    if (next(3) === 0) {
      set = withoutGrant(set, grant(id, 'a').grantId);
      model = model.filter((g) => g.grantId !== grant(id, 'a').grantId);
    } else {
      const g = grant(id, users[next(users.length)] as string); // same id, perhaps another grantee: a replacement
      set = withGrant(set, g);
      model = [...model.filter((x) => x.grantId !== g.grantId), g].sort((x, y) => (x.grantId < y.grantId ? -1 : 1));
    }
    assert.deepEqual(set.all, model, `step ${step}`);
    for (const u of users) assert.deepEqual(grantsFor(set, [arn(u)]).map((g) => g.grantId).sort(), model.filter((g) => g.granteePrincipal === arn(u)).map((g) => g.grantId), `step ${step} ${u}`);
  }
  assert.deepEqual(grantsFor(set, [arn('a'), arn('b')]).length, model.filter((g) => g.granteePrincipal === arn('a') || g.granteePrincipal === arn('b')).length);
});

test('a change leaves the lists handed out before it unchanged', () => {
  const first = grantSet([grant(1, 'a'), grant(3, 'a')]);
  const before = first.all;
  const beforeA = grantsFor(first, [arn('a')]);
  const second = withGrant(first, grant(2, 'a'));
  assert.deepEqual(before.map((g) => g.grantId), ['0001', '0003']);
  assert.deepEqual(beforeA.map((g) => g.grantId), ['0001', '0003']);
  assert.deepEqual(second.all.map((g) => g.grantId), ['0001', '0002', '0003']);
  assert.equal(withoutGrant(second, '0009'), second);
});
