/**
 * The AWS Encryption SDK for JavaScript (@aws-crypto/client-node), unmodified, against a running
 * Coffer: files encrypted and decrypted through KMS keyrings (a key ARN, an alias ARN, discovery),
 * multi-keyrings, tampered messages and a disabled key, and the GenerateDataKey/Decrypt calls the
 * ESDK made found in Coffer's audit trail with their encryption context.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import type { MessageHeader } from '@aws-crypto/client-node';
import { ACCOUNT_ID, REGION, bytes, rejectsWith, serverForFile, type Coffer } from './harness.ts';
import { cofferKeyring, decryptFile, encryptFile, esdk, esdkRoundTrip, type KmsCall } from './esdk.ts';

const CT_TARGET = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';

let coffer: Coffer;
serverForFile({ env: { COFFER_AUDIT_FLUSH_MS: '50' } }, (c) => { coffer = c; });

const dir = mkdtempSync(join(tmpdir(), 'coffer-esdk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file of `size` random bytes in the test's folder. */
function randomFile(name: string, size = 300 * 1024 + 17): string {
  const file = join(dir, name);
  writeFileSync(file, randomBytes(size));
  return file;
}

async function newKey(description: string): Promise<string> {
  const { KeyMetadata } = await coffer.client().send(new CreateKeyCommand({ Description: description }));
  assert.ok(KeyMetadata?.Arn);
  return KeyMetadata.Arn;
}

const edksOf = (h: MessageHeader) => h.encryptedDataKeys.map((k) => ({ providerId: k.providerId, providerInfo: k.providerInfo }));

/** The first error an ESDK promise rejects with (it must reject). */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Error, `rejected with a non-Error: ${String(e)}`);
    return e;
  }
  assert.fail('the ESDK call succeeded');
}

/** Replaces the first occurrence of `find` in `buf` (which must hold it once) with `replace`. */
function replaceOnce(buf: Buffer, find: Buffer, replace: Buffer): Buffer {
  const at = buf.indexOf(find);
  assert.ok(at >= 0 && buf.indexOf(find, at + 1) < 0, 'the bytes to replace occur exactly once');
  return Buffer.concat([buf.subarray(0, at), replace, buf.subarray(at + find.length)]);
}

let fileKeyArn = '';
const FILE_CONTEXT = { department: 'finance', document: 'q3-report', 'unicode-✓': 'wert ü' };

test('a file encrypted with a key ARN as generator decrypts to the same bytes and context; KMS saw the context', async () => {
  fileKeyArn = await newKey('esdk files');
  const file = randomFile('report.bin');
  const calls: KmsCall[] = [];
  const r = await esdkRoundTrip(coffer, fileKeyArn, file, { encryptionContext: FILE_CONTEXT, calls });

  assert.deepEqual(edksOf(r.encryptedHeader), [{ providerId: 'aws-kms', providerInfo: fileKeyArn }]);
  // The ESDK's default (signing) suite adds its public key to the context it sends to KMS and stores.
  const stored = { ...r.encryptedHeader.encryptionContext }; // (the ESDK's objects have no prototype)
  assert.deepEqual(Object.keys(stored).sort(), [...Object.keys(FILE_CONTEXT), 'aws-crypto-public-key'].sort());
  for (const [k, v] of Object.entries(FILE_CONTEXT)) assert.equal(stored[k], v);
  assert.deepEqual({ ...r.decryptedHeader.encryptionContext }, stored);

  assert.deepEqual(calls.map((c) => [c.operation, c.keyId, c.error?.name]), [['GenerateDataKey', fileKeyArn, undefined], ['Decrypt', fileKeyArn, undefined]]);
  for (const c of calls) assert.deepEqual({ ...c.encryptionContext }, stored);

  // The one-shot (buffer) API reads the streamed file too.
  const whole = await esdk.decrypt(cofferKeyring(coffer, { keyIds: [fileKeyArn] }), readFileSync(r.ciphertextFile));
  assert.ok(whole.plaintext.equals(readFileSync(file)));
  assert.deepEqual({ ...whole.messageHeader.encryptionContext }, stored);

  // Coffer binds the data key to the context: KMS Decrypt of the stored data key with another context fails.
  const edk = r.encryptedHeader.encryptedDataKeys[0];
  assert.ok(edk);
  const kms = coffer.client();
  const plain = await kms.send(new DecryptCommand({ CiphertextBlob: edk.encryptedDataKey, EncryptionContext: stored, KeyId: fileKeyArn }));
  assert.equal(bytes(plain.Plaintext).length, 32);
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: edk.encryptedDataKey, EncryptionContext: { ...stored, department: 'hr' }, KeyId: fileKeyArn })), 'InvalidCiphertextException');
});

test('an alias ARN as generator: the message names the key ARN; a key-ARN keyring and a discovery keyring decrypt it', async () => {
  const keyArn = await newKey('esdk alias');
  const aliasName = `alias/esdk-${randomBytes(4).toString('hex')}`;
  await coffer.client().send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: keyArn }));
  const aliasArn = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:${aliasName}`;
  const file = randomFile('alias.bin');
  const calls: KmsCall[] = [];
  const r = await esdkRoundTrip(coffer, aliasArn, file, { encryptionContext: { via: 'alias' }, decryptKeyArn: keyArn, calls });

  assert.deepEqual(edksOf(r.encryptedHeader), [{ providerId: 'aws-kms', providerInfo: keyArn }]);
  assert.deepEqual(calls.map((c) => [c.operation, c.keyId]), [['GenerateDataKey', aliasArn], ['Decrypt', keyArn]]);

  const out = join(dir, 'alias.discovered');
  const header = await decryptFile(cofferKeyring(coffer, { discovery: true }), r.ciphertextFile, out);
  assert.ok(readFileSync(out).equals(readFileSync(file)));
  assert.equal(header.encryptionContext.via, 'alias');
});

test('a multi-keyring of two keys: a keyring of only the second key decrypts; so does one of only the first', async () => {
  const first = await newKey('esdk multi 1');
  const second = await newKey('esdk multi 2');
  const file = randomFile('multi.bin');
  const calls: KmsCall[] = [];
  const header = await encryptFile(cofferKeyring(coffer, { generatorKeyId: first, keyIds: [second] }, calls), file, { scheme: 'multi' });

  assert.deepEqual(edksOf(header), [{ providerId: 'aws-kms', providerInfo: first }, { providerId: 'aws-kms', providerInfo: second }]);
  assert.deepEqual(calls.map((c) => [c.operation, c.keyId, c.error?.name]), [['GenerateDataKey', first, undefined], ['Encrypt', second, undefined]]);

  for (const [name, only] of [['second', second], ['first', first]] as const) {
    const used: KmsCall[] = [];
    const out = join(dir, `multi.${name}`);
    const h = await decryptFile(cofferKeyring(coffer, { keyIds: [only] }, used), `${file}.esdk`, out);
    assert.ok(readFileSync(out).equals(readFileSync(file)), `decrypted with the ${name} key alone`);
    assert.equal(h.encryptionContext.scheme, 'multi');
    assert.deepEqual(used.map((c) => [c.operation, c.keyId, c.error?.name]), [['Decrypt', only, undefined]]);
  }
});

test('tampered messages fail: a body byte, the encrypted data key, the stored encryption context', async () => {
  const keyArn = await newKey('esdk tamper');
  const file = randomFile('tamper.bin');
  const header = await encryptFile(cofferKeyring(coffer, { generatorKeyId: keyArn }), file, { case: 'genuine' });
  const cipher = readFileSync(`${file}.esdk`);
  const keyring = (calls?: KmsCall[]) => cofferKeyring(coffer, { keyIds: [keyArn] }, calls);

  // The genuine message decrypts, so the failures below come from the changes.
  assert.ok((await esdk.decrypt(keyring(), cipher)).plaintext.equals(readFileSync(file)));

  const body = Buffer.from(cipher);
  const mid = Math.floor(body.length / 2);
  body[mid] = (body[mid] ?? 0) ^ 0x01;
  const bodyCalls: KmsCall[] = [];
  await failure(esdk.decrypt(keyring(bodyCalls), body));
  assert.deepEqual(bodyCalls.map((c) => [c.operation, c.error?.name]), [['Decrypt', undefined]], 'KMS decrypts the data key; the frame fails its tag');

  const edk = Buffer.from(header.encryptedDataKeys[0]?.encryptedDataKey ?? []);
  assert.ok(edk.length > 0);
  const badEdk = Buffer.from(edk);
  badEdk[edk.length >> 1] = (badEdk[edk.length >> 1] ?? 0) ^ 0x01;
  const edkCalls: KmsCall[] = [];
  const e1 = await failure(esdk.decrypt(keyring(edkCalls), replaceOnce(cipher, edk, badEdk)));
  assert.deepEqual(edkCalls.map((c) => [c.operation, c.error?.name]), [['Decrypt', 'InvalidCiphertextException']]);
  assert.match(e1.message, /InvalidCiphertextException/);

  const ctxCalls: KmsCall[] = [];
  const e2 = await failure(esdk.decrypt(keyring(ctxCalls), replaceOnce(cipher, Buffer.from('genuine'), Buffer.from('genuinf'))));
  assert.deepEqual(ctxCalls.map((c) => [c.operation, c.error?.name]), [['Decrypt', 'InvalidCiphertextException']], 'Coffer refuses the data key under another context');
  assert.equal(ctxCalls[0]?.encryptionContext?.case, 'genuinf');
  assert.match(e2.message, /InvalidCiphertextException/);
});

test('a disabled key: decryption fails with Coffer\'s DisabledException, encryption too; enabled again, both work', async () => {
  const keyArn = await newKey('esdk disabled');
  const spare = await newKey('esdk disabled spare');
  const file = randomFile('disabled.bin');
  await encryptFile(cofferKeyring(coffer, { generatorKeyId: keyArn, keyIds: [spare] }), file, { state: 'disabled' });
  const kms = coffer.client();
  await kms.send(new DisableKeyCommand({ KeyId: keyArn }));

  const calls: KmsCall[] = [];
  const e = await failure(decryptFile(cofferKeyring(coffer, { keyIds: [keyArn] }, calls), `${file}.esdk`, join(dir, 'disabled.out')));
  assert.equal(calls.length, 1);
  const cause = calls[0]?.error;
  assert.equal(cause?.name, 'DisabledException', `the KMS error under the ESDK's: ${cause?.name}: ${cause?.message}`);
  assert.equal((cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode, 400);
  assert.match(cause?.message ?? '', new RegExp(`${keyArn} is disabled`));
  assert.match(e.message, /Unable to decrypt data key/);
  assert.ok(e.message.includes(cause?.stack ?? '\0'), 'the ESDK error carries the DisabledException it got from Coffer');

  // A keyring of both keys falls back to the enabled one.
  const both: KmsCall[] = [];
  const out = join(dir, 'disabled.both');
  await decryptFile(cofferKeyring(coffer, { keyIds: [keyArn, spare] }, both), `${file}.esdk`, out);
  assert.ok(readFileSync(out).equals(readFileSync(file)));
  assert.deepEqual(both.map((c) => [c.keyId, c.error?.name]), [[keyArn, 'DisabledException'], [spare, undefined]]);

  const encCalls: KmsCall[] = [];
  await failure(encryptFile(cofferKeyring(coffer, { generatorKeyId: keyArn }, encCalls), file, { state: 'disabled' }, join(dir, 'disabled.again')));
  assert.deepEqual(encCalls.map((c) => [c.operation, c.error?.name]), [['GenerateDataKey', 'DisabledException']]);

  await kms.send(new EnableKeyCommand({ KeyId: keyArn }));
  await esdkRoundTrip(coffer, keyArn, file, { encryptionContext: { state: 'enabled' } });
});

interface TrailEvent { EventName: string; CloudTrailEvent: string }

/** Every record LookupEvents returns for an event name (all pages). */
async function trail(eventName: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let next: string | undefined;
  do {
    const r = await coffer.raw({
      service: 'cloudtrail', headers: { 'x-amz-target': `${CT_TARGET}LookupEvents` },
      body: JSON.stringify({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }], ...(next !== undefined ? { NextToken: next } : {}) }),
    });
    assert.equal(r.status, 200, r.body);
    const page = JSON.parse(r.body) as { Events?: TrailEvent[]; NextToken?: string };
    for (const e of page.Events ?? []) out.push(JSON.parse(e.CloudTrailEvent) as Record<string, unknown>);
    next = page.NextToken;
  } while (next !== undefined);
  return out;
}

test('the audit trail has the ESDK\'s GenerateDataKey and Decrypt calls with their encryption context', async () => {
  assert.ok(fileKeyArn !== '', 'runs after the first test');
  const onKey = (records: Record<string, unknown>[]) => records.filter((r) => {
    const p = r.requestParameters as { keyId?: unknown; encryptionContext?: Record<string, unknown> } | null;
    return p?.keyId === fileKeyArn && p.encryptionContext?.document === FILE_CONTEXT.document;
  });
  const generated = onKey(await trail('GenerateDataKey'));
  const decrypted = onKey(await trail('Decrypt'));
  assert.equal(generated.length, 1, 'one GenerateDataKey for the file');
  // The round trip's decrypt, the one-shot decrypt and the direct KMS Decrypt with the right context; the one with the wrong context failed.
  const ok = decrypted.filter((r) => r.errorCode === undefined);
  assert.equal(ok.length, 3);
  const wrong = decrypted.filter((r) => r.errorCode !== undefined);
  assert.deepEqual(wrong.map((r) => [r.errorCode, (r.requestParameters as { encryptionContext: Record<string, unknown> }).encryptionContext.department]), [['InvalidCiphertextException', 'hr']]);
  for (const r of [...generated, ...ok]) {
    const p = r.requestParameters as { encryptionContext: Record<string, unknown> };
    for (const [k, v] of Object.entries(FILE_CONTEXT)) assert.equal(p.encryptionContext[k], v, `${String(r.eventName)} recorded ${k}`);
    assert.equal(typeof p.encryptionContext['aws-crypto-public-key'], 'string');
    assert.equal(r.eventSource, 'kms.amazonaws.com');
    assert.deepEqual(r.resources, [{ accountId: ACCOUNT_ID, type: 'AWS::KMS::Key', ARN: fileKeyArn }]);
  }
  const gdk = generated[0]?.requestParameters as { numberOfBytes?: unknown } | undefined;
  assert.equal(gdk?.numberOfBytes, 32, 'the ESDK asks for the suite\'s data key length');

  const refused = (await trail('Decrypt')).filter((r) => r.errorCode === 'DisabledException');
  assert.ok(refused.length >= 2, 'the disabled key\'s refused Decrypt calls are recorded');
  for (const r of refused) assert.equal((r.requestParameters as { encryptionContext?: Record<string, unknown> }).encryptionContext?.state, 'disabled');
});
