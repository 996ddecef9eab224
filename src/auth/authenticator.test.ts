import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { Authenticator, type ResolvedCredential } from './authenticator.ts';
import { canonicalRequest, signingKey, stringToSign, type SigV4Request } from './sigv4.ts';
import { ExpiredTokenException, UnrecognizedClientException } from '../errors/common-errors.ts';

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);
const AMZ_DATE = '20250102T030405Z';
const TOKEN = 'opaque-session-token';
const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

const creds = new Map<string, ResolvedCredential<string>>([
  ['AKIALONGTERM', { secretAccessKey: 'long-secret', caller: 'user', active: true }],
  ['AKIAINACTIVE', { secretAccessKey: 'off-secret', caller: 'off', active: false }],
  ['ASIASESSION', { secretAccessKey: 'session-secret', caller: 'session', sessionTokenHash: sha256(TOKEN), expiration: NOW + 900_000, active: true }],
]);

function signed(akid: string, secret: string, token?: string): SigV4Request {
  const headers: Record<string, string> = { host: 'coffer', 'x-amz-date': AMZ_DATE, ...(token !== undefined ? { 'x-amz-security-token': token } : {}) };
  const names = Object.keys(headers).sort();
  const req: SigV4Request = { method: 'POST', path: '/', query: '', headers, body: Buffer.from('Action=GetCallerIdentity') };
  const scope = `20250102/us-east-1/sts/aws4_request`;
  const sts = stringToSign(AMZ_DATE, scope, canonicalRequest(req, names, createHash('sha256').update(req.body).digest('hex')));
  const sig = createHmac('sha256', signingKey(secret, '20250102', 'us-east-1', 'sts')).update(sts).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${akid}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
  return req;
}

function authenticator(domainNow: number): Authenticator<string> {
  return new Authenticator<string>({
    service: (s) => s === 'sts', isRegionAllowed: () => true, now: () => NOW, domainNow: () => domainNow,
    resolve: async (akid) => creds.get(akid),
  });
}

test('long-term credentials authenticate without a token, and never with one', async () => {
  const a = authenticator(NOW);
  assert.equal((await a.verify(signed('AKIALONGTERM', 'long-secret'))).identity, 'user');
  await assert.rejects(a.verify(signed('AKIALONGTERM', 'long-secret', TOKEN)), UnrecognizedClientException);
});

test('an inactive key is unknown', async () => {
  await assert.rejects(authenticator(NOW).verify(signed('AKIAINACTIVE', 'off-secret')), UnrecognizedClientException);
});

test('session credentials need their own token, until they expire on the domain clock', async () => {
  const a = authenticator(NOW);
  const v = await a.verify(signed('ASIASESSION', 'session-secret', TOKEN));
  assert.equal(v.identity, 'session');
  assert.equal(v.securityToken, TOKEN);
  await assert.rejects(a.verify(signed('ASIASESSION', 'session-secret')), UnrecognizedClientException);
  await assert.rejects(a.verify(signed('ASIASESSION', 'session-secret', `${TOKEN}x`)), UnrecognizedClientException);
  // The real clock (request freshness) is unchanged; only the domain clock has moved past the expiration.
  await assert.rejects(authenticator(NOW + 900_000).verify(signed('ASIASESSION', 'session-secret', TOKEN)), ExpiredTokenException);
  assert.equal((await authenticator(NOW + 899_999).verify(signed('ASIASESSION', 'session-secret', TOKEN))).identity, 'session');
});
