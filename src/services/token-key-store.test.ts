/** The token-routing KeyStore: `cks:` material to the token (blob v2), other material to the inner store, the per-store quota. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { newDomainKeys, openSoftwareKeyStore } from '../adapters/keystore/software.ts';
import { routeTokenMaterial } from './token-key-store.ts';
import { tokenDomainKeyId } from './custom-key-stores.ts';
import type { ClusterUserSessions } from '../ports/cluster-keys.ts';
import { AuthenticationError } from '../crypto/errors.ts';
import { ThrottlingException } from '../errors/common-errors.ts';

/** A stand-in token: one AES-256 key, GCM through node:crypto; counts its calls. */
function token(): ClusterUserSessions & { calls: number } {
  const key = randomBytes(32);
  const t = {
    calls: 0,
    generateAes256: async () => ({ blob: Buffer.alloc(1), hsms: 1 }),
    ensure: async () => 1,
    encryptGcm: async (_ref: Buffer, iv: Buffer, aad: Buffer, pt: Buffer) => {
      t.calls++;
      const c = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
      return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
    },
    decryptGcm: async (_ref: Buffer, iv: Buffer, aad: Buffer, ct: Buffer) => {
      t.calls++;
      const d = createDecipheriv('aes-256-gcm', key, iv).setAAD(aad);
      d.setAuthTag(ct.subarray(ct.length - 16));
      return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
    },
    random: async (n: number) => randomBytes(n),
    destroy: async () => 1,
    close: async () => undefined,
  };
  return t;
}

test('cks: material runs in the token as version-2 blobs bound to the context; software material stays in process; the quota throttles per store', async () => {
  const software = openSoftwareKeyStore(newDomainKeys());
  const t = token();
  let now = 0;
  const store = routeTokenMaterial(software, async () => t, { perSecond: 3, nowMs: () => now });
  const arn = 'arn:aws:kms:us-east-1:111122223333:key/k';
  const ref = { keyArn: arn, materialId: 'ab'.repeat(32), domainKeyId: tokenDomainKeyId('cks-00000000000000001'), wrapped: Buffer.alloc(1) };
  const blob = await store.perform(ref, { kind: 'encrypt', keyId: 'k', plaintext: Buffer.from('hello'), context: { a: 'b' } });
  assert.equal(blob[0], 2);
  assert.deepEqual(await store.perform(ref, { kind: 'decrypt', blob, context: { a: 'b' } }), Buffer.from('hello'));
  await assert.rejects(store.perform(ref, { kind: 'decrypt', blob, context: { a: 'c' } }));
  assert.equal(t.calls, 3);
  await assert.rejects(store.perform(ref, { kind: 'encrypt', keyId: 'k', plaintext: Buffer.from('x'), context: undefined }), ThrottlingException);
  assert.equal(t.calls, 3, 'a throttled request never reaches the token');
  // Another store has its own quota; a second later this one has room again.
  const other = { ...ref, domainKeyId: tokenDomainKeyId('cks-00000000000000002') };
  await store.perform(other, { kind: 'encrypt', keyId: 'k', plaintext: Buffer.from('x'), context: undefined });
  now += 1000;
  // A version-1 blob (the software path) never opens in the token.
  const v1 = Buffer.from(blob);
  v1[0] = 1;
  await assert.rejects(store.perform(ref, { kind: 'decrypt', blob: v1, context: { a: 'b' } }), AuthenticationError);
  // Software material: in process, version 1, no token call.
  const calls = t.calls;
  const material = { keyArn: arn, materialId: 'cd'.repeat(32), ...(await software.generate(arn, 'cd'.repeat(32), { kind: 'secret', bytes: 32 })).wrapped };
  const soft = await store.perform(material, { kind: 'encrypt', keyId: 'k', plaintext: Buffer.from('in process'), context: undefined });
  assert.equal(soft[0], 1);
  assert.deepEqual(await store.perform(material, { kind: 'decrypt', blob: soft, context: undefined }), Buffer.from('in process'));
  assert.equal(t.calls, calls);
  await assert.rejects(store.copy(ref, 'arn:aws:kms:us-west-2:111122223333:key/k'));
});

test('a quota of 0 (COFFER_QUOTA_CUSTOM_KEY_STORE_RPS=0) throttles nothing', async () => {
  const t = token();
  const store = routeTokenMaterial(openSoftwareKeyStore(newDomainKeys()), async () => t, { perSecond: 0, nowMs: () => 0 });
  const ref = { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k', materialId: 'ab'.repeat(32), domainKeyId: tokenDomainKeyId('cks-00000000000000001'), wrapped: Buffer.alloc(1) };
  for (let i = 0; i < 50; i++) await store.perform(ref, { kind: 'encrypt', keyId: 'k', plaintext: Buffer.from('x'), context: undefined });
  assert.equal(t.calls, 50);
});
