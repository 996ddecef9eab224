import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  checkApproval, keyApprovers, keyQuorumValueProblem, newToken, quorumPublicKey, quorumValueProblem, tokenFile, unsignedOf, withToken, type ApprovalExpectation, type QuorumState, type QuorumTokenRecord,
} from './hsm-quorum.ts';
import type { HsmUserRecord } from './hsm-users.ts';

const pair = (bits = 2048) => generateKeyPairSync('rsa', { modulusLength: bits });
const a1 = pair();
const a2 = pair();
const cu = pair();
const stranger = pair();
const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('base64');
const users: HsmUserRecord[] = [
  { username: 'admin', role: 'admin', partitions: {}, quorumPublicKey: spki(a1.publicKey) },
  { username: 'admin2', role: 'admin', partitions: {}, quorumPublicKey: spki(a2.publicKey) },
  { username: 'admin3', role: 'admin', partitions: {} },
  { username: 'cu1', role: 'crypto-user', partitions: {}, quorumPublicKey: spki(cu.publicKey) },
];
const NOW = 1_000_000;
const params = { Username: 'bob', Role: 'crypto-user' };
const token = newToken('cluster-x', 'user', 'CreateUser', params, 'admin', NOW, 600);
const q: QuorumState = { values: { user: 2 }, tokens: [token] };
const expect: ApprovalExpectation = { service: 'user', operation: 'CreateUser', params, requester: 'admin', required: 2, approverRoles: ['admin'] };

/** What `openssl pkeyutl -sign -pkeyopt digest:sha256` makes over the decoded `unsigned`: PKCS#1 v1.5 over that SHA-256. */
const approve = (t: QuorumTokenRecord, username: string, key: KeyObject) => {
  const entry = tokenFile(t).tokens[0];
  assert.ok(entry);
  return { ...entry, username, signed: sign('sha256', Buffer.from(t.approvalData, 'base64'), key).toString('base64') };
};
const file = (...tokens: unknown[]) => ({ version: '2.0', tokens });

test('a token file is CloudHSM\'s shape; unsigned is the SHA-256 of approval_data', () => {
  const f = tokenFile(token);
  assert.equal(f.version, '2.0');
  assert.deepEqual(Object.keys(f.tokens[0] ?? {}), ['username', 'approval_data', 'unsigned', 'signed']);
  assert.equal(unsignedOf(token), createHash('sha256').update(Buffer.from(token.approvalData, 'base64')).digest('base64'));
  assert.equal(token.expiresAt - token.createdAt, 600_000);
});

test('two distinct admins approve; one, the same twice, a CU, an unregistered or a wrong key do not', () => {
  assert.deepEqual(checkApproval(q, users, file(approve(token, 'admin', a1.privateKey), approve(token, 'admin2', a2.privateKey)), expect, NOW + 1000),
    { ok: true, tokenId: token.tokenId, approvers: ['admin', 'admin2'] });
  const refused = (f: unknown, pattern: RegExp, now = NOW + 1000, x = expect) => {
    const r = checkApproval(q, users, f, x, now);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, pattern);
  };
  refused(file(approve(token, 'admin', a1.privateKey)), /2 distinct approvers needed, 1 valid/);
  refused(file(approve(token, 'admin', a1.privateKey), approve(token, 'admin', a1.privateKey)), /1 valid/);
  refused(file(approve(token, 'admin', a1.privateKey), approve(token, 'cu1', cu.privateKey)), /cu1 may not approve/);
  refused(file(approve(token, 'admin', a1.privateKey), approve(token, 'admin3', stranger.privateKey)), /admin3 has no registered quorum key/);
  refused(file(approve(token, 'admin', a1.privateKey), approve(token, 'admin2', stranger.privateKey)), /signature of admin2 does not verify/);
  refused(file(approve(token, 'admin', a1.privateKey), approve(token, 'admin2', a2.privateKey)), /expired/, NOW + 600_000);
  refused(file(approve(token, 'admin', a1.privateKey), approve(token, 'admin2', a2.privateKey)), /another command/, NOW, { ...expect, params: { Username: 'eve', Role: 'crypto-user' } });
  refused(file(approve(token, 'admin', a1.privateKey), approve(token, 'admin2', a2.privateKey)), /another command/, NOW, { ...expect, operation: 'DeleteUser' });
  refused(file(approve(token, 'admin', a1.privateKey), approve(token, 'admin2', a2.privateKey)), /belongs to admin/, NOW, { ...expect, requester: 'admin2' });
  refused({ tokens: [] }, /token file/);
  const used: QuorumState = { ...q, tokens: [] };
  const r = checkApproval(used, users, file(approve(token, 'admin', a1.privateKey), approve(token, 'admin2', a2.privateKey)), expect, NOW);
  assert.equal(r.ok, false);
});

test('quorum keys are RSA-2048 public keys; values 1..8 and at most the approvers', () => {
  assert.equal(quorumPublicKey(a1.publicKey.export({ type: 'spki', format: 'pem' })).ok, true);
  assert.equal(quorumPublicKey(pair(1024).publicKey.export({ type: 'spki', format: 'pem' })).ok, false);
  assert.equal(quorumPublicKey('not a key').ok, false);
  assert.equal(quorumValueProblem(2, 2), undefined);
  assert.match(quorumValueProblem(3, 2) ?? '', /at least 3 admins/);
  assert.match(quorumValueProblem(9, 9) ?? '', /1 \(off\) to 8/);
});

test('one live token per user per service; expired ones are purged', () => {
  const again = newToken('cluster-x', 'user', 'DeleteUser', { Username: 'bob' }, 'admin', NOW + 1, 600);
  assert.deepEqual(withToken(q, again, NOW + 1)?.map((t) => t.tokenId), [again.tokenId]);
  const other = newToken('cluster-x', 'user', 'DeleteUser', { Username: 'bob' }, 'admin2', NOW + 1, 600);
  assert.equal(withToken(q, other, NOW + 1)?.length, 2);
  assert.equal(withToken(q, other, NOW + 600_000)?.length, 1);
});

test('key quorum values: 0..8 and at most owner + sharees; approvers are the users associated with the key', () => {
  assert.equal(keyQuorumValueProblem(0, 1), undefined);
  assert.equal(keyQuorumValueProblem(2, 2), undefined);
  assert.match(keyQuorumValueProblem(3, 2) ?? '', /more than the 2 user/);
  assert.match(keyQuorumValueProblem(9, 9) ?? '', /0 to 8/);
  assert.deepEqual(keyApprovers('cu1', ['cu2', 'cu1']), ['cu1', 'cu2']);
  const t = newToken('cluster-x', 'user', 'Sign', { KeyReference: '0x1' }, 'cu1', NOW, 600);
  const qs: QuorumState = { tokens: [t] };
  const cus: HsmUserRecord[] = [
    { username: 'cu1', role: 'crypto-user', partitions: {}, quorumPublicKey: spki(cu.publicKey) },
    { username: 'cu2', role: 'crypto-user', partitions: {}, quorumPublicKey: spki(a2.publicKey) },
  ];
  const x: ApprovalExpectation = { service: 'user', operation: 'Sign', params: { KeyReference: '0x1' }, requester: 'cu1', required: 2, approverRoles: ['crypto-user'], approverNames: ['cu1', 'cu2'] };
  assert.equal(checkApproval(qs, cus, file(approve(t, 'cu1', cu.privateKey), approve(t, 'cu2', a2.privateKey)), x, NOW).ok, true);
  const r = checkApproval(qs, cus, file(approve(t, 'cu1', cu.privateKey), approve(t, 'cu2', a2.privateKey)), { ...x, approverNames: ['cu1'] }, NOW);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.reason, /cu2 may not approve this token: only the users associated with the key/);
});
