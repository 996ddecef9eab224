/**
 * The matching budget of one decision: the largest policy set IAM's quotas allow, written to make
 * every pattern scan a full 8 KiB context value, is denied in a fraction of a second (it took 6 s),
 * while the same set against an ordinary value, and a maximal set of ordinary Resource patterns,
 * are decided as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, type Policy } from './parse.ts';
import { accessDeniedMessage, decideKms } from './kms-decision.ts';
import { MatchBudget, MatchBudgetExceeded, withMatchBudget } from './match-budget.ts';
import type { PrincipalInfo } from './evaluate.ts';

const ACCOUNT = '111122223333';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const eve: PrincipalInfo = { arn: `arn:aws:iam::${ACCOUNT}:user/eve`, accountId: ACCOUNT, type: 'IAMUser', userId: 'AIDAEVE', username: 'eve' };
const keyPolicy = parsePolicy(JSON.stringify({
  Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
}), 'resource');

/** 121 identity policies of about 6,000 characters: a user's 10 managed and inline, and 10 groups' 10 managed and inline. */
function maximalSet(statement: (values: string[]) => object, value: (i: number) => string): Policy[] {
  let n = 0;
  return Array.from({ length: 121 }, () => {
    const values: string[] = [];
    for (let size = 200; size < 5_900; ) {
      const v = value(n++);
      values.push(v);
      size += v.length + 3; // quotes and comma
    }
    return parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [statement(values)] }), 'identity');
  });
}

/** Patterns that never match a run of `a`, each scanning all of it: `*a` then a suffix without `a`. */
const scanning = (i: number): string => `*a${i.toString(35).replace(/a/g, 'z')}*`;
const likeContext = (values: string[]): object => ({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Condition: { StringLike: { 'kms:EncryptionContext:k': values } } });

function decide(identityPolicies: Policy[], contextValue: string) {
  const t0 = performance.now();
  const d = decideKms({
    request: { action: 'kms:Decrypt', resource: KEY, principal: eve, conditions: new Map([['kms:encryptioncontext:k', [contextValue]]]) },
    keyPolicy, keyAccountId: ACCOUNT, identityPolicies,
  });
  return { d, ms: performance.now() - t0 };
}

test('the largest policy set against an 8 KiB value is denied at once, not after seconds', () => {
  const set = maximalSet(likeContext, scanning);
  const { d, ms } = decide(set, Buffer.from('a'.repeat(8190)).toString());
  assert.deepEqual(d, { allowed: false, reason: 'too-costly' });
  assert.ok(ms < 1500, `took ${ms.toFixed(0)} ms`); // 6 s without the budget
  assert.equal(accessDeniedMessage(eve.arn, 'kms:Decrypt', KEY, { allowed: false, reason: 'too-costly' }),
    `User: ${eve.arn} is not authorized to perform: kms:Decrypt on resource: ${KEY} because the policies that apply need more matching than Coffer allows for one request`);
  // The same policies against ordinary values are decided as before.
  assert.deepEqual(decide(set, 'xa0x').d, { allowed: true, via: 'key-policy+iam' }); // the first pattern, *a0*
  assert.deepEqual(decide(set, 'nothing').d, { allowed: false, reason: 'no-identity-policy' });
});

test('a maximal set of ordinary Resource patterns stays well within the budget', () => {
  const set = maximalSet(
    (values) => ({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: values }),
    (i) => `arn:aws:kms:*:${ACCOUNT}:key/${i.toString(16).padStart(8, '0')}-*`,
  );
  set.push(parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: `arn:aws:kms:*:${ACCOUNT}:key/1234abcd-*` }] }), 'identity'));
  assert.deepEqual(decide(set, 'x').d, { allowed: true, via: 'key-policy+iam' });
});

test('the budget counts what it is charged and stops past it', () => {
  const b = new MatchBudget(10);
  b.charge(10);
  assert.throws(() => b.charge(1), MatchBudgetExceeded);
  assert.equal(withMatchBudget((x) => { x.charge(5); return 'done'; }, () => 'over', 4), 'over');
  assert.equal(withMatchBudget((x) => { x.charge(4); return 'done'; }, () => 'over', 4), 'done');
  assert.throws(() => withMatchBudget(() => { throw new RangeError('other'); }, () => 'over'), RangeError);
});
