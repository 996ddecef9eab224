/**
 * End-to-end tests of what every key spec may and may not do, written from the reference's table
 * (/work/shared/reference/KMS.md §3.3) rather than from Coffer's capability table: each legal
 * spec/usage pair is created, each illegal one is AWS's ValidationException; each key refuses the
 * operations of other usages and the algorithms of other specs with InvalidKeyUsageException in
 * AWS's recorded wording. One server for the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  CreateKeyCommand, DeriveSharedSecretCommand, EncryptCommand, GenerateDataKeyCommand, GenerateMacCommand, GetPublicKeyCommand, SignCommand,
  VerifyCommand, VerifyMacCommand, type EncryptionAlgorithmSpec, type KeyUsageType, type KMSClient, type MacAlgorithmSpec,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { rejectsWith, serverForFile, type Coffer } from './harness.ts';

let coffer: Coffer;
let kms: KMSClient;
serverForFile({}, (c) => { coffer = c; kms = c.client(); });

const USAGES: KeyUsageType[] = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'];
const RSA_SIGN: SigningAlgorithmSpec[] = ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512'];
const ALL_SIGN: SigningAlgorithmSpec[] = [...RSA_SIGN, 'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'SM2DSA', 'ML_DSA_SHAKE_256', 'ED25519_SHA_512', 'ED25519_PH_SHA_512'];
const ALL_ENC: EncryptionAlgorithmSpec[] = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'];
const ALL_MAC: MacAlgorithmSpec[] = ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'];

/** The reference's table: usages, and the algorithms of each usage. */
interface Row { usages: KeyUsageType[]; enc?: EncryptionAlgorithmSpec[]; sign?: SigningAlgorithmSpec[]; mac?: MacAlgorithmSpec[] }
/** The KeySpec values of the model Coffer implements (the SDK's enum is newer and has more). */
type Spec = 'SYMMETRIC_DEFAULT' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | 'ECC_SECG_P256K1'
  | 'ECC_NIST_EDWARDS25519' | 'HMAC_224' | 'HMAC_256' | 'HMAC_384' | 'HMAC_512' | 'ML_DSA_44' | 'ML_DSA_65' | 'ML_DSA_87' | 'SM2';
const RSA: Row = { usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'], enc: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'], sign: RSA_SIGN };
const TABLE: Record<Spec, Row> = {
  SYMMETRIC_DEFAULT: { usages: ['ENCRYPT_DECRYPT'], enc: ['SYMMETRIC_DEFAULT'] },
  RSA_2048: RSA, RSA_3072: RSA, RSA_4096: RSA,
  ECC_NIST_P256: { usages: ['SIGN_VERIFY', 'KEY_AGREEMENT'], sign: ['ECDSA_SHA_256'] },
  ECC_NIST_P384: { usages: ['SIGN_VERIFY', 'KEY_AGREEMENT'], sign: ['ECDSA_SHA_384'] },
  ECC_NIST_P521: { usages: ['SIGN_VERIFY', 'KEY_AGREEMENT'], sign: ['ECDSA_SHA_512'] },
  ECC_SECG_P256K1: { usages: ['SIGN_VERIFY'], sign: ['ECDSA_SHA_256'] },
  ECC_NIST_EDWARDS25519: { usages: ['SIGN_VERIFY'], sign: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] },
  HMAC_224: { usages: ['GENERATE_VERIFY_MAC'], mac: ['HMAC_SHA_224'] },
  HMAC_256: { usages: ['GENERATE_VERIFY_MAC'], mac: ['HMAC_SHA_256'] },
  HMAC_384: { usages: ['GENERATE_VERIFY_MAC'], mac: ['HMAC_SHA_384'] },
  HMAC_512: { usages: ['GENERATE_VERIFY_MAC'], mac: ['HMAC_SHA_512'] },
  ML_DSA_44: { usages: ['SIGN_VERIFY'], sign: ['ML_DSA_SHAKE_256'] },
  ML_DSA_65: { usages: ['SIGN_VERIFY'], sign: ['ML_DSA_SHAKE_256'] },
  ML_DSA_87: { usages: ['SIGN_VERIFY'], sign: ['ML_DSA_SHAKE_256'] },
  SM2: { usages: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'], enc: ['SM2PKE'], sign: ['SM2DSA'] },
};
const SPECS = Object.keys(TABLE) as Spec[];

interface Key { spec: Spec; usage: KeyUsageType; id: string; arn: string }
let keys: Key[] = [];

test('every legal spec and usage is created (RSA generation runs concurrently); SM2 is UnsupportedOperationException', async () => {
  const legal = SPECS.flatMap((spec) => TABLE[spec].usages.map((usage) => ({ spec, usage })));
  const made = await Promise.all(legal.filter((l) => l.spec !== 'SM2').map(async ({ spec, usage }) => {
    const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: usage }));
    assert.equal(m?.KeySpec, spec);
    assert.equal(m?.KeyUsage, usage);
    return { spec, usage, id: m?.KeyId as string, arn: m?.Arn as string };
  }));
  keys = made;
  assert.equal(keys.length, 22);
  for (const usage of TABLE.SM2.usages) {
    await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'SM2', KeyUsage: usage })), 'UnsupportedOperationException', /SM2/);
  }
});

test('every illegal spec and usage is AWS\'s ValidationException; only SYMMETRIC_DEFAULT may omit KeyUsage', async () => {
  for (const spec of SPECS) {
    for (const usage of USAGES.filter((u) => !TABLE[spec].usages.includes(u))) {
      await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: usage })), 'ValidationException',
        `KeyUsage ${usage} is not compatible with KeySpec ${spec}`);
    }
    if (spec !== 'SYMMETRIC_DEFAULT') {
      await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: spec })), 'ValidationException',
        'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
    }
  }
});

test('each key refuses the operations of the other usages with InvalidKeyUsageException (AWS wording)', async () => {
  assert.ok(keys.length > 0, 'the keys were created');
  const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
  const m = Buffer.from('m');
  const ops: Array<[string, KeyUsageType, (id: string) => Promise<unknown>]> = [
    ['Encrypt', 'ENCRYPT_DECRYPT', (id) => kms.send(new EncryptCommand({ KeyId: id, Plaintext: m, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }))],
    ['Sign', 'SIGN_VERIFY', (id) => kms.send(new SignCommand({ KeyId: id, Message: m, SigningAlgorithm: 'ECDSA_SHA_256' }))],
    ['Verify', 'SIGN_VERIFY', (id) => kms.send(new VerifyCommand({ KeyId: id, Message: m, Signature: Buffer.alloc(64), SigningAlgorithm: 'ECDSA_SHA_256' }))],
    ['GenerateMac', 'GENERATE_VERIFY_MAC', (id) => kms.send(new GenerateMacCommand({ KeyId: id, Message: m, MacAlgorithm: 'HMAC_SHA_256' }))],
    ['VerifyMac', 'GENERATE_VERIFY_MAC', (id) => kms.send(new VerifyMacCommand({ KeyId: id, Message: m, MacAlgorithm: 'HMAC_SHA_256', Mac: Buffer.alloc(32) }))],
    ['DeriveSharedSecret', 'KEY_AGREEMENT', (id) => kms.send(new DeriveSharedSecretCommand({ KeyId: id, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer }))],
  ];
  for (const key of keys) {
    for (const [op, usage, call] of ops) {
      if (usage === key.usage) continue;
      await rejectsWith(call(key.id), 'InvalidKeyUsageException', `${key.arn} key usage is ${key.usage} which is not valid for ${op}.`);
    }
    if (key.spec !== 'SYMMETRIC_DEFAULT') {
      await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: key.id, KeySpec: 'AES_256' })), 'InvalidKeyUsageException', /which is not valid for GenerateDataKey\.$/);
    }
    const pub = kms.send(new GetPublicKeyCommand({ KeyId: key.id }));
    if (key.spec === 'SYMMETRIC_DEFAULT' || key.spec.startsWith('HMAC_')) await rejectsWith(pub, 'UnsupportedOperationException');
    else assert.equal((await pub).KeyUsage, key.usage);
  }
});

test('each key refuses the algorithms its spec lacks: "Algorithm X is incompatible with key spec Y."', async () => {
  assert.ok(keys.length > 0, 'the keys were created');
  const m = Buffer.from('m');
  for (const key of keys) {
    const row = TABLE[key.spec];
    const refused = (alg: string) => `Algorithm ${alg} is incompatible with key spec ${key.spec}.`;
    if (key.usage === 'SIGN_VERIFY') {
      for (const alg of ALL_SIGN.filter((a) => !(row.sign ?? []).includes(a))) {
        await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: m, SigningAlgorithm: alg })), 'InvalidKeyUsageException', refused(alg));
      }
    }
    if (key.usage === 'ENCRYPT_DECRYPT') {
      for (const alg of ALL_ENC.filter((a) => !(row.enc ?? []).includes(a))) {
        await rejectsWith(kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: m, EncryptionAlgorithm: alg })), 'InvalidKeyUsageException', refused(alg));
      }
    }
    if (key.usage === 'GENERATE_VERIFY_MAC') {
      for (const alg of ALL_MAC.filter((a) => !(row.mac ?? []).includes(a))) {
        await rejectsWith(kms.send(new GenerateMacCommand({ KeyId: key.id, Message: m, MacAlgorithm: alg })), 'InvalidKeyUsageException', refused(alg));
      }
    }
  }
});
