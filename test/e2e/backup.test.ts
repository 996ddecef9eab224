/**
 * `backup create` and `backup restore` with real processes: a backup taken from a running server
 * while a loop of CreateKey and Encrypt calls keeps it busy; restored into a new folder, given the
 * key file, and served by a second server, where every ciphertext acknowledged before the backup
 * started decrypts (and a key made after it does not exist). The restored trail verifies before and
 * after that server ran. The backup file is private and holds neither the root key nor the root
 * secret; restore refuses a folder that holds an installation and a damaged or cut backup file; on
 * PostgreSQL `backup create` points to pg_dump.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { REPO_ROOT, bytes, newDataDir, rejectsWith, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

interface Run { status: number | null; stdout: string; stderr: string }

/** The admin command, run without blocking this process (the load loop goes on meanwhile). */
function cli(dataDir: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [...cofferArgs('cli'), ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', COFFER_DATA_DIR: dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.once('close', (status) => ok({ status, stdout, stderr }));
  });
}

interface Acked { readonly blob: Buffer; readonly plaintext: string; readonly keyId: string }

test('backup create under load, restore into a new folder: every ciphertext acknowledged before the backup decrypts there', { timeout: 240_000 }, async (t) => {
  const dataDir = newDataDir();
  const work = newDataDir();
  const restored = join(work, 'restored');
  const backupFile = join(work, 'coffer.backup');
  let first: Coffer | undefined;
  let second: Coffer | undefined;
  try {
    first = await startCoffer({ dataDir, backend: 'sqlite', env: { COFFER_AUDIT_DIGEST_INTERVAL_S: '1' } });
    const kms = first.client();
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) keys.push((await kms.send(new CreateKeyCommand({ Description: `before ${i}` }))).KeyMetadata?.KeyId ?? '');

    // The load: workers encrypting under the keys, every tenth call a new key.
    const beforeBackup: Acked[] = [];
    let backupStarted = false, backupDone = false, duringBackup = 0, stop = false;
    const loop = async (w: number): Promise<void> => {
      for (let i = 1; !stop; i++) {
        let keyId = keys[(w + i) % keys.length] ?? '';
        if (i % 10 === 0) {
          keyId = (await kms.send(new CreateKeyCommand({ Description: `load ${w}.${i}` }))).KeyMetadata?.KeyId ?? '';
          keys.push(keyId);
        }
        const plaintext = `worker ${w} call ${i}`;
        const r = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext), EncryptionContext: { w: String(w) } }));
        // Acknowledged: before the backup started, it must be in the backup.
        if (!backupStarted) beforeBackup.push({ blob: bytes(r.CiphertextBlob), plaintext, keyId });
        else if (!backupDone) duringBackup++;
      }
    };
    const workers = [0, 1, 2].map(loop);
    await new Promise((r) => setTimeout(r, 1500));

    backupStarted = true;
    const created = await cli(dataDir, ['backup', 'create', '--out', backupFile]);
    backupDone = true;
    stop = true;
    await Promise.all(workers);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /In the backup: coffer\.db, audit-digests\.jsonl, audit-public-key\.pem\./);
    assert.match(created.stdout, /The root seal is NOT in the backup \(the key file root\.key\)/);
    assert.ok(beforeBackup.length > 20, `only ${beforeBackup.length} ciphertexts before the backup`);
    assert.ok(duringBackup > 0, 'the server answered nothing while the backup was taken');
    t.diagnostic(`${beforeBackup.length} ciphertexts acknowledged before the backup, ${duringBackup} while it ran, ${keys.length} keys`);
    const late = (await kms.send(new CreateKeyCommand({ Description: 'after the backup' }))).KeyMetadata?.KeyId ?? '';

    // The file: private, and without the root key (in any spelling) or the root secret.
    assert.equal(statSync(backupFile).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(work), ['coffer.backup'], 'temporary files left beside the backup');
    const backup = readFileSync(backupFile);
    const rootKey = readFileSync(join(dataDir, 'root.key'));
    assert.equal(rootKey.length, 32);
    for (const spelling of [rootKey, Buffer.from(rootKey.toString('hex')), Buffer.from(rootKey.toString('base64'))]) {
      assert.equal(backup.indexOf(spelling), -1, 'the root key is in the backup');
    }
    assert.equal(backup.indexOf(Buffer.from(first.credentials.secretAccessKey)), -1, 'the root secret is in the backup');

    // Restore refuses a folder holding an installation, and a damaged or cut backup file.
    const intoInstallation = await cli(dataDir, ['backup', 'restore', backupFile, '--data-dir', dataDir]);
    assert.equal(intoInstallation.status, 1);
    assert.match(intoInstallation.stderr, /is not empty \(it holds .*coffer\.db.*\): a backup is restored only into a new or empty folder/);
    const damaged = join(work, 'damaged.backup');
    const flipped = Buffer.from(backup);
    const at = Math.floor(flipped.length / 2);
    flipped[at] = (flipped[at] ?? 0) ^ 0x01;
    writeFileSync(damaged, flipped);
    const fromDamaged = await cli(dataDir, ['backup', 'restore', damaged, '--data-dir', join(work, 'from-damaged')]);
    assert.equal(fromDamaged.status, 1);
    assert.match(fromDamaged.stderr, /damaged\.backup cannot be restored: its checksum does not match its contents/);
    writeFileSync(damaged, backup.subarray(0, backup.length - 100));
    const fromCut = await cli(dataDir, ['backup', 'restore', damaged, '--data-dir', join(work, 'from-damaged')]);
    assert.equal(fromCut.status, 1);
    assert.match(fromCut.stderr, /cannot be restored: it is cut short or damaged/);
    assert.equal(existsSync(join(work, 'from-damaged')), false, 'a refused restore left a folder behind');

    const restore = await cli(dataDir, ['backup', 'restore', backupFile, '--data-dir', restored]);
    assert.equal(restore.status, 0, restore.stderr);
    assert.match(restore.stdout, /integrity_check ok/);
    assert.match(restore.stdout, /copy the root key file root\.key/);
    assert.deepEqual(readdirSync(restored).sort(), ['audit-digests.jsonl', 'audit-public-key.pem', 'coffer.db']);
    assert.equal(statSync(restored).mode & 0o777, 0o700);

    // The restored trail verifies without the seal, before any server ran there.
    const verified = await cli(restored, ['audit', 'verify', '--offline']);
    assert.equal(verified.status, 0, verified.stderr + verified.stdout);
    assert.match(verified.stdout, /Audit trail verified/);

    // The operator brings the seal; a second server serves the restored folder.
    copyFileSync(join(dataDir, 'root.key'), join(restored, 'root.key'));
    second = await startCoffer({ dataDir: restored, backend: 'sqlite' });
    const kms2 = second.client();
    for (let i = 0; i < beforeBackup.length; i += 16) {
      await Promise.all(beforeBackup.slice(i, i + 16).map(async (a) => {
        const d = await kms2.send(new DecryptCommand({ CiphertextBlob: a.blob, EncryptionContext: { w: a.plaintext.split(' ')[1] ?? '' } }));
        assert.equal(bytes(d.Plaintext).toString(), a.plaintext);
        assert.match(d.KeyId ?? '', new RegExp(`key/${a.keyId}$`));
      }));
    }
    await rejectsWith(kms2.send(new DescribeKeyCommand({ KeyId: late })), 'NotFoundException');
    assert.equal(await second.stop(), 0, second.output());
    second = undefined;
    const verifiedAfter = await cli(restored, ['audit', 'verify', '--offline']);
    assert.equal(verifiedAfter.status, 0, verifiedAfter.stderr + verifiedAfter.stdout);

    // With the server stopped, the backup works all the same, and the folder starts again after it.
    assert.equal(await first.stop(), 0, first.output());
    first = undefined;
    const offline = await cli(dataDir, ['backup', 'create', '--out', backupFile]);
    assert.equal(offline.status, 0, offline.stderr);
    first = await startCoffer({ dataDir, backend: 'sqlite' });
    await first.client().send(new DescribeKeyCommand({ KeyId: late }));
  } finally {
    await second?.stop();
    await first?.stop();
    removeDataDir(dataDir);
    removeDataDir(work);
  }
});

test('backup: usage, no installation, and PostgreSQL pointing to pg_dump', { timeout: 60_000 }, async () => {
  const dir = newDataDir();
  try {
    const noOut = await cli(dir, ['backup', 'create']);
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr, /backup create needs --out <file>/);
    const noTarget = await cli(dir, ['backup', 'restore', join(dir, 'x.backup')]);
    assert.equal(noTarget.status, 2);
    assert.match(noTarget.stderr, /backup restore needs --data-dir <new folder>/);
    const nothing = await cli(dir, ['backup', 'create', '--out', join(dir, 'x.backup')]);
    assert.equal(nothing.status, 1);
    assert.match(nothing.stderr, /there is no SQLite installation to back up/);
    const pg = await cli(dir, ['backup', 'create', '--out', join(dir, 'x.backup')], { COFFER_DATABASE_URL: 'postgres://coffer@127.0.0.1:1/coffer' });
    assert.equal(pg.status, 1);
    assert.match(pg.stderr, /PostgreSQL: back it up with pg_dump/);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'not-a-backup'), 'hello\n');
    const notBackup = await cli(dir, ['backup', 'restore', join(dir, 'not-a-backup'), '--data-dir', join(dir, 'sub')]);
    assert.equal(notBackup.status, 1);
    assert.match(notBackup.stderr, /cannot be restored: it is not a Coffer backup file/);
    assert.deepEqual(readdirSync(join(dir, 'sub')), []);
  } finally {
    removeDataDir(dir);
  }
});
