/**
 * End-to-end tests of GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: every
 * KeyPairSpec Coffer supports gives a DER SPKI public key and a DER PKCS#8 private key that belong
 * together (a signature made locally with the private key verifies with the public key, in
 * node:crypto and openssl), and the private key encrypted under a symmetric key exactly as
 * Encrypt would, so Decrypt with the same encryption context opens it. One server for the file.
 * Expected values follow /work/shared/reference/KMS.md §3.3, §3.4 and the AWS recordings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import {
  CreateKeyCommand, DecryptCommand, DisableKeyCommand, GenerateDataKeyPairCommand, GenerateDataKeyPairWithoutPlaintextCommand,
  GetPublicKeyCommand, VerifyCommand, type DataKeyPairSpec, type KMSClient,
} from '@aws-sdk/client-kms';
import { bytes, rejectsWith, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { openssl, opensslSkip, Scratch } from './openssl.ts';
import { importMaterial } from './byok.ts';

let coffer: Coffer;
let kms: KMSClient;
let scratch: Scratch;
let wrapping: { id: string; arn: string; materialId: string };
before(async () => {
  coffer = await startCoffer();
  kms = coffer.client();
  scratch = new Scratch();
  const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({}));
  wrapping = { id: m?.KeyId as string, arn: m?.Arn as string, materialId: m?.CurrentKeyMaterialId as string };
});
after(async () => {
  await coffer.stop();
  removeDataDir(coffer.dataDir);
  scratch.remove();
});

const MESSAGE = Buffer.from('signed outside Coffer with a data key pair');

/** What each spec's public key must look like to node:crypto, and how to sign with it. */
const SPECS: Array<[DataKeyPairSpec, string, Record<string, unknown>, string | null]> = [
  ['RSA_2048', 'rsa', { modulusLength: 2048, publicExponent: 65537n }, 'sha256'],
  ['RSA_3072', 'rsa', { modulusLength: 3072, publicExponent: 65537n }, 'sha384'],
  ['RSA_4096', 'rsa', { modulusLength: 4096, publicExponent: 65537n }, 'sha512'],
  ['ECC_NIST_P256', 'ec', { namedCurve: 'prime256v1' }, 'sha256'],
  ['ECC_NIST_P384', 'ec', { namedCurve: 'secp384r1' }, 'sha384'],
  ['ECC_NIST_P521', 'ec', { namedCurve: 'secp521r1' }, 'sha512'],
  ['ECC_SECG_P256K1', 'ec', { namedCurve: 'secp256k1' }, 'sha256'],
  ['ECC_NIST_EDWARDS25519', 'ed25519', {}, null],
];

test('GenerateDataKeyPair: every KeyPairSpec; the halves belong together and the encrypted private key decrypts', { skip: opensslSkip }, async () => {
  for (const [spec, type, details, hash] of SPECS) {
    const ctx = { pair: spec };
    const r = await kms.send(new GenerateDataKeyPairCommand({ KeyId: wrapping.id, KeyPairSpec: spec, EncryptionContext: ctx }));
    assert.equal(r.KeyId, wrapping.arn, spec);
    assert.equal(r.KeyPairSpec, spec);
    assert.equal(r.KeyMaterialId, wrapping.materialId);
    const publicKey = createPublicKey({ key: bytes(r.PublicKey), format: 'der', type: 'spki' });
    const privateDer = bytes(r.PrivateKeyPlaintext);
    const privateKey = createPrivateKey({ key: privateDer, format: 'der', type: 'pkcs8' });
    assert.equal(publicKey.asymmetricKeyType, type, spec);
    assert.deepEqual(publicKey.asymmetricKeyDetails, details, spec);
    assert.deepEqual(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), bytes(r.PublicKey), `${spec}: the public key is the private key's`);

    const signature = sign(hash, MESSAGE, privateKey);
    assert.equal(verify(hash, MESSAGE, publicKey, signature), true, `${spec}: node:crypto verifies a local signature`);
    const pem = scratch.publicKeyPem(bytes(r.PublicKey));
    const check = type === 'ed25519'
      ? openssl(['pkeyutl', '-verify', '-pubin', '-inkey', pem, '-rawin', '-in', scratch.file(MESSAGE), '-sigfile', scratch.file(signature)])
      : openssl(['dgst', `-${hash}`, '-verify', pem, '-signature', scratch.file(signature), scratch.file(MESSAGE)]);
    assert.equal(check.status, 0, `${spec}: openssl verifies a local signature (${check.stderr})`);

    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: r.PrivateKeyCiphertextBlob, EncryptionContext: ctx }));
    assert.deepEqual(bytes(dec.Plaintext), privateDer, `${spec}: Decrypt opens PrivateKeyCiphertextBlob`);
    assert.equal(dec.KeyId, wrapping.arn);
    await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: r.PrivateKeyCiphertextBlob })), 'InvalidCiphertextException');
  }
});

test('two data key pairs differ', async () => {
  const a = await kms.send(new GenerateDataKeyPairCommand({ KeyId: wrapping.id, KeyPairSpec: 'ECC_NIST_P256' }));
  const b = await kms.send(new GenerateDataKeyPairCommand({ KeyId: wrapping.id, KeyPairSpec: 'ECC_NIST_P256' }));
  assert.notDeepEqual(bytes(a.PublicKey), bytes(b.PublicKey));
  assert.notDeepEqual(bytes(a.PrivateKeyPlaintext), bytes(b.PrivateKeyPlaintext));
});

test('GenerateDataKeyPairWithoutPlaintext: no PrivateKeyPlaintext on the wire; the ciphertext decrypts to the private key of PublicKey', async () => {
  const r = await coffer.raw({
    target: 'GenerateDataKeyPairWithoutPlaintext', body: JSON.stringify({ KeyId: wrapping.arn, KeyPairSpec: 'ECC_NIST_P384', EncryptionContext: { w: 'p' } }),
  });
  assert.equal(r.status, 200, r.body);
  const out = JSON.parse(r.body) as Record<string, string>;
  assert.deepEqual(Object.keys(out).sort(), ['KeyId', 'KeyMaterialId', 'KeyPairSpec', 'PrivateKeyCiphertextBlob', 'PublicKey']);
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(out.PrivateKeyCiphertextBlob ?? '', 'base64'), EncryptionContext: { w: 'p' } }));
  const privateKey = createPrivateKey({ key: bytes(dec.Plaintext), format: 'der', type: 'pkcs8' });
  assert.equal(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64'), out.PublicKey);
  const sdk = await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: wrapping.id, KeyPairSpec: 'RSA_2048' }));
  assert.equal('PrivateKeyPlaintext' in sdk, false);
  assert.equal(sdk.KeyPairSpec, 'RSA_2048');
});

test('the wrapping key must be a symmetric encryption key; SM2 is not supported; DryRun, Recipient and a disabled key', async () => {
  const rsa = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  await rejectsWith(kms.send(new GenerateDataKeyPairCommand({ KeyId: rsa.KeyMetadata?.KeyId, KeyPairSpec: 'RSA_2048' })), 'InvalidKeyUsageException',
    `${rsa.KeyMetadata?.Arn} key usage is SIGN_VERIFY which is not valid for GenerateDataKeyPair.`);
  const hmac = await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }));
  await rejectsWith(kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: hmac.KeyMetadata?.KeyId, KeyPairSpec: 'RSA_2048' })), 'InvalidKeyUsageException');
  await rejectsWith(kms.send(new GenerateDataKeyPairCommand({ KeyId: wrapping.id, KeyPairSpec: 'SM2' })), 'UnsupportedOperationException', /SM2/);
  await rejectsWith(kms.send(new GenerateDataKeyPairCommand({ KeyId: wrapping.id, KeyPairSpec: 'ML_DSA_44' as DataKeyPairSpec })), 'ValidationException',
    /Value 'ML_DSA_44' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set/);
  await rejectsWith(kms.send(new GenerateDataKeyPairCommand({ KeyId: wrapping.id, KeyPairSpec: 'RSA_2048', DryRun: true })), 'DryRunOperationException',
    'The request would have succeeded, but the DryRun option is set.');
  await rejectsWith(kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: wrapping.id, KeyPairSpec: 'RSA_4096', DryRun: true })), 'DryRunOperationException');
  await rejectsWith(kms.send(new GenerateDataKeyPairCommand({
    KeyId: wrapping.id, KeyPairSpec: 'ECC_NIST_P256', Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: Buffer.alloc(16) },
  })), 'UnsupportedOperationException');
  const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({}));
  await kms.send(new DisableKeyCommand({ KeyId: m?.KeyId }));
  await rejectsWith(kms.send(new GenerateDataKeyPairCommand({ KeyId: m?.KeyId, KeyPairSpec: 'ECC_NIST_P256' })), 'DisabledException', `${m?.Arn} is disabled.`);
});

test('a signature made locally with a data key pair verifies through Verify (the pair imported as key material)', async () => {
  for (const [pairSpec, algorithm] of [['ECC_NIST_P256', 'ECDSA_SHA_256'], ['RSA_2048', 'RSASSA_PSS_SHA_256']] as const) {
    const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: wrapping.id, KeyPairSpec: pairSpec }));
    const privateDer = bytes(pair.PrivateKeyPlaintext);
    const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({ KeySpec: pairSpec, KeyUsage: 'SIGN_VERIFY', Origin: 'EXTERNAL' }));
    await importMaterial(kms, m?.KeyId as string, privateDer);
    const privateKey = createPrivateKey({ key: privateDer, format: 'der', type: 'pkcs8' });
    const signature = algorithm === 'ECDSA_SHA_256'
      ? sign('sha256', MESSAGE, privateKey)
      : sign('sha256', MESSAGE, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    const ok = await kms.send(new VerifyCommand({ KeyId: m?.KeyId, Message: MESSAGE, Signature: signature, SigningAlgorithm: algorithm }));
    assert.equal(ok.SignatureValid, true, pairSpec);
    const forged = Buffer.from(signature);
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
    await rejectsWith(kms.send(new VerifyCommand({ KeyId: m?.KeyId, Message: MESSAGE, Signature: forged, SigningAlgorithm: algorithm })), 'KMSInvalidSignatureException');
    // GetPublicKey of the imported key is the pair's public half.
    assert.deepEqual(bytes((await kms.send(new GetPublicKeyCommand({ KeyId: m?.KeyId }))).PublicKey), bytes(pair.PublicKey));
  }
});
