/**
 * Start-up and shutdown contract: configuration errors name the variable, the data folder and
 * the generated credentials are private, the secret is never printed, SIGTERM exits cleanly,
 * and a passphrase seal refuses the wrong passphrase.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { newDataDir, REPO_ROOT, removeDataDir, startCoffer } from './harness.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const runMain = (env: Record<string, string>) =>
  spawnSync(process.execPath, cofferArgs('main'), {
    cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', COFFER_PORT: '0', ...env }, encoding: 'utf8', timeout: 30_000,
  });

for (const [name, value] of [
  ['COFFER_PORT', 'eighty'], ['COFFER_PORT', '70000'], ['COFFER_REGION', 'Mars'], ['COFFER_ACCOUNT_ID', '123'],
  ['COFFER_LOG_LEVEL', 'loud'], ['COFFER_TEST_MODE', 'maybe'], ['COFFER_ROOT_ACCESS_KEY_ID', 'AKIAONLYTHEID0000'], ['COFFER_ROOT_ACCESS_KEY_ID', 'has-a-dash'],
] as const) {
  test(`a bad ${name} (${value}) stops start-up with a message naming it`, () => {
    const dataDir = newDataDir();
    try {
      const r = runMain({ COFFER_DATA_DIR: dataDir, [name]: value });
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(name));
    } finally {
      removeDataDir(dataDir);
    }
  });
}

test('generated root credentials: file mode 0600, path printed, secret never printed; data folder 0700', async () => {
  const parent = newDataDir();
  const dataDir = join(parent, 'nested', 'data');
  try {
    const coffer = await startCoffer({ dataDir, credentials: { accessKeyId: '', secretAccessKey: '' } });
    const file = join(dataDir, 'root-credentials.json');
    const creds = JSON.parse(readFileSync(file, 'utf8')) as { accessKeyId: string; secretAccessKey: string };
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    for (const f of ['coffer.db', 'coffer.db-wal', 'root.key']) assert.equal(statSync(join(dataDir, f)).mode & 0o077, 0, `${f} is private`);
    assert.match(coffer.output(), new RegExp(file.replace(/[/.]/g, '\\$&')));
    assert.ok(!coffer.output().includes(creds.secretAccessKey), 'the secret is not printed');
    const kms = coffer.client(undefined, creds);
    assert.ok((await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId);
    assert.equal(await coffer.stop(), 0, 'SIGTERM exits 0');
  } finally {
    removeDataDir(parent);
  }
});

test('root credentials test / test, as local tooling uses, when set explicitly: served, with a warning', async () => {
  const coffer = await startCoffer({ credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  try {
    assert.ok((await coffer.client().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId);
    const wrong = coffer.client(undefined, { accessKeyId: 'test', secretAccessKey: 'tesT' });
    await assert.rejects(wrong.send(new CreateKeyCommand({})), { name: 'InvalidSignatureException' });
    assert.equal(await coffer.stop(), 0);
    assert.match(coffer.output(), /COFFER_ROOT_SECRET_ACCESS_KEY is shorter than 16 characters/);
    // The refused call is logged (flushed at shutdown) with the key id and the operation, never the secret or signature.
    const logged = coffer.output().split('\n').find((l) => l.includes('authentication refused'));
    assert.ok(logged?.includes('"accessKeyId":"test"') && logged.includes('"operation":"CreateKey"') && logged.includes('"error":"InvalidSignatureException"'), logged);
    assert.ok(!/tesT|Signature=/.test(coffer.output()), 'no secret or signature in the output');
  } finally {
    await coffer.stop();
    removeDataDir(coffer.dataDir);
  }
});

test('GET /health answers 200 once ready', async () => {
  const coffer = await startCoffer();
  try {
    const r = await fetch(`${coffer.endpoint}/health`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });
  } finally {
    await coffer.stop();
    removeDataDir(coffer.dataDir);
  }
});

test('SIGTERM lets in-flight requests finish and closes the database', async () => {
  const coffer = await startCoffer();
  try {
    const kms = coffer.client();
    const arn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
    const inFlight = Array.from({ length: 40 }, () => kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x') })));
    await new Promise((r) => setTimeout(r, 5));
    const exit = coffer.stop();
    const results = await Promise.allSettled(inFlight);
    for (const r of results) {
      if (r.status === 'rejected') assert.match(String((r.reason as Error).message), /ECONNREFUSED|ECONNRESET|socket hang up|destroyed/, 'only connections refused after shutdown began');
    }
    assert.ok(results.some((r) => r.status === 'fulfilled'));
    assert.equal(await exit, 0);
    // A clean close checkpoints the WAL into the database and removes it.
    assert.equal(existsSync(join(coffer.dataDir, 'coffer.db-wal')), false);
  } finally {
    removeDataDir(coffer.dataDir);
  }
});

test('a passphrase seal opens the data folder only with the same passphrase', async () => {
  const dataDir = newDataDir();
  try {
    const first = await startCoffer({ dataDir, env: { COFFER_ROOT_PASSPHRASE: 'correct horse battery staple' } });
    const kms = first.client();
    const arn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
    const blob = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('sealed') }))).CiphertextBlob;
    assert.equal(await first.stop(), 0);

    const wrong = runMain({ COFFER_DATA_DIR: dataDir, COFFER_ROOT_PASSPHRASE: 'wrong passphrase' });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /root key does not open this data folder/);

    const again = await startCoffer({ dataDir, env: { COFFER_ROOT_PASSPHRASE: 'correct horse battery staple' } });
    try {
      const dec = await again.client().send(new DecryptCommand({ CiphertextBlob: blob }));
      assert.equal(Buffer.from(dec.Plaintext ?? []).toString(), 'sealed');
    } finally {
      await again.stop();
    }
  } finally {
    removeDataDir(dataDir);
  }
});

test('a database with keys and no root key file beside it: start-up says to bring the file, makes none, and starts once it is back', async () => {
  const dataDir = newDataDir();
  try {
    const first = await startCoffer({ dataDir });
    const arn = (await first.client().send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
    const blob = (await first.client().send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('kept') }))).CiphertextBlob;
    assert.equal(await first.stop(), 0);
    const keyFile = join(dataDir, 'root.key');
    const saved = readFileSync(keyFile);
    rmSync(keyFile);
    const missing = runMain({ COFFER_DATA_DIR: dataDir });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /has domain keys but .*root\.key was missing: a new one cannot open them/);
    assert.equal(existsSync(keyFile), false, 'no new root key file is left behind');
    writeFileSync(keyFile, saved, { mode: 0o600 });
    const again = await startCoffer({ dataDir });
    try {
      const dec = await again.client().send(new DecryptCommand({ CiphertextBlob: blob }));
      assert.equal(Buffer.from(dec.Plaintext ?? []).toString(), 'kept');
    } finally {
      await again.stop();
    }
  } finally {
    removeDataDir(dataDir);
  }
});

test('a second process on the same data folder refuses to start', async () => {
  const coffer = await startCoffer();
  try {
    const second = runMain({ COFFER_DATA_DIR: coffer.dataDir });
    assert.equal(second.status, 1);
    assert.match(second.stderr, /in use by another Coffer process/);
    assert.equal((await fetch(`${coffer.endpoint}/health`)).status, 200, 'the first one is unharmed');
  } finally {
    await coffer.stop();
    removeDataDir(coffer.dataDir);
  }
});
