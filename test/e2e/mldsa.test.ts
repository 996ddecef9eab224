/**
 * End-to-end tests of ML-DSA keys (ML_DSA_44/65/87, SIGN_VERIFY, ML_DSA_SHAKE_256): metadata,
 * the RFC 9881 SubjectPublicKeyInfo from GetPublicKey, and Sign/Verify with the RAW and
 * EXTERNAL_MU message types; every signature is checked with @noble/post-quantum. One server for
 * the file. Expected values follow /work/shared/reference/KMS.md §3.3, §3.5 and the AWS ML-DSA
 * guide (μ = SHAKE256(SHAKE256(pk, 64) || 0x00 || 0x00 || M, 64), FIPS 204 §6.2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import {
  CreateKeyCommand, DescribeKeyCommand, GetPublicKeyCommand, SignCommand, VerifyCommand, type KeySpec, type KMSClient, type MessageType,
} from '@aws-sdk/client-kms';
import { bytes, rejectsWith, serverForFile, type Coffer } from './harness.ts';

let coffer: Coffer;
let kms: KMSClient;
serverForFile({}, (c) => { coffer = c; kms = c.client(); });

/** Spec, noble parameter set, DER OID of id-ml-dsa-NN, public key and signature sizes (FIPS 204 Table 2). */
const LEVELS = [
  ['ML_DSA_44', ml_dsa44, '0609608648016503040311', 1312, 2420],
  ['ML_DSA_65', ml_dsa65, '0609608648016503040312', 1952, 3309],
  ['ML_DSA_87', ml_dsa87, '0609608648016503040313', 2592, 4627],
] as const;

interface Key { id: string; arn: string; publicKey: Buffer }
const made = new Map<string, Promise<Key>>();
function keyOf(spec: KeySpec): Promise<Key> {
  let k = made.get(spec);
  if (!k) {
    k = (async () => {
      const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }));
      assert.ok(m?.KeyId && m.Arn);
      const spki = bytes((await kms.send(new GetPublicKeyCommand({ KeyId: m.KeyId }))).PublicKey);
      return { id: m.KeyId, arn: m.Arn, publicKey: spki.subarray(spki.length - (LEVELS.find((l) => l[0] === spec)?.[3] ?? 0)) };
    })();
    made.set(spec, k);
  }
  return k;
}

const mu = (publicKey: Buffer, message: Buffer): Buffer => {
  const tr = createHash('shake256', { outputLength: 64 }).update(publicKey).digest();
  return createHash('shake256', { outputLength: 64 }).update(tr).update(Buffer.of(0, 0)).update(message).digest();
};

async function sign(key: Key, message: Buffer, type: MessageType = 'RAW'): Promise<Buffer> {
  const r = await kms.send(new SignCommand({ KeyId: key.id, Message: message, SigningAlgorithm: 'ML_DSA_SHAKE_256', MessageType: type }));
  assert.equal(r.SigningAlgorithm, 'ML_DSA_SHAKE_256');
  assert.equal(r.KeyId, key.arn);
  return bytes(r.Signature);
}

test('ML-DSA keys: SigningAlgorithms [ML_DSA_SHAKE_256], no CustomerMasterKeySpec, an RFC 9881 public key', async () => {
  for (const [spec, , oid, pkSize] of LEVELS) {
    const key = await keyOf(spec);
    const { KeyMetadata: m } = await kms.send(new DescribeKeyCommand({ KeyId: key.id }));
    assert.equal(m?.KeySpec, spec);
    assert.deepEqual(m?.SigningAlgorithms, ['ML_DSA_SHAKE_256']);
    assert.equal(m?.CustomerMasterKeySpec, undefined, 'ML-DSA is not in the deprecated enum');
    const r = await kms.send(new GetPublicKeyCommand({ KeyId: key.id }));
    assert.equal(r.KeySpec, spec);
    assert.equal(r.KeyUsage, 'SIGN_VERIFY');
    assert.deepEqual(r.SigningAlgorithms, ['ML_DSA_SHAKE_256']);
    const spki = bytes(r.PublicKey);
    assert.equal(spki.subarray(4, 17).toString('hex'), `300b${oid}`, `${spec}: AlgorithmIdentifier with the OID and no parameters`);
    assert.equal(key.publicKey.length, pkSize);
  }
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'ML_DSA_44', KeyUsage: 'ENCRYPT_DECRYPT' })), 'ValidationException',
    'KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ML_DSA_44');
});

test('RAW signatures verify with @noble/post-quantum and through Verify, at every level', async () => {
  const message = Buffer.from('firmware 4.2 for the post-quantum era');
  for (const [spec, alg, , , sigSize] of LEVELS) {
    const key = await keyOf(spec);
    const sig = await sign(key, message);
    assert.equal(sig.length, sigSize, spec);
    assert.equal(alg.verify(sig, message, key.publicKey), true, `${spec}: noble verifies`);
    assert.equal(alg.verify(sig, Buffer.from('another message'), key.publicKey), false);
    const v = await kms.send(new VerifyCommand({ KeyId: key.id, Message: message, Signature: sig, SigningAlgorithm: 'ML_DSA_SHAKE_256' }));
    assert.equal(v.SignatureValid, true);
  }
});

test('EXTERNAL_MU: a signature of a locally computed μ is a signature of the message; RAW and EXTERNAL_MU verify each other', async () => {
  const message = Buffer.alloc(100_000, 0x5a); // larger than Sign takes as RAW
  const key = await keyOf('ML_DSA_65');
  const m = mu(key.publicKey, message);
  const sig = await sign(key, m, 'EXTERNAL_MU');
  assert.equal(ml_dsa65.verify(sig, message, key.publicKey), true, 'noble verifies over the whole message');
  await kms.send(new VerifyCommand({ KeyId: key.id, Message: m, Signature: sig, SigningAlgorithm: 'ML_DSA_SHAKE_256', MessageType: 'EXTERNAL_MU' }));
  const small = Buffer.from('small enough for RAW');
  const raw = await sign(key, small);
  await kms.send(new VerifyCommand({ KeyId: key.id, Message: mu(key.publicKey, small), Signature: raw, SigningAlgorithm: 'ML_DSA_SHAKE_256', MessageType: 'EXTERNAL_MU' }));
  const viaMu = await sign(key, mu(key.publicKey, small), 'EXTERNAL_MU');
  await kms.send(new VerifyCommand({ KeyId: key.id, Message: small, Signature: viaMu, SigningAlgorithm: 'ML_DSA_SHAKE_256' }));
});

test('ML-DSA refusals: μ of the wrong length, DIGEST, another algorithm, a bad signature', async () => {
  const key = await keyOf('ML_DSA_44');
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: Buffer.alloc(32), SigningAlgorithm: 'ML_DSA_SHAKE_256', MessageType: 'EXTERNAL_MU' })),
    'ValidationException', 'External mu is invalid length for algorithm ML_DSA_SHAKE_256.');
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: Buffer.alloc(64), SigningAlgorithm: 'ML_DSA_SHAKE_256', MessageType: 'DIGEST' })),
    'ValidationException', 'MessageType DIGEST is not valid for signing algorithm ML_DSA_SHAKE_256.');
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' })), 'InvalidKeyUsageException',
    'Algorithm ECDSA_SHA_256 is incompatible with key spec ML_DSA_44.');
  const sig = await sign(key, Buffer.from('m'));
  sig[100] = (sig[100] as number) ^ 1;
  await rejectsWith(kms.send(new VerifyCommand({ KeyId: key.id, Message: Buffer.from('m'), Signature: sig, SigningAlgorithm: 'ML_DSA_SHAKE_256' })),
    'KMSInvalidSignatureException');
});
