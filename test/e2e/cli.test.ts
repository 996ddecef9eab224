/**
 * The AWS CLI against Coffer: create-key, encrypt with fileb://, decrypt. Needs `aws` on PATH
 * (CI installs it; elsewhere the test skips and says what to install).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDataDir, startCoffer, type Coffer } from './harness.ts';

const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = !hasAws && process.env.CI !== 'true' ? 'the aws CLI is not installed (apt-get install awscli, or pip install awscli)' : false;

function aws(coffer: Coffer, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('aws', [...args, '--endpoint-url', coffer.endpoint, '--output', 'text'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '',
      AWS_ACCESS_KEY_ID: coffer.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: coffer.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true', ...env,
    },
  }).trim();
}

test('aws kms create-key, encrypt with fileb://, decrypt', { skip }, async () => {
  const coffer = await startCoffer();
  try {
    const keyId = aws(coffer, ['kms', 'create-key', '--description', 'cli smoke', '--query', 'KeyMetadata.KeyId']);
    assert.match(keyId, /^[0-9a-f-]{36}$/);
    const plainFile = join(coffer.dataDir, 'plain.bin');
    const secret = Buffer.from([0, 1, 2, 255, 254, 10, 13, ...Buffer.from('binary-safe secret')]);
    writeFileSync(plainFile, secret);
    const cipherB64 = aws(coffer, ['kms', 'encrypt', '--key-id', keyId, '--plaintext', `fileb://${plainFile}`,
      '--encryption-context', 'app=cli', '--query', 'CiphertextBlob']);
    const cipherFile = join(coffer.dataDir, 'cipher.bin');
    writeFileSync(cipherFile, Buffer.from(cipherB64, 'base64'));
    const plainB64 = aws(coffer, ['kms', 'decrypt', '--ciphertext-blob', `fileb://${cipherFile}`,
      '--encryption-context', 'app=cli', '--query', 'Plaintext']);
    assert.deepEqual(Buffer.from(plainB64, 'base64'), secret);
    const decryptedKeyId = aws(coffer, ['kms', 'decrypt', '--ciphertext-blob', `fileb://${cipherFile}`,
      '--encryption-context', 'app=cli', '--query', 'KeyId']);
    assert.equal(decryptedKeyId, `arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    assert.throws(() => aws(coffer, ['kms', 'decrypt', '--ciphertext-blob', `fileb://${cipherFile}`]), /InvalidCiphertextException/);
  } finally {
    await coffer.stop();
    removeDataDir(coffer.dataDir);
  }
});
