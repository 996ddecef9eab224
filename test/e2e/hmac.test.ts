/**
 * End-to-end tests of HMAC keys (HMAC_224/256/384/512, GENERATE_VERIFY_MAC): CreateKey and
 * DescribeKey metadata, GenerateMac and VerifyMac, and the errors AWS recorded for a wrong
 * algorithm, a wrong MAC and a wrong key usage. One server for the file.
 * Expected values follow /work/shared/reference/KMS.md §3.3, §3.6 and the AWS recordings
 * (test_hmac_create_key, test_generate_and_verify_mac, test_invalid_generate_mac, test_invalid_verify_mac).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EncryptCommand, GenerateMacCommand, GetPublicKeyCommand, SignCommand,
  VerifyMacCommand, type KeySpec, type KMSClient, type MacAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { bytes, rejectsWith, serverForFile, type Coffer } from './harness.ts';

let coffer: Coffer;
let kms: KMSClient;
serverForFile({}, (c) => { coffer = c; kms = c.client(); });

const SPECS: Array<[KeySpec, MacAlgorithmSpec, number]> = [
  ['HMAC_224', 'HMAC_SHA_224', 28], ['HMAC_256', 'HMAC_SHA_256', 32], ['HMAC_384', 'HMAC_SHA_384', 48], ['HMAC_512', 'HMAC_SHA_512', 64],
];

async function newKey(spec: KeySpec): Promise<{ id: string; arn: string }> {
  const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC', Description: 'test key' }));
  assert.ok(m?.KeyId && m.Arn);
  return { id: m.KeyId, arn: m.Arn };
}

test('CreateKey and DescribeKey of HMAC keys: MacAlgorithms with the spec\'s one algorithm, as AWS recorded', async () => {
  for (const [spec, alg] of SPECS) {
    const key = await newKey(spec);
    const { KeyMetadata: m } = await kms.send(new DescribeKeyCommand({ KeyId: key.id }));
    assert.ok(m);
    assert.equal(m.KeySpec, spec);
    assert.equal(m.CustomerMasterKeySpec, spec);
    assert.equal(m.KeyUsage, 'GENERATE_VERIFY_MAC');
    assert.deepEqual(m.MacAlgorithms, [alg]);
    assert.equal(m.EncryptionAlgorithms, undefined);
    assert.equal(m.SigningAlgorithms, undefined);
    assert.equal(m.CurrentKeyMaterialId, undefined);
  }
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256' })), 'ValidationException',
    'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'ENCRYPT_DECRYPT' })), 'ValidationException',
    'KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec HMAC_256');
});

test('GenerateMac then VerifyMac, for every HMAC spec: a MAC as long as the hash, the same for the same message', async () => {
  const message = Buffer.from('some important message');
  for (const [spec, alg, size] of SPECS) {
    const key = await newKey(spec);
    const g = await kms.send(new GenerateMacCommand({ KeyId: key.id, Message: message, MacAlgorithm: alg }));
    assert.equal(g.KeyId, key.arn);
    assert.equal(g.MacAlgorithm, alg);
    const mac = bytes(g.Mac);
    assert.equal(mac.length, size, spec);
    assert.deepEqual(bytes((await kms.send(new GenerateMacCommand({ KeyId: key.arn, Message: message, MacAlgorithm: alg }))).Mac), mac, 'HMAC is deterministic');
    const v = await kms.send(new VerifyMacCommand({ KeyId: key.id, Message: message, MacAlgorithm: alg, Mac: mac }));
    assert.deepEqual({ KeyId: v.KeyId, MacAlgorithm: v.MacAlgorithm, MacValid: v.MacValid }, { KeyId: key.arn, MacAlgorithm: alg, MacValid: true });
  }
  const a = await newKey('HMAC_256');
  const b = await newKey('HMAC_256');
  const ma = bytes((await kms.send(new GenerateMacCommand({ KeyId: a.id, Message: message, MacAlgorithm: 'HMAC_SHA_256' }))).Mac);
  const mb = bytes((await kms.send(new GenerateMacCommand({ KeyId: b.id, Message: message, MacAlgorithm: 'HMAC_SHA_256' }))).Mac);
  assert.notDeepEqual(ma, mb, 'two HMAC keys have different key material');
});

test('VerifyMac rejects a changed MAC, a changed message, a truncated MAC and another key with KMSInvalidMacException (no message)', async () => {
  const key = await newKey('HMAC_256');
  const other = await newKey('HMAC_256');
  const message = Buffer.from('some important message');
  const mac = bytes((await kms.send(new GenerateMacCommand({ KeyId: key.id, Message: message, MacAlgorithm: 'HMAC_SHA_256' }))).Mac);
  const changed = Buffer.from(mac);
  changed[0] = (changed[0] as number) ^ 0x80;
  const cases: Array<[string, string, Buffer, Buffer]> = [
    ['a changed MAC', key.id, message, changed],
    ['a changed message', key.id, Buffer.from('some different important message'), mac],
    ['a truncated MAC', key.id, message, mac.subarray(0, 16)],
    ['another key', other.id, message, mac],
  ];
  for (const [what, keyId, m, candidate] of cases) {
    const r = await coffer.raw({
      target: 'VerifyMac', body: JSON.stringify({ KeyId: keyId, Message: m.toString('base64'), MacAlgorithm: 'HMAC_SHA_256', Mac: candidate.toString('base64') }),
    });
    assert.equal(r.status, 400, what);
    assert.equal(r.body, '{"__type":"KMSInvalidMacException"}', what);
  }
  await rejectsWith(kms.send(new VerifyMacCommand({ KeyId: key.id, Message: message, MacAlgorithm: 'HMAC_SHA_256', Mac: changed })), 'KMSInvalidMacException');
});

test('another MAC algorithm is InvalidKeyUsageException; an unknown one is the model\'s ValidationException (AWS wording)', async () => {
  const k224 = await newKey('HMAC_224');
  await rejectsWith(kms.send(new GenerateMacCommand({ KeyId: k224.id, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' })), 'InvalidKeyUsageException',
    'Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.');
  const k256 = await newKey('HMAC_256');
  const mac = (await kms.send(new GenerateMacCommand({ KeyId: k256.id, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' }))).Mac;
  await rejectsWith(kms.send(new VerifyMacCommand({ KeyId: k256.id, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_512', Mac: mac })), 'InvalidKeyUsageException',
    'Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.');
  await rejectsWith(kms.send(new GenerateMacCommand({ KeyId: k256.id, Message: Buffer.from('m'), MacAlgorithm: 'INVALID' as MacAlgorithmSpec })), 'ValidationException',
    /^1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: \[/);
  await rejectsWith(kms.send(new GenerateMacCommand({ KeyId: 'key_id', Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' })), 'NotFoundException', "Invalid keyId 'key_id'");
});

test('HMAC keys are for MACs only: Encrypt, Sign and GetPublicKey refuse them; symmetric keys refuse GenerateMac', async () => {
  const key = await newKey('HMAC_384');
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x') })), 'InvalidKeyUsageException',
    `${key.arn} key usage is GENERATE_VERIFY_MAC which is not valid for Encrypt.`);
  await rejectsWith(kms.send(new SignCommand({ KeyId: key.id, Message: Buffer.from('x'), SigningAlgorithm: 'ECDSA_SHA_256' })), 'InvalidKeyUsageException',
    `${key.arn} key usage is GENERATE_VERIFY_MAC which is not valid for Sign.`);
  await rejectsWith(kms.send(new GetPublicKeyCommand({ KeyId: key.id })), 'UnsupportedOperationException');
  const { KeyMetadata: sym } = await kms.send(new CreateKeyCommand({}));
  await rejectsWith(kms.send(new GenerateMacCommand({ KeyId: sym?.KeyId, Message: Buffer.from('x'), MacAlgorithm: 'HMAC_SHA_256' })), 'InvalidKeyUsageException',
    `${sym?.Arn} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.`);
});

test('GenerateMac and VerifyMac: DryRun answers DryRunOperationException; a disabled key is DisabledException', async () => {
  const key = await newKey('HMAC_512');
  await rejectsWith(kms.send(new GenerateMacCommand({ KeyId: key.id, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_512', DryRun: true })), 'DryRunOperationException');
  await rejectsWith(kms.send(new VerifyMacCommand({ KeyId: key.id, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_512', Mac: Buffer.alloc(64), DryRun: true })),
    'DryRunOperationException');
  await kms.send(new DisableKeyCommand({ KeyId: key.id }));
  await rejectsWith(kms.send(new GenerateMacCommand({ KeyId: key.id, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_512' })), 'DisabledException', `${key.arn} is disabled.`);
});
