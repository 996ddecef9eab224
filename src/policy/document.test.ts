import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultKeyPolicy, MAX_POLICY_BYTES, validatePolicyDocument } from './document.ts';

const code = (text: string): string => {
  try {
    validatePolicyDocument(text);
    return 'ok';
  } catch (e) {
    return (e as Error & { code: string }).code;
  }
};
const stmt = (s: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [s] });
const base = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' };

test('the default key policy is AWS default and valid', () => {
  const p = JSON.parse(defaultKeyPolicy('aws', '111122223333')) as { Id: string; Statement: { Principal: { AWS: string }; Action: string }[] };
  assert.equal(p.Id, 'key-default-1');
  assert.equal(p.Statement[0]?.Principal.AWS, 'arn:aws:iam::111122223333:root');
  assert.equal(p.Statement[0]?.Action, 'kms:*');
  assert.equal(code(defaultKeyPolicy('aws', '111122223333')), 'ok');
});

test('structural validation', () => {
  const cases: [string, string][] = [
    [stmt(base), 'ok'],
    [JSON.stringify({ Statement: base }), 'ok'],
    [stmt({ ...base, Principal: '*' }), 'ok'],
    [stmt({ ...base, Effect: 'Deny', Condition: { StringEquals: { 'kms:CallerAccount': '111122223333' } } }), 'ok'],
    ['not json', 'MalformedPolicyDocumentException'],
    ['[]', 'MalformedPolicyDocumentException'],
    [JSON.stringify({ Version: '2012-10-17' }), 'MalformedPolicyDocumentException'],
    [JSON.stringify({ Version: '2012-10-17', Statement: [] }), 'MalformedPolicyDocumentException'],
    [JSON.stringify({ Version: '2020-01-01', Statement: [base] }), 'MalformedPolicyDocumentException'],
    [stmt({ ...base, Effect: 'Maybe' }), 'MalformedPolicyDocumentException'],
    [stmt({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }), 'MalformedPolicyDocumentException'],
    [stmt({ ...base, NotPrincipal: { AWS: '*' } }), 'MalformedPolicyDocumentException'],
    [stmt({ ...base, Principal: { Bogus: 'x' } }), 'MalformedPolicyDocumentException'],
    [stmt({ ...base, Principal: {} }), 'MalformedPolicyDocumentException'],
    [stmt({ ...base, NotAction: 'kms:Decrypt' }), 'MalformedPolicyDocumentException'],
    [stmt({ ...base, Action: 42 }), 'MalformedPolicyDocumentException'],
    [stmt({ ...base, Condition: 'yes' }), 'MalformedPolicyDocumentException'],
    [stmt({ ...base, Extra: 1 }), 'MalformedPolicyDocumentException'],
  ];
  for (const [text, want] of cases) assert.equal(code(text), want, text);
});

test('over 32 KB is LimitExceededException', () => {
  const big = stmt({ ...base, Sid: 'x'.repeat(MAX_POLICY_BYTES) });
  assert.equal(code(big), 'LimitExceededException');
});
