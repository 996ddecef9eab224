/**
 * End-to-end tests of the symmetric crypto operations (Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
 * GenerateDataKeyWithoutPlaintext, GenerateRandom), of what the asymmetric, HMAC and key-agreement
 * operations answer for a symmetric key, and of the operations Coffer does not implement yet,
 * against a real server process. (Asymmetric, HMAC and ML-DSA keys have their own files.)
 * Expected values follow /work/shared/reference/KMS.md §1.3, §3.4, §3.16, §3.19 and the AWS recordings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CreateAliasCommand, CreateKeyCommand, DecryptCommand, DeriveSharedSecretCommand, DescribeKeyCommand,
  DisableKeyCommand, EncryptCommand, GenerateDataKeyCommand, GenerateDataKeyPairCommand, GenerateDataKeyWithoutPlaintextCommand,
  DescribeCustomKeyStoresCommand, GenerateMacCommand, GenerateRandomCommand, GetParametersForImportCommand, GetPublicKeyCommand, ReEncryptCommand, ReplicateKeyCommand, RotateKeyOnDemandCommand,
  SignCommand, VerifyCommand, VerifyMacCommand, type KMSClient,
} from '@aws-sdk/client-kms';
import { ACCOUNT_ID, bytes, REGION, rejectsWith, serverForFile, type Coffer } from './harness.ts';

let coffer: Coffer;
let kms: KMSClient;
serverForFile({}, (c) => { coffer = c; kms = c.client(); });

const ARN_RE = new RegExp(`^arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);
const MATERIAL_ID_RE = /^[0-9a-f]{64}$/;
const DRY_RUN_MESSAGE = 'The request would have succeeded, but the DryRun option is set.';
const INCORRECT_KEY_MESSAGE = 'The key ID in the request does not identify a CMK that can perform this operation.';

interface Key { id: string; arn: string; materialId: string }

async function newKey(): Promise<Key> {
  const { KeyMetadata: m } = await kms.send(new CreateKeyCommand({}));
  assert.ok(m?.KeyId && m.Arn && m.CurrentKeyMaterialId, 'CreateKey returned KeyId, Arn and CurrentKeyMaterialId');
  return { id: m.KeyId, arn: m.Arn, materialId: m.CurrentKeyMaterialId };
}

async function currentMaterialId(keyId: string): Promise<string> {
  const { KeyMetadata: m } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
  assert.ok(m?.CurrentKeyMaterialId);
  return m.CurrentKeyMaterialId;
}

let aliasCounter = 0;
async function newAlias(keyId: string): Promise<string> {
  const name = `alias/crypto-e2e-${process.pid}-${++aliasCounter}`;
  await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId }));
  return name;
}

const aliasArn = (name: string): string => `arn:aws:kms:${REGION}:${ACCOUNT_ID}:${name}`;

async function encrypt(keyId: string, plaintext: Buffer, ctx?: Record<string, string>): Promise<Uint8Array> {
  const r = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, ...(ctx ? { EncryptionContext: ctx } : {}) }));
  assert.ok(r.CiphertextBlob);
  return r.CiphertextBlob;
}

/** A Decrypt sent by hand, so the exact error body can be checked. */
async function rawDecrypt(blob: Uint8Array, extra: Record<string, unknown> = {}): Promise<{ status: number; body: string }> {
  const r = await coffer.raw({ target: 'Decrypt', body: JSON.stringify({ CiphertextBlob: Buffer.from(blob).toString('base64'), ...extra }) });
  return { status: r.status, body: r.body };
}

const INVALID_CIPHERTEXT_BODY = '{"__type":"InvalidCiphertextException"}';
const UNKNOWN_KEY_BODY = JSON.stringify({
  __type: 'AccessDeniedException',
  message: 'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
});

// ------------------------------------------------------------------------------------------------
// Encrypt

test('Encrypt: 1 byte and 4096 bytes succeed; KeyId is the key ARN and the algorithm SYMMETRIC_DEFAULT', async () => {
  const key = await newKey();
  for (const size of [1, 4096]) {
    const plaintext = randomBytes(size);
    const r = await kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: plaintext }));
    assert.equal(r.KeyId, key.arn);
    assert.match(r.KeyId ?? '', ARN_RE);
    assert.equal(r.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    const blob = bytes(r.CiphertextBlob);
    assert.ok(blob.length > size, `ciphertext of ${size} bytes is longer than the plaintext`);
    assert.ok(blob.length <= 6144, `ciphertext of ${size} bytes fits CiphertextBlob's 6144-byte limit (was ${blob.length})`);
    if (size >= 16) assert.equal(blob.includes(plaintext.subarray(0, 16)), false, 'the plaintext does not appear in the ciphertext');
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
    assert.deepEqual(bytes(dec.Plaintext), plaintext);
  }
});

test('Encrypt: 4097 bytes is a ValidationException worded as AWS words it (value not echoed)', async () => {
  const key = await newKey();
  await rejectsWith(
    kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: randomBytes(4097) })),
    'ValidationException',
    "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
  );
});

test('Encrypt: every key identifier form works and the response KeyId is always the key ARN', async () => {
  const key = await newKey();
  const alias = await newAlias(key.id);
  for (const ref of [key.id, key.arn, alias, aliasArn(alias)]) {
    const r = await kms.send(new EncryptCommand({ KeyId: ref, Plaintext: Buffer.from('x') }));
    assert.equal(r.KeyId, key.arn, `KeyId for ${ref}`);
  }
});

test('Encrypt: two encryptions of the same plaintext under the same key and context differ', async () => {
  const key = await newKey();
  const p = Buffer.from('same plaintext');
  const a = bytes(await encrypt(key.id, p, { k: 'v' }));
  const b = bytes(await encrypt(key.id, p, { k: 'v' }));
  assert.equal(a.length, b.length);
  assert.notDeepEqual(a, b);
});

test('Encrypt: an asymmetric EncryptionAlgorithm on a symmetric key is InvalidKeyUsageException', async () => {
  const key = await newKey();
  await rejectsWith(
    kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
    'InvalidKeyUsageException',
    'Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.',
  );
  const ok = await kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }));
  assert.equal(ok.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
});

test('Encrypt: DryRun answers DryRunOperationException; on a disabled key the real error (DisabledException) wins', async () => {
  const key = await newKey();
  await rejectsWith(
    kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x'), DryRun: true })),
    'DryRunOperationException', DRY_RUN_MESSAGE,
  );
  await rejectsWith(
    kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x'), DryRun: true, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' })),
    'InvalidKeyUsageException',
  );
  await kms.send(new DisableKeyCommand({ KeyId: key.id }));
  await rejectsWith(
    kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x'), DryRun: true })),
    'DisabledException', `${key.arn} is disabled.`,
  );
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: key.id, Plaintext: Buffer.from('x') })), 'DisabledException', `${key.arn} is disabled.`);
});

test('Encrypt: an unknown key is NotFoundException', async () => {
  const missing = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/00000000-0000-4000-8000-000000000000`;
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: missing, Plaintext: Buffer.from('x') })), 'NotFoundException', `Key '${missing}' does not exist`);
});

// ------------------------------------------------------------------------------------------------
// Decrypt

test('Decrypt: without KeyId, and with KeyId as id, ARN, alias name and alias ARN of the right key', async () => {
  const key = await newKey();
  const alias = await newAlias(key.id);
  const plaintext = Buffer.from('decrypt me');
  const blob = await encrypt(key.id, plaintext);
  for (const ref of [undefined, key.id, key.arn, alias, aliasArn(alias)]) {
    const r = await kms.send(new DecryptCommand({ CiphertextBlob: blob, ...(ref === undefined ? {} : { KeyId: ref }) }));
    assert.deepEqual(bytes(r.Plaintext), plaintext, `plaintext with KeyId ${ref}`);
    assert.equal(r.KeyId, key.arn, `KeyId with KeyId ${ref}`);
    assert.equal(r.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    assert.equal(r.KeyMaterialId, key.materialId);
  }
});

test('Decrypt: KeyId naming another key (id, ARN or alias) is IncorrectKeyException', async () => {
  const key = await newKey();
  const other = await newKey();
  const otherAlias = await newAlias(other.id);
  const blob = await encrypt(key.id, Buffer.from('x'));
  for (const ref of [other.id, other.arn, otherAlias]) {
    await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: ref })), 'IncorrectKeyException', INCORRECT_KEY_MESSAGE);
  }
});

test('Decrypt: KeyMaterialId is the material current at encrypt time, also after a rotation', async () => {
  const key = await newKey();
  const before = await currentMaterialId(key.id);
  assert.match(before, MATERIAL_ID_RE);
  const oldBlob = await encrypt(key.id, Buffer.from('old'));
  await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.id }));
  const after = await currentMaterialId(key.id);
  assert.notEqual(after, before, 'rotation changed the current key material');
  const newBlob = await encrypt(key.id, Buffer.from('new'));

  const oldDec = await kms.send(new DecryptCommand({ CiphertextBlob: oldBlob }));
  assert.equal(bytes(oldDec.Plaintext).toString(), 'old');
  assert.equal(oldDec.KeyMaterialId, before);
  const newDec = await kms.send(new DecryptCommand({ CiphertextBlob: newBlob }));
  assert.equal(bytes(newDec.Plaintext).toString(), 'new');
  assert.equal(newDec.KeyMaterialId, after);
});

test('Decrypt: the encryption context must match exactly (order irrelevant, case-sensitive)', async () => {
  const key = await newKey();
  const ctx = { Purpose: 'backup', tenant: 'acme', 'ünï': '🔑 value' };
  const blob = await encrypt(key.id, Buffer.from('bound'), ctx);

  const reordered = { 'ünï': '🔑 value', tenant: 'acme', Purpose: 'backup' };
  const ok = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: reordered }));
  assert.equal(bytes(ok.Plaintext).toString(), 'bound');

  const wrong: Array<[string, Record<string, string> | undefined]> = [
    ['missing', undefined],
    ['empty', {}],
    ['one pair missing', { Purpose: 'backup', tenant: 'acme' }],
    ['extra pair', { ...ctx, extra: 'x' }],
    ['changed value', { ...ctx, tenant: 'acme2' }],
    ['value case changed', { ...ctx, Purpose: 'Backup' }],
    ['key case changed', { purpose: 'backup', tenant: 'acme', 'ünï': '🔑 value' }],
    ['key and value swapped', { backup: 'Purpose', tenant: 'acme', 'ünï': '🔑 value' }],
  ];
  for (const [what, ec] of wrong) {
    const r = await rawDecrypt(blob, ec === undefined ? {} : { EncryptionContext: ec });
    assert.equal(r.status, 400, what);
    assert.equal(r.body, INVALID_CIPHERTEXT_BODY, what);
  }
  // Through the SDK, too: the name is all a client sees.
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'InvalidCiphertextException');
});

test('Decrypt: a ciphertext made without a context does not decrypt with one', async () => {
  const key = await newKey();
  const blob = await encrypt(key.id, Buffer.from('plain'));
  const r = await rawDecrypt(blob, { EncryptionContext: { a: 'b' } });
  assert.equal(r.status, 400);
  assert.equal(r.body, INVALID_CIPHERTEXT_BODY);
});

test('Decrypt: flipping any single byte of a ciphertext is InvalidCiphertextException with no message (or, in the key id, an unknown key)', async () => {
  const key = await newKey();
  const ctx = { flip: 'test' };
  const blob = bytes(await encrypt(key.id, Buffer.from('flip every byte'), ctx));
  const positions = [...blob.keys()];
  // A flip inside the key id, or of its length byte (then the id read is a byte shorter or longer,
  // the extra one a random byte of the blob), may leave it naming a key the region does not have:
  // AWS answers that ciphertext AccessDeniedException with its fixed message (a key id is no secret).
  const keyIdEnd = 2 + (blob[1] ?? 0);
  const failures: string[] = [];
  for (let i = 0; i < positions.length; i += 16) {
    await Promise.all(positions.slice(i, i + 16).map(async (pos) => {
      for (const mask of [0x01, 0x80]) {
        const tampered = Buffer.from(blob);
        tampered[pos] = (tampered[pos] ?? 0) ^ mask;
        const r = await rawDecrypt(tampered, { EncryptionContext: ctx });
        const unknownKey = pos >= 1 && pos < keyIdEnd && r.body === UNKNOWN_KEY_BODY;
        if (r.status !== 400 || (r.body !== INVALID_CIPHERTEXT_BODY && !unknownKey)) failures.push(`byte ${pos} ^ 0x${mask.toString(16)}: ${r.status} ${r.body}`);
      }
    }));
  }
  assert.deepEqual(failures, []);
  // The untampered blob still decrypts (the loop did not pass for an unrelated reason).
  const ok = await rawDecrypt(blob, { EncryptionContext: ctx });
  assert.equal(ok.status, 200);
  assert.equal(Buffer.from((JSON.parse(ok.body) as { Plaintext: string }).Plaintext, 'base64').toString(), 'flip every byte');
});

test('Decrypt: truncated, extended, random and forged blobs are InvalidCiphertextException; one naming an unknown key AccessDeniedException', async () => {
  const key = await newKey();
  const blob = bytes(await encrypt(key.id, Buffer.from('some secret text')));
  const keyIdLen = blob[1] ?? 0;
  const headerLen = 2 + keyIdLen + 32; // version, length, key id, material id
  const forged = Buffer.concat([blob.subarray(0, headerLen), randomBytes(blob.length - headerLen)]);
  const unknownKey = Buffer.from(blob);
  unknownKey.write('00000000-0000-4000-8000-000000000000', 2, 'latin1');
  const cases: Array<[string, Buffer]> = [
    ['truncated by one byte', blob.subarray(0, blob.length - 1)],
    ['truncated to the header', blob.subarray(0, headerLen)],
    ['truncated to two bytes', blob.subarray(0, 2)],
    ['one byte', blob.subarray(0, 1)],
    ['extended by one byte', Buffer.concat([blob, Buffer.of(0)])],
    ['random bytes', randomBytes(blob.length)],
    ['random 6144 bytes', randomBytes(6144)],
    ['forged: real key and material, random rest', forged],
  ];
  for (const [what, b] of cases) {
    const r = await rawDecrypt(b);
    assert.equal(r.status, 400, what);
    assert.equal(r.body, INVALID_CIPHERTEXT_BODY, what);
  }
  // A well-formed blob naming a key the region does not have is AWS's AccessDeniedException.
  const r = await rawDecrypt(unknownKey);
  assert.equal(r.status, 400);
  assert.equal(r.body, UNKNOWN_KEY_BODY);
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: randomBytes(200) })), 'InvalidCiphertextException');
});

test('Decrypt: an empty or oversized CiphertextBlob is a ValidationException', async () => {
  await rejectsWith(
    kms.send(new DecryptCommand({ CiphertextBlob: new Uint8Array() })), 'ValidationException',
    "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1",
  );
  await rejectsWith(
    kms.send(new DecryptCommand({ CiphertextBlob: randomBytes(6145) })), 'ValidationException',
    "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144",
  );
});

test('Decrypt: DryRun', async () => {
  const key = await newKey();
  const blob = await encrypt(key.id, Buffer.from('x'), { a: '1' });
  // Everything checks out: DryRunOperationException.
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { a: '1' }, DryRun: true })), 'DryRunOperationException', DRY_RUN_MESSAGE);
  // The ciphertext is checked unless told otherwise.
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob, DryRun: true })), 'InvalidCiphertextException');
  // IGNORE_CIPHERTEXT: only the key matters, with or without a (bogus) blob.
  await rejectsWith(
    kms.send(new DecryptCommand({ KeyId: key.arn, DryRun: true, DryRunModifiers: ['IGNORE_CIPHERTEXT'] })),
    'DryRunOperationException', DRY_RUN_MESSAGE,
  );
  await rejectsWith(
    kms.send(new DecryptCommand({ KeyId: key.id, CiphertextBlob: randomBytes(64), DryRun: true, DryRunModifiers: ['IGNORE_CIPHERTEXT'] })),
    'DryRunOperationException', DRY_RUN_MESSAGE,
  );
  // Without DryRun the modifier changes nothing.
  await rejectsWith(
    kms.send(new DecryptCommand({ KeyId: key.id, CiphertextBlob: randomBytes(64), DryRunModifiers: ['IGNORE_CIPHERTEXT'] })),
    'InvalidCiphertextException',
  );
  await kms.send(new DisableKeyCommand({ KeyId: key.id }));
  await rejectsWith(
    kms.send(new DecryptCommand({ KeyId: key.id, DryRun: true, DryRunModifiers: ['IGNORE_CIPHERTEXT'] })),
    'DisabledException', `${key.arn} is disabled.`,
  );
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { a: '1' } })), 'DisabledException', `${key.arn} is disabled.`);
});

test('Decrypt: Recipient (attested decryption) is UnsupportedOperationException', async () => {
  const key = await newKey();
  const blob = await encrypt(key.id, Buffer.from('x'));
  const err = await rejectsWith(
    kms.send(new DecryptCommand({
      CiphertextBlob: blob, Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: randomBytes(32) },
    })),
    'UnsupportedOperationException',
  );
  assert.match(err.message, /Recipient/);
});

// ------------------------------------------------------------------------------------------------
// ReEncrypt

test('ReEncrypt: from key A with a source context to key B with a destination context', async () => {
  const a = await newKey();
  const b = await newKey();
  const plaintext = Buffer.from('moving between keys');
  const blob = await encrypt(a.id, plaintext, { from: 'A' });
  const r = await kms.send(new ReEncryptCommand({
    CiphertextBlob: blob, SourceEncryptionContext: { from: 'A' }, DestinationKeyId: b.id, DestinationEncryptionContext: { to: 'B' },
  }));
  assert.equal(r.SourceKeyId, a.arn);
  assert.equal(r.KeyId, b.arn);
  assert.equal(r.SourceEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
  assert.equal(r.DestinationEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
  assert.equal(r.SourceKeyMaterialId, a.materialId);
  assert.equal(r.DestinationKeyMaterialId, b.materialId);
  assert.ok(r.CiphertextBlob);
  assert.notDeepEqual(bytes(r.CiphertextBlob), bytes(blob));

  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: r.CiphertextBlob, EncryptionContext: { to: 'B' } }));
  assert.deepEqual(bytes(dec.Plaintext), plaintext);
  assert.equal(dec.KeyId, b.arn);
  assert.equal(dec.KeyMaterialId, b.materialId);
  // The new blob is bound to B and the destination context only.
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: r.CiphertextBlob, EncryptionContext: { from: 'A' } })), 'InvalidCiphertextException');
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: r.CiphertextBlob, KeyId: a.id, EncryptionContext: { to: 'B' } })), 'IncorrectKeyException', INCORRECT_KEY_MESSAGE);
});

test('ReEncrypt: with SourceKeyId given (matching), and to the same key', async () => {
  const a = await newKey();
  const alias = await newAlias(a.id);
  const blob = await encrypt(a.id, Buffer.from('same key'));
  const r = await kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceKeyId: alias, DestinationKeyId: a.arn }));
  assert.equal(r.SourceKeyId, a.arn);
  assert.equal(r.KeyId, a.arn);
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: r.CiphertextBlob }));
  assert.equal(bytes(dec.Plaintext).toString(), 'same key');
});

test('ReEncrypt: wrong source context, SourceKeyId mismatch, disabled destination', async () => {
  const a = await newKey();
  const b = await newKey();
  const c = await newKey();
  const blob = await encrypt(a.id, Buffer.from('x'), { k: 'v' });
  await rejectsWith(
    kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { k: 'V' }, DestinationKeyId: b.id })),
    'InvalidCiphertextException',
  );
  await rejectsWith(kms.send(new ReEncryptCommand({ CiphertextBlob: blob, DestinationKeyId: b.id })), 'InvalidCiphertextException');
  await rejectsWith(
    kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { k: 'v' }, SourceKeyId: c.id, DestinationKeyId: b.id })),
    'IncorrectKeyException', INCORRECT_KEY_MESSAGE,
  );
  await kms.send(new DisableKeyCommand({ KeyId: b.id }));
  await rejectsWith(
    kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { k: 'v' }, DestinationKeyId: b.id })),
    'DisabledException', `${b.arn} is disabled.`,
  );
  await rejectsWith(
    kms.send(new ReEncryptCommand({ CiphertextBlob: randomBytes(120), DestinationKeyId: c.id })),
    'InvalidCiphertextException',
  );
});

test('ReEncrypt: DryRun answers DryRunOperationException and produces nothing', async () => {
  const a = await newKey();
  const b = await newKey();
  const blob = await encrypt(a.id, Buffer.from('x'));
  await rejectsWith(kms.send(new ReEncryptCommand({ CiphertextBlob: blob, DestinationKeyId: b.id, DryRun: true })), 'DryRunOperationException', DRY_RUN_MESSAGE);
  await rejectsWith(
    kms.send(new ReEncryptCommand({ SourceKeyId: a.id, DestinationKeyId: b.id, DryRun: true, DryRunModifiers: ['IGNORE_CIPHERTEXT'] })),
    'DryRunOperationException', DRY_RUN_MESSAGE,
  );
});

// ------------------------------------------------------------------------------------------------
// GenerateDataKey / GenerateDataKeyWithoutPlaintext

test('GenerateDataKey: KeySpec AES_256 / AES_128 and NumberOfBytes 1 / 1024; the blob decrypts to the plaintext', async () => {
  const key = await newKey();
  const alias = await newAlias(key.id);
  const cases: Array<[string, { KeySpec: 'AES_256' | 'AES_128' } | { NumberOfBytes: number }, number]> = [
    ['AES_256', { KeySpec: 'AES_256' }, 32],
    ['AES_128', { KeySpec: 'AES_128' }, 16],
    ['1 byte', { NumberOfBytes: 1 }, 1],
    ['1024 bytes', { NumberOfBytes: 1024 }, 1024],
  ];
  for (const [what, spec, size] of cases) {
    const ctx = { dataKey: what };
    const r = await kms.send(new GenerateDataKeyCommand({ KeyId: alias, EncryptionContext: ctx, ...spec }));
    assert.equal(r.KeyId, key.arn, what);
    assert.equal(r.KeyMaterialId, key.materialId, what);
    const plaintext = bytes(r.Plaintext);
    assert.equal(plaintext.length, size, what);
    assert.ok(r.CiphertextBlob);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: r.CiphertextBlob, EncryptionContext: ctx }));
    assert.deepEqual(bytes(dec.Plaintext), plaintext, what);
    assert.equal(dec.KeyId, key.arn);
    await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: r.CiphertextBlob })), 'InvalidCiphertextException');
  }
  const a = await kms.send(new GenerateDataKeyCommand({ KeyId: key.id, KeySpec: 'AES_256' }));
  const b = await kms.send(new GenerateDataKeyCommand({ KeyId: key.id, KeySpec: 'AES_256' }));
  assert.notDeepEqual(bytes(a.Plaintext), bytes(b.Plaintext), 'two data keys differ');
});

test('GenerateDataKey: neither or both of KeySpec and NumberOfBytes, or a bad size, is a ValidationException', async () => {
  const key = await newKey();
  await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: key.id })), 'ValidationException', /\S/);
  await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: key.id, KeySpec: 'AES_256', NumberOfBytes: 32 })), 'ValidationException', /\S/);
  await rejectsWith(
    kms.send(new GenerateDataKeyCommand({ KeyId: key.id, NumberOfBytes: 1025 })), 'ValidationException',
    "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
  );
  await rejectsWith(
    kms.send(new GenerateDataKeyCommand({ KeyId: key.id, NumberOfBytes: 0 })), 'ValidationException',
    "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
  );
  await rejectsWith(
    kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.id, NumberOfBytes: 1025 })), 'ValidationException',
    "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
  );
  await rejectsWith(kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.id })), 'ValidationException', /\S/);
});

test('GenerateDataKey: DryRun, disabled key and Recipient', async () => {
  const key = await newKey();
  await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: key.id, KeySpec: 'AES_256', DryRun: true })), 'DryRunOperationException', DRY_RUN_MESSAGE);
  await rejectsWith(
    kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.id, KeySpec: 'AES_256', DryRun: true })), 'DryRunOperationException', DRY_RUN_MESSAGE,
  );
  await rejectsWith(
    kms.send(new GenerateDataKeyCommand({
      KeyId: key.id, KeySpec: 'AES_256', Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: randomBytes(16) },
    })),
    'UnsupportedOperationException',
  );
  await kms.send(new DisableKeyCommand({ KeyId: key.id }));
  await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: key.id, KeySpec: 'AES_256' })), 'DisabledException', `${key.arn} is disabled.`);
  await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: key.id, KeySpec: 'AES_256', DryRun: true })), 'DisabledException', `${key.arn} is disabled.`);
});

test('GenerateDataKeyWithoutPlaintext: no Plaintext member on the wire; the blob decrypts to NumberOfBytes bytes', async () => {
  const key = await newKey();
  for (const [spec, size] of [[{ NumberOfBytes: 48 }, 48], [{ KeySpec: 'AES_128' }, 16]] as const) {
    const r = await coffer.raw({
      target: 'GenerateDataKeyWithoutPlaintext', body: JSON.stringify({ KeyId: key.id, EncryptionContext: { w: 'p' }, ...spec }),
    });
    assert.equal(r.status, 200, r.body);
    const out = JSON.parse(r.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out).sort(), ['CiphertextBlob', 'KeyId', 'KeyMaterialId']);
    assert.equal(out.KeyId, key.arn);
    assert.equal(out.KeyMaterialId, key.materialId);
    assert.equal(typeof out.CiphertextBlob, 'string');
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(String(out.CiphertextBlob), 'base64'), EncryptionContext: { w: 'p' } }));
    assert.equal(bytes(dec.Plaintext).length, size);
    assert.equal(dec.KeyId, key.arn);
  }
  const sdk = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.arn, KeySpec: 'AES_256' }));
  assert.equal(sdk.KeyId, key.arn);
  assert.equal('Plaintext' in sdk, false);
});

// ------------------------------------------------------------------------------------------------
// GenerateRandom

test('GenerateRandom: 1..1024 bytes of the requested length; two calls differ', async () => {
  for (const n of [1, 2, 12, 16, 31, 44, 91, 512, 1023, 1024]) {
    const r = await kms.send(new GenerateRandomCommand({ NumberOfBytes: n }));
    assert.equal(bytes(r.Plaintext).length, n, `NumberOfBytes ${n}`);
  }
  const a = bytes((await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }))).Plaintext);
  const b = bytes((await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }))).Plaintext);
  assert.notDeepEqual(a, b);
  assert.notDeepEqual(a, Buffer.alloc(32), 'not all zero');
});

test('GenerateRandom: missing, 0 and 1025 NumberOfBytes are ValidationExceptions with AWS messages', async () => {
  await rejectsWith(kms.send(new GenerateRandomCommand({})), 'ValidationException', 'NumberOfBytes is required.');
  await rejectsWith(
    kms.send(new GenerateRandomCommand({ NumberOfBytes: 0 })), 'ValidationException',
    "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
  );
  await rejectsWith(
    kms.send(new GenerateRandomCommand({ NumberOfBytes: 1025 })), 'ValidationException',
    "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
  );
});

// ------------------------------------------------------------------------------------------------
// Operations a symmetric key cannot do (the asymmetric, HMAC and key-agreement ones), and
// operations Coffer does not implement yet

test('Sign, Verify, GenerateMac, VerifyMac, DeriveSharedSecret on a symmetric key: InvalidKeyUsageException', async () => {
  const key = await newKey();
  const alias = await newAlias(key.id);
  const msg = Buffer.from('message');
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['Sign', () => kms.send(new SignCommand({ KeyId: key.id, Message: msg, SigningAlgorithm: 'RSASSA_PSS_SHA_256' }))],
    ['Verify', () => kms.send(new VerifyCommand({ KeyId: alias, Message: msg, Signature: randomBytes(64), SigningAlgorithm: 'ECDSA_SHA_256' }))],
    ['GenerateMac', () => kms.send(new GenerateMacCommand({ KeyId: key.arn, Message: msg, MacAlgorithm: 'HMAC_SHA_256' }))],
    ['VerifyMac', () => kms.send(new VerifyMacCommand({ KeyId: key.id, Message: msg, MacAlgorithm: 'HMAC_SHA_256', Mac: randomBytes(32) }))],
    ['DeriveSharedSecret', () => kms.send(new DeriveSharedSecretCommand({ KeyId: key.id, KeyAgreementAlgorithm: 'ECDH', PublicKey: randomBytes(91) }))],
  ];
  for (const [op, call] of calls) {
    await rejectsWith(call(), 'InvalidKeyUsageException', `${key.arn} key usage is ENCRYPT_DECRYPT which is not valid for ${op}.`);
  }
});

test('GetPublicKey on a symmetric key: UnsupportedOperationException', async () => {
  const key = await newKey();
  await rejectsWith(kms.send(new GetPublicKeyCommand({ KeyId: key.id })), 'UnsupportedOperationException', new RegExp(key.arn));
});

test('on a symmetric key, the asymmetric and HMAC operations still report the key state first (disabled, unknown key)', async () => {
  const key = await newKey();
  await kms.send(new DisableKeyCommand({ KeyId: key.id }));
  await rejectsWith(kms.send(new GenerateMacCommand({ KeyId: key.id, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' })), 'DisabledException', `${key.arn} is disabled.`);
  const missing = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/00000000-0000-4000-8000-000000000001`;
  await rejectsWith(
    kms.send(new SignCommand({ KeyId: missing, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' })),
    'NotFoundException', `Key '${missing}' does not exist`,
  );
});

test('GenerateDataKeyPair works with a symmetric key (data key pairs have their own file)', async () => {
  const key = await newKey();
  const r = await kms.send(new GenerateDataKeyPairCommand({ KeyId: key.id, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: { k: 'v' } }));
  assert.equal(r.KeyId, key.arn);
  assert.equal(r.KeyMaterialId, key.materialId);
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: r.PrivateKeyCiphertextBlob, EncryptionContext: { k: 'v' } }));
  assert.deepEqual(bytes(dec.Plaintext), bytes(r.PrivateKeyPlaintext));
});

test('a single-Region AWS_KMS key cannot be replicated or take imported material; an account without custom key stores describes none', async () => {
  const key = await newKey();
  // AWS-recorded wording (test_replicate_replica_key_should_fail, test_get_parameters_for_import).
  await rejectsWith(kms.send(new ReplicateKeyCommand({ KeyId: key.id, ReplicaRegion: 'eu-west-1' })), 'UnsupportedOperationException',
    `${key.arn} is not a multi-region primary key.`);
  await rejectsWith(kms.send(new GetParametersForImportCommand({ KeyId: key.id, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_4096' })),
    'UnsupportedOperationException', `${key.arn} origin is AWS_KMS which is not valid for this operation.`);
  assert.deepEqual((await kms.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores, []);
});
