/**
 * The hot path reads no database on a warm cache, on either backend (this suite runs on SQLite
 * and again on PostgreSQL): once a key, its material versions and its policy are cached, Encrypt,
 * Decrypt, GenerateDataKey and Sign make no read through the key or identity repositories
 * (the server's coffer_repository_reads_total metric stays where it was).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, GenerateDataKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { removeDataDir, startCoffer, type Coffer } from './harness.ts';

let coffer: Coffer;
before(async () => { coffer = await startCoffer(); });
after(async () => { await coffer.stop(); removeDataDir(coffer.dataDir); });

async function repositoryReads(): Promise<number> {
  const text = await (await fetch(`${coffer.endpoint}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('coffer_repository_reads_total '));
  assert.ok(line, 'the metric is served');
  return Number(line.slice('coffer_repository_reads_total '.length));
}

test('a warm Encrypt, Decrypt, GenerateDataKey and Sign read no database', async () => {
  const c = coffer.client();
  const sym = (await c.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
  const ecc = (await c.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.KeyId ?? '';
  const blob = (await c.send(new EncryptCommand({ KeyId: sym, Plaintext: Buffer.from('x') }))).CiphertextBlob;
  const round = async (): Promise<void> => {
    await c.send(new EncryptCommand({ KeyId: sym, Plaintext: Buffer.from('hot') }));
    await c.send(new DecryptCommand({ CiphertextBlob: blob }));
    await c.send(new GenerateDataKeyCommand({ KeyId: sym, KeySpec: 'AES_256' }));
    await c.send(new SignCommand({ KeyId: ecc, Message: Buffer.from('m'), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
  };
  await round();
  const before = await repositoryReads();
  assert.ok(before > 0, 'the cold start did read (the counter counts)');
  for (let i = 0; i < 100; i++) await round();
  assert.equal(await repositoryReads() - before, 0, 'no repository read in 400 warm requests');
  // A cold key does read: the metric would show a hot path that reads.
  const cold = (await c.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
  const mark = await repositoryReads();
  await c.send(new EncryptCommand({ KeyId: `alias/none-${cold.slice(0, 8)}`, Plaintext: Buffer.from('x') })).catch(() => undefined);
  assert.ok(await repositoryReads() > mark, 'an alias never seen is read from the database');
});
