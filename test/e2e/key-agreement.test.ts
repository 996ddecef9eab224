/**
 * End-to-end tests of KEY_AGREEMENT keys (ECC_NIST_P256/P384/P521): DeriveSharedSecret with a
 * peer's DER SubjectPublicKeyInfo equals the ECDH secret computed locally with node:crypto and
 * with the openssl command line, and two Coffer keys agree with each other. One server for the file.
 * Expected values follow /work/shared/reference/KMS.md §3.3, §3.6 and the AWS recordings
 * (test_derive_shared_secret, test_derive_shared_secret_matches_openssl).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CreateKeyCommand, DeriveSharedSecretCommand, DescribeKeyCommand, DisableKeyCommand, GetPublicKeyCommand, SignCommand,
  type KeyAgreementAlgorithmSpec, type KeySpec, type KMSClient,
} from '@aws-sdk/client-kms';
import { bytes, rejectsWith, serverForFile, type Coffer } from './harness.ts';
import { openssl, opensslSkip, Scratch } from './openssl.ts';

let coffer: Coffer;
let kms: KMSClient;
let scratch: Scratch;
serverForFile({}, (c) => { coffer = c; kms = c.client(); });
before(() => { scratch = new Scratch(); });
after(() => scratch.remove());

const CURVES: Array<[KeySpec, string, number]> = [['ECC_NIST_P256', 'prime256v1', 32], ['ECC_NIST_P384', 'secp384r1', 48], ['ECC_NIST_P521', 'secp521r1', 66]];

async function newKey(spec: KeySpec): Promise<{ id: string; arn: string; spki: Buffer }> {
  const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'KEY_AGREEMENT' }));
  assert.ok(m?.KeyId && m.Arn);
  return { id: m.KeyId, arn: m.Arn, spki: bytes((await kms.send(new GetPublicKeyCommand({ KeyId: m.KeyId }))).PublicKey) };
}

const peer = (curve: string) => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return { publicKey, privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
};

test('KEY_AGREEMENT keys list ECDH in DescribeKey and GetPublicKey', async () => {
  const key = await newKey('ECC_NIST_P256');
  const { KeyMetadata: m } = await kms.send(new DescribeKeyCommand({ KeyId: key.id }));
  assert.deepEqual(m?.KeyAgreementAlgorithms, ['ECDH']);
  assert.equal(m?.SigningAlgorithms, undefined);
  assert.equal(m?.KeyUsage, 'KEY_AGREEMENT');
  const pub = await kms.send(new GetPublicKeyCommand({ KeyId: key.id }));
  assert.deepEqual(pub.KeyAgreementAlgorithms, ['ECDH']);
  assert.equal(pub.KeyUsage, 'KEY_AGREEMENT');
  assert.equal(pub.SigningAlgorithms, undefined);
});

test('DeriveSharedSecret equals the ECDH secret computed locally (node:crypto and openssl) on P-256, P-384 and P-521', { skip: opensslSkip }, async () => {
  for (const [spec, curve, size] of CURVES) {
    const key = await newKey(spec);
    const local = peer(curve);
    const r = await kms.send(new DeriveSharedSecretCommand({ KeyId: key.id, KeyAgreementAlgorithm: 'ECDH', PublicKey: local.spki }));
    assert.equal(r.KeyId, key.arn);
    assert.equal(r.KeyAgreementAlgorithm, 'ECDH');
    assert.equal(r.KeyOrigin, 'AWS_KMS');
    const secret = bytes(r.SharedSecret);
    assert.equal(secret.length, size, spec);
    const kmsPublic = createPublicKey({ key: key.spki, format: 'der', type: 'spki' });
    assert.deepEqual(secret, diffieHellman({ privateKey: local.privateKey, publicKey: kmsPublic }), `${spec}: node:crypto computes the same secret`);
    const privPem = scratch.file(local.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const out = `${scratch.dir}/secret-${spec}.bin`;
    const o = openssl(['pkeyutl', '-derive', '-inkey', privPem, '-peerkey', scratch.publicKeyPem(key.spki), '-out', out]);
    assert.equal(o.status, 0, o.stderr);
    assert.deepEqual(readFileSync(out), secret, `${spec}: openssl computes the same secret`);
  }
});

test('two Coffer keys on the same curve derive the same secret from each other\'s public key', async () => {
  const a = await newKey('ECC_NIST_P384');
  const b = await newKey('ECC_NIST_P384');
  const ab = await kms.send(new DeriveSharedSecretCommand({ KeyId: a.id, KeyAgreementAlgorithm: 'ECDH', PublicKey: b.spki }));
  const ba = await kms.send(new DeriveSharedSecretCommand({ KeyId: b.arn, KeyAgreementAlgorithm: 'ECDH', PublicKey: a.spki }));
  assert.deepEqual(bytes(ab.SharedSecret), bytes(ba.SharedSecret));
});

test('a peer key on another curve, of another type or not DER is a ValidationException', async () => {
  const key = await newKey('ECC_NIST_P256');
  const bad: Array<[string, Buffer]> = [
    ['P-384 key', peer('secp384r1').spki],
    ['Ed25519 key', generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' })],
    ['RSA key', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' })],
    ['garbage', Buffer.from('not a public key')],
  ];
  for (const [what, spki] of bad) {
    const err = await rejectsWith(kms.send(new DeriveSharedSecretCommand({ KeyId: key.id, KeyAgreementAlgorithm: 'ECDH', PublicKey: spki })), 'ValidationException');
    assert.ok(err, what);
  }
  await rejectsWith(kms.send(new DeriveSharedSecretCommand({ KeyId: key.id, KeyAgreementAlgorithm: 'INVALID' as KeyAgreementAlgorithmSpec, PublicKey: peer('prime256v1').spki })),
    'ValidationException',
    "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ECDH]");
});

test('wrong key usage is AWS\'s InvalidKeyUsageException; RSA cannot be a KEY_AGREEMENT key; KEY_AGREEMENT keys cannot sign', async () => {
  const signing = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  const spki = peer('prime256v1').spki;
  await rejectsWith(kms.send(new DeriveSharedSecretCommand({ KeyId: signing.KeyMetadata?.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: spki })),
    'InvalidKeyUsageException', `${signing.KeyMetadata?.Arn} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.`);
  const sym = await kms.send(new CreateKeyCommand({}));
  await rejectsWith(kms.send(new DeriveSharedSecretCommand({ KeyId: sym.KeyMetadata?.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: spki })),
    'InvalidKeyUsageException', `${sym.KeyMetadata?.Arn} key usage is ENCRYPT_DECRYPT which is not valid for DeriveSharedSecret.`);
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'KEY_AGREEMENT' })), 'ValidationException',
    'KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048');
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'KEY_AGREEMENT' })), 'ValidationException',
    'KeyUsage KEY_AGREEMENT is not compatible with KeySpec ECC_SECG_P256K1');
  const ka = await newKey('ECC_NIST_P256');
  await rejectsWith(kms.send(new SignCommand({ KeyId: ka.id, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' })), 'InvalidKeyUsageException',
    `${ka.arn} key usage is KEY_AGREEMENT which is not valid for Sign.`);
});

test('DeriveSharedSecret: DryRun, Recipient and a disabled key', async () => {
  const key = await newKey('ECC_NIST_P521');
  const spki = peer('secp521r1').spki;
  await rejectsWith(kms.send(new DeriveSharedSecretCommand({ KeyId: key.id, KeyAgreementAlgorithm: 'ECDH', PublicKey: spki, DryRun: true })), 'DryRunOperationException');
  await rejectsWith(kms.send(new DeriveSharedSecretCommand({ KeyId: key.id, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer('prime256v1').spki, DryRun: true })),
    'ValidationException');
  await rejectsWith(kms.send(new DeriveSharedSecretCommand({
    KeyId: key.id, KeyAgreementAlgorithm: 'ECDH', PublicKey: spki, Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: Buffer.alloc(16) },
  })), 'UnsupportedOperationException');
  await kms.send(new DisableKeyCommand({ KeyId: key.id }));
  await rejectsWith(kms.send(new DeriveSharedSecretCommand({ KeyId: key.id, KeyAgreementAlgorithm: 'ECDH', PublicKey: spki })), 'DisabledException', `${key.arn} is disabled.`);
});
