/**
 * The data folder never holds plaintext key material: the test opens the key hierarchy itself
 * (root key file → domain key → backing key), proves the backing key it found is the real one by
 * decrypting a ciphertext with it, then searches every file of the data folder for its bytes.
 * The same holds for asymmetric private keys (PKCS#8) and HMAC keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createHmac, createPrivateKey, createPublicKey } from 'node:crypto';
import { CreateKeyCommand, EncryptCommand, GenerateMacCommand, GetPublicKeyCommand, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { ecPrivateScalar } from '../../src/crypto/der.ts';
import { decodeBlob } from '../../src/crypto/blob.ts';
import { openSymmetric } from '../../src/crypto/symmetric.ts';
import { backingKeyAad, domainKeyAad, unwrapKey } from '../../src/crypto/wrap.ts';
import { newDataDir, removeDataDir, startCoffer } from './harness.ts';

const allFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? allFiles(join(dir, n)) : [join(dir, n)]));

test('no file of the data folder contains a plaintext backing key or domain key', async () => {
  const dataDir = newDataDir();
  try {
    const coffer = await startCoffer({ dataDir });
    const kms = coffer.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const arn = KeyMetadata?.Arn as string;
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
    const secret = 'the plaintext that must not be stored';
    const enc = await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from(secret) }));
    const blob = Buffer.from(enc.CiphertextBlob as Uint8Array);

    await coffer.kill9();
    const db = new Database(join(dataDir, 'coffer.db'), { readonly: true });
    const rootKey = readFileSync(join(dataDir, 'root.key'));
    const domains = db.prepare<[], { id: string; wrapped: Buffer }>('SELECT id, wrapped FROM domain_keys').all();
    const materials = db.prepare<[string], { material_id: string; domain_key_id: string; wrapped: Buffer }>(
      'SELECT material_id, domain_key_id, wrapped FROM key_materials WHERE key_arn = ?').all(arn);
    db.close();
    assert.equal(materials.length, 2);
    const domainKeys = new Map(domains.map((d) => [d.id, unwrapKey(rootKey, d.wrapped, domainKeyAad(d.id))]));
    const backing = materials.map((m) => unwrapKey(domainKeys.get(m.domain_key_id) as Buffer, m.wrapped, backingKeyAad(arn, m.material_id)));

    const parts = decodeBlob(blob);
    const current = materials.findIndex((m) => m.material_id === parts.materialId.toString('hex'));
    assert.ok(current >= 0);
    assert.equal(openSymmetric(parts, backing[current] as Buffer).toString(), secret, 'the unwrapped backing key is the real one');

    const needles = [...backing, ...domainKeys.values(), Buffer.from(secret)];
    for (const file of allFiles(dataDir)) {
      if (file.endsWith('root.key')) continue;
      const bytes = readFileSync(file);
      for (const needle of needles) assert.equal(bytes.indexOf(needle), -1, `${file} contains plaintext key material or data`);
    }
    // The root key file is the seal: it holds the root key and nothing else.
    assert.equal(rootKey.length, 32);
    assert.equal(statSync(join(dataDir, 'root.key')).mode & 0o777, 0o600);
  } finally {
    removeDataDir(dataDir);
  }
});

test('private keys of key pairs and HMAC keys are stored only wrapped, like backing keys', async () => {
  const dataDir = newDataDir();
  try {
    const coffer = await startCoffer({ dataDir });
    const kms = coffer.client();
    const ec = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.Arn as string;
    const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata?.Arn as string;
    const hmac = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata?.Arn as string;
    const publicKeys = new Map<string, Buffer>();
    for (const arn of [ec, rsa]) publicKeys.set(arn, Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: arn }))).PublicKey ?? new Uint8Array()));
    const mac = Buffer.from((await kms.send(new GenerateMacCommand({ KeyId: hmac, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' }))).Mac ?? new Uint8Array());
    await coffer.kill9();

    const db = new Database(join(dataDir, 'coffer.db'), { readonly: true });
    const rootKey = readFileSync(join(dataDir, 'root.key'));
    const domains = db.prepare<[], { id: string; wrapped: Buffer }>('SELECT id, wrapped FROM domain_keys').all();
    const material = (arn: string): Buffer => {
      const m = db.prepare<[string], { material_id: string; domain_key_id: string; wrapped: Buffer }>(
        'SELECT material_id, domain_key_id, wrapped FROM key_materials WHERE key_arn = ?').get(arn);
      assert.ok(m, `material of ${arn}`);
      const domain = domains.find((d) => d.id === m.domain_key_id);
      assert.ok(domain);
      return unwrapKey(unwrapKey(rootKey, domain.wrapped, domainKeyAad(domain.id)), m.wrapped, backingKeyAad(arn, m.material_id));
    };
    const ecPkcs8 = material(ec);
    const rsaPkcs8 = material(rsa);
    const hmacKey = material(hmac);
    db.close();
    // What was unwrapped is the real material: it gives the public keys and the MAC the server gave.
    for (const [arn, pkcs8] of [[ec, ecPkcs8], [rsa, rsaPkcs8]] as const) {
      const pub = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
      assert.deepEqual(pub, publicKeys.get(arn));
    }
    assert.equal(hmacKey.length, 32);
    assert.deepEqual(createHmac('sha256', hmacKey).update('m').digest(), mac);

    const needles = [ecPkcs8, ecPrivateScalar(ecPkcs8), rsaPkcs8, rsaPkcs8.subarray(rsaPkcs8.length - 64), hmacKey];
    for (const file of allFiles(dataDir)) {
      if (file.endsWith('root.key')) continue;
      const bytes = readFileSync(file);
      for (const needle of needles) assert.equal(bytes.indexOf(needle), -1, `${file} contains plaintext private key or HMAC key material`);
    }
  } finally {
    removeDataDir(dataDir);
  }
});
