/**
 * The root seal moved with `seal migrate`, its server stopped: key file → passphrase → key file,
 * and into a PKCS#11 token (SoftHSM2) and back. After each move every ciphertext made before decrypts,
 * the old seal no longer opens the folder, and a folder started with the wrong kind of seal stops
 * with a message saying which seal it has.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, GenerateMacCommand, VerifyMacCommand } from '@aws-sdk/client-kms';
import { databaseFor, newDataDir, REPO_ROOT, removeDataDir, startCoffer } from './harness.ts';
import { openSoftHsm, pkcs11Tool, softhsmModulePath, softhsmSkip } from '../support/softhsm.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const PASSPHRASE = 'correct horse battery staple';

const cli = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, [...cofferArgs('cli'), ...args], {
    cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000,
  });
const runMain = (env: Record<string, string>) =>
  spawnSync(process.execPath, cofferArgs('main'), {
    cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', COFFER_PORT: '0', ...env }, encoding: 'utf8', timeout: 30_000,
  });

test('seal migrate: key file → passphrase → key file; every old ciphertext and MAC still works, the old seal no longer opens the folder', { timeout: 180_000 }, async () => {
  const dataDir = newDataDir();
  const db = await databaseFor(dataDir);
  const base: Record<string, string> = { COFFER_DATA_DIR: dataDir, ...(db !== undefined ? { COFFER_DATABASE_URL: db } : {}) };
  try {
    const first = await startCoffer({ dataDir, env: db !== undefined ? { COFFER_DATABASE_URL: db } : {} });
    const kms = first.client();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    const macKey = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata?.KeyId as string;
    const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('before the move') }))).CiphertextBlob as Uint8Array;
    const mac = (await kms.send(new GenerateMacCommand({ KeyId: macKey, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from('m') }))).Mac as Uint8Array;
    assert.equal(await first.stop(), 0);

    const still = async (env: Record<string, string>) => {
      const c = await startCoffer({ dataDir, env: { ...(db !== undefined ? { COFFER_DATABASE_URL: db } : {}), ...env } });
      try {
        const k = c.client();
        assert.equal(Buffer.from((await k.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString(), 'before the move');
        assert.equal((await k.send(new VerifyMacCommand({ KeyId: macKey, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from('m'), Mac: mac }))).MacValid, true);
      } finally {
        assert.equal(await c.stop(), 0);
      }
    };

    const toPassphrase = cli({ ...base, COFFER_ROOT_PASSPHRASE: PASSPHRASE }, 'seal', 'migrate', '--from', 'key-file', '--to', 'passphrase');
    assert.equal(toPassphrase.status, 0, toPassphrase.stderr);
    assert.match(toPassphrase.stdout, /Moved 1 domain key from the key-file seal to the passphrase seal/);
    await still({ COFFER_ROOT_PASSPHRASE: PASSPHRASE });
    const byFile = runMain(base);
    assert.equal(byFile.status, 1);
    assert.match(byFile.stderr, /root key does not open this data folder/);

    const again = cli({ ...base, COFFER_ROOT_PASSPHRASE: PASSPHRASE }, 'seal', 'migrate', '--from', 'passphrase', '--to', 'passphrase');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /nothing to move/);
    const wrongSource = cli({ ...base, COFFER_ROOT_PASSPHRASE: 'not it' }, 'seal', 'migrate', '--from', 'passphrase', '--to', 'key-file');
    assert.equal(wrongSource.status, 1);
    assert.match(wrongSource.stderr, /root key does not open this data folder/);

    const back = cli({ ...base, COFFER_ROOT_PASSPHRASE: PASSPHRASE }, 'seal', 'migrate', '--from', 'passphrase', '--to', 'key-file');
    assert.equal(back.status, 0, back.stderr);
    await still({});
    const byPassphrase = runMain({ ...base, COFFER_ROOT_PASSPHRASE: PASSPHRASE });
    assert.equal(byPassphrase.status, 1);
    assert.match(byPassphrase.stderr, /root key does not open this data folder/);
    const usage = cli(base, 'seal', 'migrate', '--from', 'vault', '--to', 'key-file');
    assert.equal(usage.status, 2);
  } finally {
    removeDataDir(dataDir);
  }
});

test('COFFER_SEAL=pkcs11: the root key is made in the token, non-extractable; a folder moves into the token and back; a wrong PIN or token stops start-up naming the setting', { skip: softhsmSkip(), timeout: 180_000 }, async () => {
  // The seal's token: initialised by its SO as an operator would (through the adapter here).
  const module = await openSoftHsm();
  const label = `seal-${process.pid}`;
  const token = await module.initToken(label, 'so-pin-1234');
  const admin = await module.openAdmin(token.serial, 'so-pin-1234');
  await admin.initUserPin('user-pin-5678');
  await admin.close();
  const softhsm = { SOFTHSM2_CONF: process.env.SOFTHSM2_CONF ?? '', COFFER_PKCS11_MODULE: softhsmModulePath() };
  const tokenSeal = { ...softhsm, COFFER_SEAL: 'pkcs11', COFFER_SEAL_PKCS11_TOKEN_LABEL: label, COFFER_SEAL_PKCS11_PIN: 'user-pin-5678' };

  const dataDir = newDataDir();
  const db = await databaseFor(dataDir);
  const base: Record<string, string> = { COFFER_DATA_DIR: dataDir, ...(db !== undefined ? { COFFER_DATABASE_URL: db } : {}) };
  try {
    const first = await startCoffer({ dataDir, env: { ...(db !== undefined ? { COFFER_DATABASE_URL: db } : {}), ...softhsm } });
    const kms = first.client();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('into the token') }))).CiphertextBlob as Uint8Array;
    assert.equal(await first.stop(), 0);

    const started = runMain({ ...base, ...tokenSeal });
    assert.equal(started.status, 1, 'a key-file folder does not open with the token seal');
    assert.match(started.stderr, /sealed by a root key file or passphrase, not by a PKCS#11 token/);

    const into = cli({ ...base, ...tokenSeal }, 'seal', 'migrate', '--from', 'key-file', '--to', 'pkcs11');
    assert.equal(into.status, 0, into.stderr);
    // The root key now exists in the token: sensitive, not extractable.
    const listed = pkcs11Tool(['--token-label', label, '--login', '--pin', 'user-pin-5678', '-O']);
    assert.match(listed.output, /coffer-root-key/);
    const read = pkcs11Tool(['--token-label', label, '--login', '--pin', 'user-pin-5678', '--read-object', '--type', 'secrkey', '--label', 'coffer-root-key']);
    assert.notEqual(read.status, 0);
    assert.match(read.output, /CKR_ATTRIBUTE_SENSITIVE|sensitive/i);

    const inToken = await startCoffer({ dataDir, env: { ...(db !== undefined ? { COFFER_DATABASE_URL: db } : {}), ...tokenSeal } });
    try {
      const k = inToken.client();
      assert.equal(Buffer.from((await k.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString(), 'into the token');
      const fresh = (await k.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
      await k.send(new EncryptCommand({ KeyId: fresh, Plaintext: Buffer.from('x') }));
    } finally {
      assert.equal(await inToken.stop(), 0);
    }
    const wrongPin = runMain({ ...base, ...tokenSeal, COFFER_SEAL_PKCS11_PIN: 'not-the-pin' });
    assert.equal(wrongPin.status, 1);
    assert.match(wrongPin.stderr, /COFFER_SEAL_PKCS11_PIN/);
    assert.doesNotMatch(wrongPin.stderr, /not-the-pin/, 'the PIN is never printed');
    const wrongToken = runMain({ ...base, ...tokenSeal, COFFER_SEAL_PKCS11_TOKEN_LABEL: 'no-such-token' });
    assert.equal(wrongToken.status, 1);
    assert.match(wrongToken.stderr, /COFFER_SEAL_PKCS11_TOKEN_LABEL/);
    const byFile = runMain(base);
    assert.equal(byFile.status, 1, 'the key file no longer opens the folder');

    const out = cli({ ...base, ...tokenSeal }, 'seal', 'migrate', '--from', 'pkcs11', '--to', 'key-file');
    assert.equal(out.status, 0, out.stderr);
    const back = await startCoffer({ dataDir, env: db !== undefined ? { COFFER_DATABASE_URL: db } : {} });
    try {
      assert.equal(Buffer.from((await back.client().send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString(), 'into the token');
    } finally {
      assert.equal(await back.stop(), 0);
    }
  } finally {
    removeDataDir(dataDir);
    await module.close();
  }
});

test('COFFER_SEAL=pkcs11 on a new data folder: the first start makes the root key in the token and seals the first domain key with it; a restart opens it', { skip: softhsmSkip(), timeout: 120_000 }, async () => {
  const module = await openSoftHsm();
  const label = `fresh-${process.pid}`;
  const token = await module.initToken(label, 'so-pin-1234');
  const admin = await module.openAdmin(token.serial, 'so-pin-1234');
  await admin.initUserPin('user-pin-5678');
  await admin.close();
  const env = {
    SOFTHSM2_CONF: process.env.SOFTHSM2_CONF ?? '', COFFER_PKCS11_MODULE: softhsmModulePath(),
    COFFER_SEAL: 'pkcs11', COFFER_SEAL_PKCS11_TOKEN_LABEL: label, COFFER_SEAL_PKCS11_PIN: 'user-pin-5678', COFFER_SEAL_PKCS11_KEY_LABEL: 'root-of-this-test',
  };
  const dataDir = newDataDir();
  try {
    const first = await startCoffer({ dataDir, env });
    const k = first.client();
    const keyId = (await k.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    const blob = (await k.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('fresh') }))).CiphertextBlob as Uint8Array;
    assert.equal(await first.stop(), 0);
    assert.match(pkcs11Tool(['--token-label', label, '--login', '--pin', 'user-pin-5678', '-O']).output, /root-of-this-test/);
    const again = await startCoffer({ dataDir, env });
    try {
      assert.equal(Buffer.from((await again.client().send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString(), 'fresh');
    } finally {
      assert.equal(await again.stop(), 0);
    }
  } finally {
    removeDataDir(dataDir);
    await module.close();
  }
});
