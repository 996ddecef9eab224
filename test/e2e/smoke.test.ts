import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { removeDataDir, startCoffer, type Coffer } from './harness.ts';

let coffer: Coffer;
before(async () => { coffer = await startCoffer(); });
after(async () => { await coffer.stop(); removeDataDir(coffer.dataDir); });

test('create, encrypt, decrypt round trip through the SDK', async () => {
  const kms = coffer.client();
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
  const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('hello'), EncryptionContext: { a: 'b' } }));
  assert.equal(enc.KeyId, KeyMetadata?.Arn);
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: 'b' } }));
  assert.equal(Buffer.from(dec.Plaintext ?? []).toString(), 'hello');
  assert.equal(dec.KeyId, KeyMetadata?.Arn);
});
