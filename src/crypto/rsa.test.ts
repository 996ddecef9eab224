import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, publicEncrypt, sign, verify } from 'node:crypto';
import { AuthenticationError } from './errors.ts';
import { digestInfo, emsaPssEncode, emsaPssVerify, HASH_BYTES, rsaOaepDecrypt, rsaOaepEncrypt, rsaSignDigest, rsaVerifyDigest, type RsaHash } from './rsa.ts';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = publicKey.export({ type: 'spki', format: 'der' });
const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
const HASHES: RsaHash[] = ['sha256', 'sha384', 'sha512'];
const message = Buffer.from('a release to sign');
const digest = (h: RsaHash): Buffer => createHash(h).update(message).digest();

test('PKCS#1 v1.5 over a digest equals OpenSSL signing the message (deterministic), for SHA-256/384/512', () => {
  for (const h of HASHES) {
    const ours = rsaSignDigest(pkcs8, 'RSASSA_PKCS1_V1_5', h, digest(h));
    assert.deepEqual(ours, sign(h, message, { key: privateKey, padding: constants.RSA_PKCS1_PADDING }), h);
    assert.equal(rsaVerifyDigest(spki, 'RSASSA_PKCS1_V1_5', h, digest(h), ours), true, h);
  }
});

test('DigestInfo is the DER prefix of RFC 8017 §9.2 followed by the digest', () => {
  assert.equal(digestInfo('sha256', Buffer.alloc(32)).toString('hex'), `3031300d060960864801650304020105000420${'00'.repeat(32)}`);
  assert.throws(() => digestInfo('sha256', Buffer.alloc(48)));
});

test('PSS signatures over a digest verify with OpenSSL (salt = hash length), and OpenSSL\'s verify with ours', () => {
  for (const h of HASHES) {
    const ours = rsaSignDigest(pkcs8, 'RSASSA_PSS', h, digest(h));
    const opts = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[h] };
    assert.equal(verify(h, message, opts, ours), true, `OpenSSL verifies ours (${h})`);
    const theirs = sign(h, message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[h] });
    assert.equal(rsaVerifyDigest(spki, 'RSASSA_PSS', h, digest(h), theirs), true, `we verify OpenSSL's (${h})`);
    // PSS is randomized: two signatures differ and both verify.
    assert.notDeepEqual(rsaSignDigest(pkcs8, 'RSASSA_PSS', h, digest(h)), ours);
  }
});

test('verification fails for another digest, another scheme, another hash, a changed or short signature', () => {
  const sig = rsaSignDigest(pkcs8, 'RSASSA_PSS', 'sha256', digest('sha256'));
  const other = createHash('sha256').update('another release').digest();
  assert.equal(rsaVerifyDigest(spki, 'RSASSA_PSS', 'sha256', other, sig), false);
  assert.equal(rsaVerifyDigest(spki, 'RSASSA_PKCS1_V1_5', 'sha256', digest('sha256'), sig), false);
  assert.equal(rsaVerifyDigest(spki, 'RSASSA_PSS', 'sha384', digest('sha384'), sig), false);
  const changed = Buffer.from(sig);
  changed[10] = (changed[10] as number) ^ 0x40;
  assert.equal(rsaVerifyDigest(spki, 'RSASSA_PSS', 'sha256', digest('sha256'), changed), false);
  assert.equal(rsaVerifyDigest(spki, 'RSASSA_PSS', 'sha256', digest('sha256'), sig.subarray(1)), false);
  assert.equal(rsaVerifyDigest(spki, 'RSASSA_PSS', 'sha256', digest('sha256'), Buffer.alloc(256, 0xff)), false, 'above the modulus');
});

test('EMSA-PSS encoding round-trips and clears the bits above emBits', () => {
  const salt = Buffer.alloc(32, 7);
  const em = emsaPssEncode('sha256', digest('sha256'), 2047, salt);
  assert.equal(em.length, 256);
  assert.equal((em[0] as number) & 0x80, 0);
  assert.equal(em[255], 0xbc);
  assert.equal(emsaPssVerify('sha256', digest('sha256'), em, 2047), true);
  const topBitSet = Buffer.from(em);
  topBitSet[0] = (topBitSet[0] as number) | 0x80;
  assert.equal(emsaPssVerify('sha256', digest('sha256'), topBitSet, 2047), false, 'a bit above emBits must be zero');
  assert.equal(emsaPssVerify('sha256', createHash('sha256').update('x').digest(), em, 2047), false);
});

test('RSAES-OAEP: what we encrypt OpenSSL decrypts is ours to open; wrong hash or tampering is one AuthenticationError', () => {
  for (const hash of ['sha1', 'sha256'] as const) {
    const plaintext = Buffer.from(`secret under OAEP-${hash}`);
    const ours = rsaOaepEncrypt(spki, hash, plaintext);
    assert.equal(ours.length, 256);
    assert.deepEqual(rsaOaepDecrypt(pkcs8, hash, ours), plaintext);
    const theirs = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, plaintext);
    assert.deepEqual(rsaOaepDecrypt(pkcs8, hash, theirs), plaintext);
  }
  const ct = rsaOaepEncrypt(spki, 'sha256', Buffer.from('x'));
  assert.throws(() => rsaOaepDecrypt(pkcs8, 'sha1', ct), AuthenticationError);
  const changed = Buffer.from(ct);
  changed[100] = (changed[100] as number) ^ 1;
  assert.throws(() => rsaOaepDecrypt(pkcs8, 'sha256', changed), AuthenticationError);
  assert.throws(() => rsaOaepDecrypt(pkcs8, 'sha256', ct.subarray(1)), AuthenticationError);
});
