/**
 * End-to-end tests of asymmetric signing keys (RSA, NIST and SECG ECC, Ed25519): CreateKey and
 * DescribeKey metadata, GetPublicKey, Sign and Verify with RAW and DIGEST messages. Every
 * signature Coffer makes is verified independently with node:crypto and the openssl command line
 * using the public key from GetPublicKey. One server for the file; keys are made once per spec.
 * Expected values follow /work/shared/reference/KMS.md §3.3, §3.5 and the AWS recordings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { ed25519ph } from '@noble/curves/ed25519.js';
import {
  CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyRotationCommand, GetKeyLastUsageCommand, GetPublicKeyCommand,
  ScheduleKeyDeletionCommand, SignCommand, VerifyCommand,
  type KeySpec, type KeyUsageType, type KMSClient, type MessageType, type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { bytes, rejectsWith, serverForFile, type Coffer } from './harness.ts';
import { openssl, opensslSkip, Scratch } from './openssl.ts';

let coffer: Coffer;
let kms: KMSClient;
let scratch: Scratch;
serverForFile({}, (c) => { coffer = c; kms = c.client(); });
before(() => { scratch = new Scratch(); });
after(() => scratch.remove());

interface Key { id: string; arn: string; spki: Buffer; publicKey: KeyObject }

const made = new Map<string, Promise<Key>>();
/** One key per spec and usage for the whole file. */
function keyOf(spec: KeySpec, usage: KeyUsageType = 'SIGN_VERIFY'): Promise<Key> {
  const id = `${spec}/${usage}`;
  let k = made.get(id);
  if (!k) {
    k = (async () => {
      const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: usage }));
      assert.ok(m?.KeyId && m.Arn);
      const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: m.KeyId }));
      const spki = Buffer.from(PublicKey ?? new Uint8Array());
      return { id: m.KeyId, arn: m.Arn, spki, publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }) };
    })();
    made.set(id, k);
  }
  return k;
}

const MESSAGE = Buffer.from('release v1.2.3: sha256 of the tarball is 9f86d081884c7d65...');
const hashOf = (alg: string): 'sha256' | 'sha384' | 'sha512' => (alg.endsWith('384') ? 'sha384' : alg.endsWith('512') ? 'sha512' : 'sha256');
const digest = (alg: string, m: Buffer = MESSAGE): Buffer => createHash(hashOf(alg)).update(m).digest();

async function sign(key: Key, alg: SigningAlgorithmSpec, message: Buffer, type?: MessageType): Promise<Buffer> {
  const r = await kms.send(new SignCommand({ KeyId: key.id, Message: message, SigningAlgorithm: alg, ...(type ? { MessageType: type } : {}) }));
  assert.equal(r.KeyId, key.arn);
  assert.equal(r.SigningAlgorithm, alg);
  return bytes(r.Signature);
}

async function kmsVerify(key: Key, alg: SigningAlgorithmSpec, message: Buffer, signature: Buffer, type?: MessageType): Promise<void> {
  const r = await kms.send(new VerifyCommand({
    KeyId: key.id, Message: message, Signature: signature, SigningAlgorithm: alg, ...(type ? { MessageType: type } : {}),
  }));
  assert.equal(r.SignatureValid, true);
  assert.equal(r.KeyId, key.arn);
  assert.equal(r.SigningAlgorithm, alg);
}

/** node:crypto's verification of a signature of MESSAGE. */
function nodeVerifies(key: Key, alg: string, signature: Buffer, message: Buffer = MESSAGE): boolean {
  const hash = hashOf(alg);
  if (alg.startsWith('RSASSA_PSS')) {
    return nodeVerify(hash, message, { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: createHash(hash).digest().length }, signature);
  }
  if (alg.startsWith('RSASSA_PKCS1')) return nodeVerify(hash, message, { key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  if (alg.startsWith('ECDSA')) return nodeVerify(hash, message, { key: key.publicKey, dsaEncoding: 'der' }, signature);
  return nodeVerify(null, message, key.publicKey, signature);
}

/** openssl's verification of a signature of MESSAGE with the public key from GetPublicKey. */
function opensslVerifies(key: Key, alg: string, signature: Buffer, message: Buffer = MESSAGE): boolean {
  const pub = scratch.publicKeyPem(key.spki);
  const msg = scratch.file(message);
  const sig = scratch.file(signature);
  if (alg.startsWith('ED25519')) {
    return openssl(['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', msg, '-sigfile', sig]).status === 0;
  }
  const pss = alg.startsWith('RSASSA_PSS') ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'] : [];
  const r = openssl(['dgst', `-${hashOf(alg)}`, ...pss, '-verify', pub, '-signature', sig, msg]);
  return r.status === 0 && r.stdout.toString().includes('Verified OK');
}

const RSA_ALGORITHMS: SigningAlgorithmSpec[] = [
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
];
const ECDSA: Array<[KeySpec, SigningAlgorithmSpec, string]> = [
  ['ECC_NIST_P256', 'ECDSA_SHA_256', 'prime256v1'], ['ECC_NIST_P384', 'ECDSA_SHA_384', 'secp384r1'],
  ['ECC_NIST_P521', 'ECDSA_SHA_512', 'secp521r1'], ['ECC_SECG_P256K1', 'ECDSA_SHA_256', 'secp256k1'],
];

// ------------------------------------------------------------------------------------------------
// Metadata and public keys

test('CreateKey and DescribeKey of signing keys list the signing algorithms, and no encryption or key material fields', async () => {
  const cases: Array<[KeySpec, SigningAlgorithmSpec[], boolean]> = [
    ['RSA_2048', RSA_ALGORITHMS, true], ['ECC_NIST_P256', ['ECDSA_SHA_256'], true], ['ECC_NIST_P384', ['ECDSA_SHA_384'], true],
    ['ECC_NIST_P521', ['ECDSA_SHA_512'], true], ['ECC_SECG_P256K1', ['ECDSA_SHA_256'], true],
    ['ECC_NIST_EDWARDS25519', ['ED25519_SHA_512', 'ED25519_PH_SHA_512'], false],
  ];
  for (const [spec, algorithms, legacy] of cases) {
    const key = await keyOf(spec);
    const { KeyMetadata: m } = await kms.send(new DescribeKeyCommand({ KeyId: key.id }));
    assert.ok(m);
    assert.equal(m.KeySpec, spec);
    assert.equal(m.KeyUsage, 'SIGN_VERIFY');
    assert.deepEqual(m.SigningAlgorithms, algorithms, spec);
    assert.equal(m.CustomerMasterKeySpec, legacy ? spec : undefined, `${spec}: CustomerMasterKeySpec only for the specs of the deprecated enum`);
    assert.equal(m.EncryptionAlgorithms, undefined);
    assert.equal(m.MacAlgorithms, undefined);
    assert.equal(m.KeyAgreementAlgorithms, undefined);
    assert.equal(m.CurrentKeyMaterialId, undefined, 'only symmetric encryption keys name their key material');
    assert.equal(m.Enabled, true);
  }
});

test('GetPublicKey answers a DER SubjectPublicKeyInfo of the spec, with KeySpec, KeyUsage and the signing algorithms', async () => {
  const rsa = await keyOf('RSA_2048');
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/signing-e2e-rsa', TargetKeyId: rsa.id }));
  const r = await kms.send(new GetPublicKeyCommand({ KeyId: 'alias/signing-e2e-rsa' }));
  assert.equal(r.KeyId, rsa.arn);
  assert.equal(r.KeySpec, 'RSA_2048');
  assert.equal(r.CustomerMasterKeySpec, 'RSA_2048');
  assert.equal(r.KeyUsage, 'SIGN_VERIFY');
  assert.deepEqual(r.SigningAlgorithms, RSA_ALGORITHMS);
  assert.equal(r.EncryptionAlgorithms, undefined);
  assert.equal(r.KeyAgreementAlgorithms, undefined);
  assert.deepEqual(rsa.publicKey.asymmetricKeyDetails, { modulusLength: 2048, publicExponent: 65537n });
  for (const [spec, , curve] of ECDSA) {
    const key = await keyOf(spec);
    assert.equal(key.publicKey.asymmetricKeyType, 'ec');
    assert.equal(key.publicKey.asymmetricKeyDetails?.namedCurve, curve, spec);
  }
  const ed = await keyOf('ECC_NIST_EDWARDS25519');
  assert.equal(ed.publicKey.asymmetricKeyType, 'ed25519');
  assert.equal(ed.spki.length, 44);
  const edr = await kms.send(new GetPublicKeyCommand({ KeyId: ed.id }));
  assert.equal(edr.CustomerMasterKeySpec, undefined);
});

test('GetPublicKey on a disabled key succeeds (as on AWS); pending deletion is KMSInvalidStateException; symmetric keys have none', async () => {
  const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  const id = m?.KeyId as string;
  await kms.send(new DisableKeyCommand({ KeyId: id }));
  const r = await kms.send(new GetPublicKeyCommand({ KeyId: id }));
  assert.ok(bytes(r.PublicKey).length > 0);
  await rejectsWith(kms.send(new SignCommand({ KeyId: id, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256' })), 'DisabledException', `${m?.Arn} is disabled.`);
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
  await rejectsWith(kms.send(new GetPublicKeyCommand({ KeyId: id })), 'KMSInvalidStateException', `${m?.Arn} is pending deletion.`);
  const sym = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
  await rejectsWith(kms.send(new GetPublicKeyCommand({ KeyId: sym?.KeyId })), 'UnsupportedOperationException',
    `${sym?.Arn} key spec is SYMMETRIC_DEFAULT which is not valid for GetPublicKey.`);
});

test('asymmetric keys cannot be rotated (UnsupportedOperationException)', async () => {
  const key = await keyOf('ECC_NIST_P256');
  await rejectsWith(kms.send(new EnableKeyRotationCommand({ KeyId: key.id })), 'UnsupportedOperationException');
});

// ------------------------------------------------------------------------------------------------
// Sign / Verify

test('RSA: every signing algorithm, RAW; node:crypto, openssl and Verify accept the signature', { skip: opensslSkip }, async () => {
  const key = await keyOf('RSA_2048');
  for (const alg of RSA_ALGORITHMS) {
    const sig = await sign(key, alg, MESSAGE);
    assert.equal(sig.length, 256, alg);
    assert.equal(nodeVerifies(key, alg, sig), true, `node:crypto verifies ${alg}`);
    assert.equal(opensslVerifies(key, alg, sig), true, `openssl verifies ${alg}`);
    await kmsVerify(key, alg, MESSAGE, sig);
    await kmsVerify(key, alg, digest(alg), sig, 'DIGEST');
  }
  // The independent checks do refuse: a signature of another message fails both.
  const sig = await sign(key, 'RSASSA_PSS_SHA_256', Buffer.from('another message'));
  assert.equal(nodeVerifies(key, 'RSASSA_PSS_SHA_256', sig), false);
  assert.equal(opensslVerifies(key, 'RSASSA_PSS_SHA_256', sig), false);
});

test('RSA DIGEST: PKCS#1 v1.5 wraps the digest in DigestInfo, so the signature is the one of the message', { skip: opensslSkip }, async () => {
  const key = await keyOf('RSA_3072');
  for (const alg of RSA_ALGORITHMS) {
    const sig = await sign(key, alg, digest(alg), 'DIGEST');
    assert.equal(sig.length, 384, alg);
    assert.equal(nodeVerifies(key, alg, sig), true, `node:crypto verifies ${alg} over the message`);
    assert.equal(opensslVerifies(key, alg, sig), true, `openssl verifies ${alg} over the message`);
    await kmsVerify(key, alg, MESSAGE, sig, 'RAW');
  }
  // PKCS#1 v1.5 is deterministic: RAW and DIGEST give the very same signature.
  assert.deepEqual(await sign(key, 'RSASSA_PKCS1_V1_5_SHA_256', MESSAGE), await sign(key, 'RSASSA_PKCS1_V1_5_SHA_256', digest('SHA_256'), 'DIGEST'));
});

test('ECDSA on P-256, P-384, P-521 and secp256k1, RAW and DIGEST: DER signatures that node:crypto, openssl and Verify accept', { skip: opensslSkip }, async () => {
  for (const [spec, alg] of ECDSA) {
    const key = await keyOf(spec);
    for (const [message, type] of [[MESSAGE, undefined], [digest(alg), 'DIGEST']] as const) {
      const sig = await sign(key, alg, message, type);
      assert.equal(sig[0], 0x30, `${spec}: DER SEQUENCE`);
      assert.equal(nodeVerifies(key, alg, sig), true, `node:crypto verifies ${spec} ${type ?? 'RAW'}`);
      assert.equal(opensslVerifies(key, alg, sig), true, `openssl verifies ${spec} ${type ?? 'RAW'}`);
      await kmsVerify(key, alg, MESSAGE, sig);
      await kmsVerify(key, alg, digest(alg), sig, 'DIGEST');
    }
  }
});

test('Ed25519: ED25519_SHA_512 over the message (node:crypto, openssl); ED25519_PH_SHA_512 over a SHA-512 digest, pre-hashed again', { skip: opensslSkip }, async () => {
  const key = await keyOf('ECC_NIST_EDWARDS25519');
  const pure = await sign(key, 'ED25519_SHA_512', MESSAGE, 'RAW');
  assert.equal(pure.length, 64);
  assert.equal(nodeVerifies(key, 'ED25519_SHA_512', pure), true);
  assert.equal(opensslVerifies(key, 'ED25519_SHA_512', pure), true);
  await kmsVerify(key, 'ED25519_SHA_512', MESSAGE, pure);
  const d = createHash('sha512').update(MESSAGE).digest();
  const ph = await sign(key, 'ED25519_PH_SHA_512', d, 'DIGEST');
  // HashEdDSA (RFC 8032 Ed25519ph) of the digest: PH(digest) = SHA-512(digest), as the API reference says.
  assert.equal(ed25519ph.verify(ph, d, key.spki.subarray(12)), true, 'Ed25519ph verifies over the digest');
  await kmsVerify(key, 'ED25519_PH_SHA_512', d, ph, 'DIGEST');
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: MESSAGE, SigningAlgorithm: 'ED25519_PH_SHA_512' })), 'ValidationException',
    'MessageType RAW is not valid for signing algorithm ED25519_PH_SHA_512.');
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: d, SigningAlgorithm: 'ED25519_SHA_512', MessageType: 'DIGEST' })), 'ValidationException',
    'MessageType DIGEST is not valid for signing algorithm ED25519_SHA_512.');
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: d.subarray(1), SigningAlgorithm: 'ED25519_PH_SHA_512', MessageType: 'DIGEST' })),
    'ValidationException', 'Digest is invalid length for algorithm ED25519_PH_SHA_512.');
});

test('RAW messages of 1 and 4096 bytes are signed; 4097 bytes is the model\'s ValidationException', async () => {
  const key = await keyOf('ECC_NIST_P256');
  for (const size of [1, 4096]) {
    const m = Buffer.alloc(size, 0x61);
    const sig = await sign(key, 'ECDSA_SHA_256', m);
    assert.equal(nodeVerifies(key, 'ECDSA_SHA_256', sig, m), true, `${size} bytes`);
  }
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: Buffer.alloc(4097), SigningAlgorithm: 'ECDSA_SHA_256' })), 'ValidationException',
    "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096");
});

test('a DIGEST of the wrong length is AWS\'s ValidationException; EXTERNAL_MU is for ML-DSA only', async () => {
  const ec = await keyOf('ECC_NIST_P256');
  await rejectsWith(kms.send(new SignCommand({ KeyId: ec.id, Message: Buffer.alloc(48), SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'DIGEST' })),
    'ValidationException', 'Digest is invalid length for algorithm ECDSA_SHA_256.');
  const rsa = await keyOf('RSA_2048');
  await rejectsWith(kms.send(new SignCommand({ KeyId: rsa.id, Message: Buffer.alloc(32), SigningAlgorithm: 'RSASSA_PSS_SHA_512', MessageType: 'DIGEST' })),
    'ValidationException', 'Digest is invalid length for algorithm RSASSA_PSS_SHA_512.');
  await rejectsWith(kms.send(new VerifyCommand({
    KeyId: rsa.id, Message: Buffer.alloc(31), Signature: Buffer.alloc(256), SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256', MessageType: 'DIGEST',
  })), 'ValidationException', 'Digest is invalid length for algorithm RSASSA_PKCS1_V1_5_SHA_256.');
  await rejectsWith(kms.send(new SignCommand({ KeyId: ec.id, Message: Buffer.alloc(64), SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'EXTERNAL_MU' })),
    'ValidationException', 'MessageType EXTERNAL_MU is not valid for signing algorithm ECDSA_SHA_256.');
});

test('Verify: another message, a changed signature, another algorithm or another key is KMSInvalidSignatureException with no message', async () => {
  const key = await keyOf('ECC_NIST_P384');
  const sig = await sign(key, 'ECDSA_SHA_384', MESSAGE);
  const changed = Buffer.from(sig);
  changed[changed.length - 3] = (changed[changed.length - 3] as number) ^ 0x01;
  const other = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' }));
  const bad: Array<[string, Buffer, Buffer, string | undefined]> = [
    ['another message', Buffer.from('another message'), sig, undefined],
    ['a changed signature', MESSAGE, changed, undefined],
    ['garbage', MESSAGE, Buffer.from('not a signature'), undefined],
    ['another key', MESSAGE, sig, other.KeyMetadata?.KeyId],
  ];
  for (const [what, message, signature, keyId] of bad) {
    const r = await coffer.raw({
      target: 'Verify',
      body: JSON.stringify({ KeyId: keyId ?? key.id, Message: message.toString('base64'), Signature: signature.toString('base64'), SigningAlgorithm: 'ECDSA_SHA_384' }),
    });
    assert.equal(r.status, 400, what);
    assert.equal(r.body, '{"__type":"KMSInvalidSignatureException"}', what);
  }
  const rsa = await keyOf('RSA_2048');
  const pss = await sign(rsa, 'RSASSA_PSS_SHA_256', MESSAGE);
  await rejectsWith(kms.send(new VerifyCommand({ KeyId: rsa.id, Message: MESSAGE, Signature: pss, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' })),
    'KMSInvalidSignatureException');
});

test('Sign and Verify with DryRun answer DryRunOperationException after every check', async () => {
  const key = await keyOf('ECC_NIST_P256');
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256', DryRun: true })),
    'DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');
  await rejectsWith(kms.send(new VerifyCommand({ KeyId: key.id, Message: MESSAGE, Signature: Buffer.alloc(70), SigningAlgorithm: 'ECDSA_SHA_256', DryRun: true })),
    'DryRunOperationException');
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_384', DryRun: true })),
    'InvalidKeyUsageException', 'Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.');
});

test('GetKeyLastUsage records Sign and Verify (GetPublicKey is not a tracked operation)', async () => {
  const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
  const id = m?.KeyId as string;
  const sig = (await kms.send(new SignCommand({ KeyId: id, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256' }))).Signature;
  assert.equal((await kms.send(new GetKeyLastUsageCommand({ KeyId: id }))).KeyLastUsage?.Operation, 'Sign');
  await kms.send(new VerifyCommand({ KeyId: id, Message: MESSAGE, Signature: sig, SigningAlgorithm: 'ECDSA_SHA_256' }));
  await kms.send(new GetPublicKeyCommand({ KeyId: id }));
  assert.equal((await kms.send(new GetKeyLastUsageCommand({ KeyId: id }))).KeyLastUsage?.Operation, 'Verify');
});
