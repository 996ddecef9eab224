/**
 * End-to-end tests of imported key material (BYOK, reference §3.10): EXTERNAL keys of every kind,
 * material wrapped locally (node:crypto, and the openssl command line) under every wrapping
 * algorithm and every wrapping key spec, import tokens (another key's, expired, forged), the
 * expiry of material through the scheduler, deletion and re-import (old ciphertexts open again;
 * other material is refused), on-demand rotation of imported keys, and the data folder never
 * holding a wrapping private key, an import token or imported material in the clear. One
 * test-mode server for the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, generateKeyPairSync, randomBytes, verify as nodeVerify } from 'node:crypto';
import {
  CreateKeyCommand, DecryptCommand, DeleteImportedKeyMaterialCommand, DescribeKeyCommand, EncryptCommand, GenerateMacCommand,
  GetPublicKeyCommand, ImportKeyMaterialCommand, ListKeyRotationsCommand, RotateKeyOnDemandCommand, SignCommand,
  type AlgorithmSpec, type CreateKeyCommandInput, type KMSClient, type WrappingKeySpec,
} from '@aws-sdk/client-kms';
import { decodeBlob } from '../../src/crypto/blob.ts';
import { openSymmetric } from '../../src/crypto/symmetric.ts';
import { importMaterial, parametersFor, wrapLocally } from './byok.ts';
import { rejectsWith, serverForFile, type Coffer } from './harness.ts';
import { openssl, opensslSkip, Scratch } from './openssl.ts';

const DAY = 86_400;
let coffer: Coffer;
let kms: KMSClient;
serverForFile({ env: { COFFER_TEST_MODE: 'true' } }, (c) => { coffer = c; kms = c.client(); });

interface Key { id: string; arn: string }
const externalKey = async (input: CreateKeyCommandInput = {}): Promise<Key> => {
  const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', ...input }));
  assert.equal(m?.KeyState, 'PendingImport');
  assert.equal(m?.Enabled, false);
  assert.equal(m?.Origin, 'EXTERNAL');
  assert.equal(m?.CurrentKeyMaterialId, undefined, 'no material before the first import');
  return { id: m?.KeyId as string, arn: m?.Arn as string };
};
const describe = async (id: string) => (await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata;
const encrypt = async (id: string, text: string): Promise<Uint8Array> =>
  (await kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from(text) }))).CiphertextBlob as Uint8Array;
const decrypt = async (blob: Uint8Array): Promise<string> =>
  Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString();
const serverNow = async (): Promise<number> => Date.now() + (await coffer.advanceClock(0)).offsetSeconds * 1000;
const HEX64 = /^[0-9a-f]{64}$/;

test('symmetric BYOK under every wrapping algorithm and every wrapping key spec; ciphertexts are made with the imported material', async () => {
  const cases: Array<[AlgorithmSpec, WrappingKeySpec, number]> = [
    ['RSAES_OAEP_SHA_1', 'RSA_2048', 2048], ['RSAES_OAEP_SHA_256', 'RSA_3072', 3072],
    ['RSA_AES_KEY_WRAP_SHA_1', 'RSA_4096', 4096], ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_2048', 2048],
  ];
  for (const [algorithm, spec, bits] of cases) {
    const key = await externalKey({ Description: `byok ${algorithm}` });
    await rejectsWith(encrypt(key.id, 'x'), 'KMSInvalidStateException', `${key.arn} is pending import.`);
    const before = await serverNow();
    const p = await parametersFor(kms, key.id, algorithm, spec);
    assert.equal(createPublicKey({ key: p.publicKey, format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength, bits);
    assert.ok(Math.abs(p.validTo.getTime() - (before + DAY * 1000)) < 60_000, 'valid for 24 hours');
    const material = randomBytes(32);
    const r = await kms.send(new ImportKeyMaterialCommand({
      KeyId: key.id, ImportToken: p.importToken, EncryptedKeyMaterial: wrapLocally(p.publicKey, algorithm, material),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }));
    assert.equal(r.KeyId, key.arn);
    assert.match(r.KeyMaterialId ?? '', HEX64);
    const m = await describe(key.id);
    assert.equal(m?.KeyState, 'Enabled', algorithm);
    assert.equal(m?.ExpirationModel, 'KEY_MATERIAL_DOES_NOT_EXPIRE');
    assert.equal(m?.ValidTo, undefined);
    assert.equal(m?.CurrentKeyMaterialId, r.KeyMaterialId);
    const blob = await encrypt(key.id, `secret under ${algorithm}`);
    assert.equal(await decrypt(blob), `secret under ${algorithm}`);
    assert.equal(openSymmetric(decodeBlob(Buffer.from(blob)), material).toString(), `secret under ${algorithm}`, 'sealed under the imported material');
  }
});

test('material wrapped with the openssl command line (RSA_AES_KEY_WRAP_SHA_256) imports', { skip: opensslSkip }, async () => {
  const scratch = new Scratch();
  try {
    const key = await externalKey();
    const p = await parametersFor(kms, key.id, 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_3072');
    const material = randomBytes(32);
    const aesKey = randomBytes(32);
    const kwp = openssl(['enc', '-id-aes256-wrap-pad', '-K', aesKey.toString('hex'), '-iv', 'A65959A6', '-in', scratch.file(material)]);
    assert.equal(kwp.status, 0, kwp.stderr);
    const oaep = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', scratch.publicKeyPem(p.publicKey), '-in', scratch.file(aesKey),
      '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256']);
    assert.equal(oaep.status, 0, oaep.stderr);
    await kms.send(new ImportKeyMaterialCommand({
      KeyId: key.id, ImportToken: p.importToken, EncryptedKeyMaterial: Buffer.concat([oaep.stdout, kwp.stdout]),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }));
    const blob = await encrypt(key.id, 'openssl-wrapped');
    assert.equal(openSymmetric(decodeBlob(Buffer.from(blob)), material).toString(), 'openssl-wrapped');
  } finally {
    scratch.remove();
  }
});

test('delete, then re-import the same material: every older ciphertext opens again; other material is refused', async () => {
  const key = await externalKey();
  const material = randomBytes(32);
  const first = await importMaterial(kms, key.id, material);
  const blob = await encrypt(key.id, 'kept across re-imports');
  await rejectsWith(importMaterial(kms, key.id, randomBytes(32)), 'IncorrectKeyMaterialException', /is not associated with KMS key/);

  const d = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.id }));
  assert.deepEqual([d.KeyId, d.KeyMaterialId], [key.arn, first]);
  const m = await describe(key.id);
  assert.equal(m?.KeyState, 'PendingImport');
  assert.equal(m?.Enabled, false);
  assert.equal(m?.ExpirationModel, undefined);
  assert.equal(m?.CurrentKeyMaterialId, first, 'the material id stays, as AWS shows it');
  await rejectsWith(decrypt(blob), 'KMSInvalidStateException', `${key.arn} is pending import.`);
  await rejectsWith(importMaterial(kms, key.id, randomBytes(32)), 'IncorrectKeyMaterialException');
  assert.equal((await describe(key.id))?.KeyState, 'PendingImport', 'a refused import changes nothing');

  const again = await importMaterial(kms, key.id, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }, 'RSAES_OAEP_SHA_256', 'RSA_4096');
  assert.equal(again, first, 'the same material has the same id');
  assert.equal((await describe(key.id))?.KeyState, 'Enabled');
  assert.equal(await decrypt(blob), 'kept across re-imports');
  // Deleting from a key with nothing imported changes nothing.
  await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.id }));
  await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.id }));
  assert.equal((await describe(key.id))?.KeyState, 'PendingImport');
});

test('import tokens: another key\'s, a forged one, an expired one; material that does not unwrap or does not fit', async () => {
  const a = await externalKey();
  const b = await externalKey();
  const material = randomBytes(32);
  const pa = await parametersFor(kms, a.id, 'RSAES_OAEP_SHA_256', 'RSA_2048');
  const wrapped = wrapLocally(pa.publicKey, 'RSAES_OAEP_SHA_256', material);
  const imp = (keyId: string, token: Buffer, encrypted: Buffer = wrapped) => kms.send(new ImportKeyMaterialCommand({
    KeyId: keyId, ImportToken: token, EncryptedKeyMaterial: encrypted, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  }));
  await rejectsWith(imp(b.id, pa.importToken), 'InvalidImportTokenException');
  const forged = Buffer.from(pa.importToken);
  forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
  await rejectsWith(imp(a.id, forged), 'InvalidImportTokenException');
  await rejectsWith(imp(a.id, randomBytes(200)), 'InvalidImportTokenException');
  const pb = await parametersFor(kms, b.id, 'RSAES_OAEP_SHA_256', 'RSA_2048');
  await rejectsWith(imp(b.id, pb.importToken, wrapped), 'InvalidCiphertextException');
  await rejectsWith(imp(a.id, pa.importToken, wrapLocally(pa.publicKey, 'RSAES_OAEP_SHA_256', randomBytes(16))), 'IncorrectKeyMaterialException',
    'Key material for a SYMMETRIC_DEFAULT key must be 32 bytes long.');
  await rejectsWith(kms.send(new CreateKeyCommand({})).then((r) => parametersFor(kms, r.KeyMetadata?.KeyId as string, 'RSAES_OAEP_SHA_256', 'RSA_2048')),
    'UnsupportedOperationException', /origin is AWS_KMS which is not valid for this operation\.$/);
  await rejectsWith(parametersFor(kms, a.id, 'RSAES_PKCS1_V1_5', 'RSA_2048'), 'UnsupportedOperationException');
  await rejectsWith(parametersFor(kms, a.id, 'SM2PKE', 'SM2'), 'UnsupportedOperationException');

  // The token is good for 24 hours of the server's clock, then ExpiredImportTokenException.
  await coffer.advanceClock(DAY + 60);
  await rejectsWith(imp(a.id, pa.importToken), 'ExpiredImportTokenException');
  await rejectsWith(imp(b.id, pa.importToken), 'InvalidImportTokenException', 'The import token is not valid for this KMS key.');
  await importMaterial(kms, a.id, material);
  assert.equal((await describe(a.id))?.KeyState, 'Enabled');
});

test('ExpirationModel and ValidTo are validated; expiring material is deleted by the scheduler and re-imported', async () => {
  const key = await externalKey();
  const material = randomBytes(32);
  const now = await serverNow();
  const attempt = (opts: Parameters<typeof importMaterial>[3]) => importMaterial(kms, key.id, material, opts);
  await rejectsWith(attempt({}), 'ValidationException', 'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
  await rejectsWith(attempt({ ExpirationModel: 'KEY_MATERIAL_EXPIRES' }), 'ValidationException', 'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
  await rejectsWith(attempt({ ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ValidTo: new Date(now + DAY * 1000) }), 'ValidationException', /must not be set/);
  await rejectsWith(attempt({ ValidTo: new Date(now - 60_000) }), 'ValidationException', 'The validTo date must be in the future.');
  await rejectsWith(attempt({ ValidTo: new Date(now + 366 * DAY * 1000) }), 'ValidationException', /365 days/);

  const validTo = new Date(Math.floor((now + 2 * DAY * 1000) / 1000) * 1000);
  await attempt({ ValidTo: validTo });
  let m = await describe(key.id);
  assert.equal(m?.ExpirationModel, 'KEY_MATERIAL_EXPIRES');
  assert.equal(m?.ValidTo?.getTime(), validTo.getTime());
  const blob = await encrypt(key.id, 'expires');

  await coffer.advanceClock(DAY);
  assert.equal((await describe(key.id))?.KeyState, 'Enabled', 'not before ValidTo');
  const run = await coffer.advanceClock(DAY + 60) as { expired?: number };
  assert.ok((run.expired ?? 0) >= 1, 'the scheduler deleted expired material');
  m = await describe(key.id);
  assert.equal(m?.KeyState, 'PendingImport');
  assert.equal(m?.ValidTo, undefined);
  await rejectsWith(decrypt(blob), 'KMSInvalidStateException', `${key.arn} is pending import.`);
  assert.equal((await coffer.advanceClock(0) as { expired?: number }).expired, 0, 'expiry runs once');
  await importMaterial(kms, key.id, material);
  assert.equal(await decrypt(blob), 'expires');
});

test('HMAC keys: material of the spec\'s length range; MACs are the imported key\'s', async () => {
  const key = await externalKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
  await rejectsWith(importMaterial(kms, key.id, randomBytes(31), undefined, 'RSAES_OAEP_SHA_1', 'RSA_2048'), 'IncorrectKeyMaterialException',
    'Key material for a HMAC_256 key must be 32 to 64 bytes long.');
  await rejectsWith(importMaterial(kms, key.id, randomBytes(48), { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' }),
    'ValidationException', 'ImportType is valid only for symmetric encryption KMS keys.');
  const material = randomBytes(48);
  await importMaterial(kms, key.id, material, undefined, 'RSAES_OAEP_SHA_1', 'RSA_2048');
  const message = Buffer.from('authenticate me');
  const mac = await kms.send(new GenerateMacCommand({ KeyId: key.id, Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
  assert.deepEqual(Buffer.from(mac.Mac ?? []), createHmac('sha256', material).update(message).digest());
  const m = await describe(key.id);
  assert.equal(m?.KeyState, 'Enabled');
  assert.equal(m?.CurrentKeyMaterialId, undefined, 'only symmetric encryption keys show a material id');
});

test('asymmetric keys: PKCS#8 private keys (RSA needs an RSA_AES wrapping); the public key is derived; other keys are refused', async () => {
  const rsa = await externalKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
  await rejectsWith(parametersFor(kms, rsa.id, 'RSAES_OAEP_SHA_256', 'RSA_4096'), 'ValidationException', /cannot wrap RSA private keys/);
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs8 = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
  await importMaterial(kms, rsa.id, pkcs8, undefined, 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_3072');
  const pub = await kms.send(new GetPublicKeyCommand({ KeyId: rsa.id }));
  assert.deepEqual(Buffer.from(pub.PublicKey ?? []), pair.publicKey.export({ type: 'spki', format: 'der' }));
  const message = Buffer.from('signed with an imported key');
  const sig = await kms.send(new SignCommand({ KeyId: rsa.id, Message: message, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }));
  assert.ok(nodeVerify('sha256', message, pair.publicKey, Buffer.from(sig.Signature ?? [])));
  await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: rsa.id }));
  await rejectsWith(kms.send(new GetPublicKeyCommand({ KeyId: rsa.id })), 'KMSInvalidStateException', `${rsa.arn} is pending import.`);
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' });
  await rejectsWith(importMaterial(kms, rsa.id, other), 'IncorrectKeyMaterialException');
  await importMaterial(kms, rsa.id, pkcs8);
  assert.equal((await describe(rsa.id))?.KeyState, 'Enabled');

  const ec = await externalKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
  await rejectsWith(importMaterial(kms, ec.id, p384, undefined, 'RSAES_OAEP_SHA_256', 'RSA_2048'), 'IncorrectKeyMaterialException',
    'The key material is not a ECC_NIST_P256 private key.');
  await rejectsWith(importMaterial(kms, ec.id, randomBytes(64)), 'IncorrectKeyMaterialException', /not a DER-encoded PKCS#8 private key/);
  const ecPair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await importMaterial(kms, ec.id, ecPair.privateKey.export({ type: 'pkcs8', format: 'der' }), undefined, 'RSAES_OAEP_SHA_256', 'RSA_2048');
  const ecSig = await kms.send(new SignCommand({ KeyId: ec.id, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
  assert.ok(nodeVerify('sha256', message, ecPair.publicKey, Buffer.from(ecSig.Signature ?? [])));
  const p521 = await externalKey({ KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY' });
  await rejectsWith(parametersFor(kms, p521.id, 'RSAES_OAEP_SHA_1', 'RSA_2048'), 'ValidationException', /ECC_NIST_P521/);
});

test('on-demand rotation of an imported key: NEW_KEY_MATERIAL waits in PENDING_ROTATION, then becomes current', async () => {
  const key = await externalKey();
  const a = randomBytes(32);
  const b = randomBytes(32);
  const idA = await importMaterial(kms, key.id, a);
  const blobA = await encrypt(key.id, 'under A');
  await rejectsWith(kms.send(new RotateKeyOnDemandCommand({ KeyId: key.id })), 'KMSInvalidStateException',
    `No available key material pending rotation for the key: ${key.arn}.`);
  await rejectsWith(importMaterial(kms, key.id, a, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' }),
    'IncorrectKeyMaterialException', /already associated/);
  const idB = await importMaterial(kms, key.id, b, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL', KeyMaterialDescription: 'second' });
  assert.notEqual(idB, idA);
  await rejectsWith(importMaterial(kms, key.id, randomBytes(32), { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' }),
    'KMSInvalidStateException', new RegExp(`^New key material \\(id: [0-9a-f]{64}\\) cannot be imported into KMS key ${key.id}, because another key material \\(id: ${idB}\\) is pending rotation\\.$`));
  let all = (await kms.send(new ListKeyRotationsCommand({ KeyId: key.id, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }))).Rotations ?? [];
  assert.deepEqual(all.map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.ImportState, r.KeyMaterialDescription]), [
    [idA, 'CURRENT', 'IMPORTED', undefined], [idB, 'PENDING_ROTATION', 'IMPORTED', 'second'],
  ]);
  assert.equal((await encrypt(key.id, 'still A')).length > 0, true);
  assert.equal((await describe(key.id))?.CurrentKeyMaterialId, idA, 'pending material is not used yet');

  const r = await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.id }));
  assert.equal(r.KeyId, key.arn);
  assert.equal((await describe(key.id))?.CurrentKeyMaterialId, idB);
  const rotations = (await kms.send(new ListKeyRotationsCommand({ KeyId: key.id }))).Rotations ?? [];
  assert.deepEqual(rotations.map((x) => [x.KeyMaterialId, x.KeyMaterialState, x.RotationType, x.ExpirationModel]), [[idB, 'CURRENT', 'ON_DEMAND', 'KEY_MATERIAL_DOES_NOT_EXPIRE']]);
  const blobB = await encrypt(key.id, 'under B');
  assert.equal(openSymmetric(decodeBlob(Buffer.from(blobB)), b).toString(), 'under B');
  assert.equal(await decrypt(blobA), 'under A');

  // Re-import names its material: KeyMaterialId must be the material's own.
  await rejectsWith(importMaterial(kms, key.id, a, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', KeyMaterialId: idB }),
    'IncorrectKeyMaterialException', `The imported key material is not the key material with id ${idB}.`);
  await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.id, KeyMaterialId: idA }));
  all = (await kms.send(new ListKeyRotationsCommand({ KeyId: key.id, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }))).Rotations ?? [];
  assert.deepEqual(all.map((x) => [x.KeyMaterialId, x.KeyMaterialState, x.ImportState]), [[idA, 'NON_CURRENT', 'PENDING_IMPORT'], [idB, 'CURRENT', 'IMPORTED']]);
  assert.equal((await describe(key.id))?.KeyState, 'PendingImport', 'every associated material must be imported');
  assert.equal(await importMaterial(kms, key.id, a, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', KeyMaterialId: idA }), idA);
  assert.equal((await describe(key.id))?.KeyState, 'Enabled');
  assert.equal(await decrypt(blobA), 'under A');
});

test('the data folder holds no wrapping private key, no import token and no imported material in the clear', async () => {
  const key = await externalKey();
  const material = randomBytes(32);
  const p = await parametersFor(kms, key.id, 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_2048');
  await kms.send(new ImportKeyMaterialCommand({
    KeyId: key.id, ImportToken: p.importToken, EncryptedKeyMaterial: wrapLocally(p.publicKey, 'RSA_AES_KEY_WRAP_SHA_256', material),
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  }));
  // The modulus is in the wrapping private key's PKCS#8 (and its public key): finding neither proves
  // the private key was never stored, in the clear or as a public key beside it.
  const jwk = createPublicKey({ key: p.publicKey, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  const modulus = Buffer.from(jwk.n as string, 'base64url');
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
  const needles: Array<[string, Buffer]> = [
    ['wrapping key modulus', modulus.subarray(0, 64)], ['import token', p.importToken.subarray(0, 48)],
    ['import token (end)', p.importToken.subarray(-48)], ['imported material', material],
  ];
  for (const file of files(coffer.dataDir)) {
    const bytes = readFileSync(file);
    for (const [what, needle] of needles) assert.equal(bytes.indexOf(needle), -1, `${file} contains the ${what}`);
  }
});
