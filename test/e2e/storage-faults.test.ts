/**
 * Storage faults, driven through a real server: a full disk (SQLite's page cap, through the
 * test-mode endpoint), damaged records, a damaged page, a damaged index and a cut write-ahead log.
 * The audit trail fails closed (or open, when the operator chose so), /health says why, the server
 * recovers by itself, shutdown completes whatever fails, and no fault is ever a client error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openSync, readSync, closeSync, statSync, truncateSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, PutKeyPolicyCommand, type KMSClient,
} from '@aws-sdk/client-kms';
import { newDataDir, REPO_ROOT, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const health = async (c: Coffer): Promise<{ status: number; body: { status: string; problems?: string[] } }> => {
  const r = await fetch(`${c.endpoint}/health`);
  return { status: r.status, body: (await r.json()) as { status: string; problems?: string[] } };
};

const limitStorage = async (c: Coffer, maxPageCount: number | null): Promise<void> => {
  const r = await fetch(`${c.endpoint}/_coffer/test/storage`, { method: 'POST', body: JSON.stringify({ maxPageCount }) });
  assert.equal(r.status, 200);
};

/** Polls until `check` holds (the server recovers on its own timers). */
async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not happen within ${ms} ms`);
}

const errorOf = async (p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> => {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  return { name: 'none', message: '', status: 200 };
};

const verifyTrail = (dataDir: string): { status: number | null; out: string } => {
  const r = spawnSync(process.execPath, [...cofferArgs('cli'), 'audit', 'verify', '--offline'], {
    cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', COFFER_DATA_DIR: dataDir }, encoding: 'utf8',
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

const eventCount = (dataDir: string, name: string): number => {
  const db = new Database(`${dataDir}/coffer.db`, { readonly: true });
  try {
    return db.prepare<[string], number>('SELECT count(*) FROM audit_records WHERE event_name = ?').pluck().get(name) ?? 0;
  } finally {
    db.close();
  }
};

/** Encrypts until a call is refused (or `max` calls); returns how many succeeded and the refusal. */
async function encryptUntilRefused(kms: KMSClient, keyId: string, max: number): Promise<{ ok: number; refusal: Awaited<ReturnType<typeof errorOf>> | undefined }> {
  let ok = 0;
  for (let i = 0; i < max; i++) {
    const e = await errorOf(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })));
    if (e.name !== 'none') return { ok, refusal: e };
    ok++;
  }
  return { ok, refusal: undefined };
}

test('a full disk: reads go on while records queue; at the bound calls are refused with a retryable error and /health says why; the server recovers by itself, nothing queued is lost, and the trail verifies', { timeout: 120_000 }, async () => {
  const coffer = await startCoffer({ env: { COFFER_TEST_MODE: 'true', COFFER_AUDIT_QUEUE_MAX_RECORDS: '200', COFFER_AUDIT_QUEUE_MAX_S: '600' } });
  try {
    const kms = coffer.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata?.KeyId as string;
    await limitStorage(coffer, 1); // the database may not grow by a page: SQLITE_FULL, as on a full disk
    const early = await encryptUntilRefused(kms, keyId, 80); // records that no longer fit in the database's free space
    assert.equal(early.refusal, undefined);
    const created = await errorOf(kms.send(new CreateKeyCommand({ Description: 'while full' })));
    assert.equal(created.name, 'KMSInternalException', 'a change that cannot be stored (with the records before it) is an internal error');
    assert.equal(created.status, 500);
    const rest = await encryptUntilRefused(kms, keyId, 400);
    const ok = early.ok + rest.ok;
    const refusal = rest.refusal;
    assert.ok(ok > 100 && ok <= 200, `reads were served until the queue was full (${ok})`);
    assert.equal(refusal?.name, 'KMSInternalException');
    assert.equal(refusal?.status, 500, 'a 5xx: the SDKs retry it');
    assert.match(refusal?.message ?? '', /audit trail/);
    const h = await health(coffer);
    assert.equal(h.status, 503);
    assert.match((h.body.problems ?? []).join('\n'), /audit trail cannot be written .*SQLITE_FULL.*new calls are refused/);
    assert.match((h.body.problems ?? []).join('\n'), /storage writes fail .*SQLITE_FULL/);
    // IAM answers its own internal error while refusing.
    const iam = await coffer.raw({ service: 'iam', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListUsers&Version=2010-05-08' });
    assert.equal(iam.status, 500);
    assert.match(iam.body, /<Code>ServiceFailure<\/Code><Message>Coffer cannot write its audit trail/);

    await limitStorage(coffer, null); // the disk has room again
    await eventually('/health back to 200', async () => (await health(coffer)).status === 200);
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
    await kms.send(new CreateKeyCommand({ Description: 'after' }));
    assert.equal(await coffer.stop(), 0);
    assert.ok(eventCount(coffer.dataDir, 'Encrypt') >= ok + 1, 'every Encrypt answered during the outage has its record');
    const v = verifyTrail(coffer.dataDir);
    assert.equal(v.status, 0, v.out);
  } finally {
    await coffer.stop();
    removeDataDir(coffer.dataDir);
  }
});

test('COFFER_AUDIT_ON_FAILURE=continue: calls are served through a full disk; the records that did not fit are counted in one AuditRecordsDropped record, and the trail verifies', { timeout: 120_000 }, async () => {
  const coffer = await startCoffer({
    env: { COFFER_TEST_MODE: 'true', COFFER_AUDIT_ON_FAILURE: 'continue', COFFER_AUDIT_QUEUE_MAX_RECORDS: '100', COFFER_AUDIT_QUEUE_MAX_S: '600' },
  });
  try {
    const kms = coffer.client();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    await limitStorage(coffer, 1);
    const { ok, refusal } = await encryptUntilRefused(kms, keyId, 250);
    assert.equal(refusal, undefined, 'nothing refused');
    assert.equal(ok, 250);
    assert.equal((await health(coffer)).status, 503, 'the operator still sees that the trail is not written');
    await limitStorage(coffer, null);
    await eventually('/health back to 200', async () => (await health(coffer)).status === 200);
    await coffer.stop();
    const db = new Database(`${coffer.dataDir}/coffer.db`, { readonly: true });
    const gap = db.prepare<[], string>("SELECT record FROM audit_records WHERE event_name = 'AuditRecordsDropped'").pluck().all();
    db.close();
    assert.equal(gap.length, 1);
    const dropped = (JSON.parse(gap[0] as string) as { serviceEventDetails: { droppedRecords: number } }).serviceEventDetails.droppedRecords;
    assert.ok(dropped >= 150 && dropped <= 250 - 1, `the gap counts the dropped records (${dropped})`);
    assert.equal(verifyTrail(coffer.dataDir).status, 0);
  } finally {
    await coffer.stop();
    removeDataDir(coffer.dataDir);
  }
});

test('SIGTERM with a full disk: shutdown completes (exit 1, saying what it could not write); what was acknowledged is there after a restart', { timeout: 120_000 }, async () => {
  const dataDir = newDataDir();
  try {
    const first = await startCoffer({ dataDir, env: { COFFER_TEST_MODE: 'true' } });
    const kms = first.client();
    const arn = (await kms.send(new CreateKeyCommand({ Description: 'kept' }))).KeyMetadata?.Arn as string;
    const blob = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('kept') }))).CiphertextBlob;
    await limitStorage(first, 1);
    for (let i = 0; i < 50; i++) await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x') }));
    const code = await first.stop();
    assert.equal(code, 1, first.output());
    assert.match(first.output(), /shutdown: writing the audit trail failed/);
    const second = await startCoffer({ dataDir });
    try {
      const k2 = second.client();
      assert.equal((await k2.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata?.Description, 'kept');
      assert.equal(Buffer.from((await k2.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString(), 'kept');
    } finally {
      await second.stop();
    }
  } finally {
    removeDataDir(dataDir);
  }
});

test('damaged key records are internal errors (500, logged with their cause), never client errors; other keys are served', { timeout: 120_000 }, async () => {
  const dataDir = newDataDir();
  try {
    const first = await startCoffer({ dataDir });
    const kms = first.client();
    const [a, b, c] = await Promise.all([0, 1, 2].map(async () => (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string));
    await first.stop();
    const db = new Database(`${dataDir}/coffer.db`);
    // A policy garbled in place (its JSON still valid), and a record cut short.
    const doc = JSON.parse(db.prepare<[string], string>('SELECT doc FROM keys WHERE arn = ?').pluck().get(a as string) as string) as { policy: string };
    doc.policy = doc.policy.replace('"Statement"', '"Stat\u0007ment"');
    db.prepare('UPDATE keys SET doc = ? WHERE arn = ?').run(JSON.stringify(doc), a);
    db.prepare("UPDATE keys SET doc = substr(doc, 1, 40) WHERE arn = ?").run(b);
    db.close();

    const second = await startCoffer({ dataDir, env: { COFFER_LOG_LEVEL: 'error' } });
    try {
      const k2 = second.client();
      for (const [what, p] of [
        ['Encrypt with the garbled policy', k2.send(new EncryptCommand({ KeyId: a, Plaintext: Buffer.from('x') }))],
        ['PutKeyPolicy (its repair)', k2.send(new PutKeyPolicyCommand({ KeyId: a, PolicyName: 'default', Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }))],
        ['DescribeKey of the cut record', k2.send(new DescribeKeyCommand({ KeyId: b }))],
      ] as const) {
        const e = await errorOf(p);
        assert.equal(e.name, 'KMSInternalException', what);
        assert.equal(e.status, 500, what);
      }
      assert.ok((await k2.send(new EncryptCommand({ KeyId: c, Plaintext: Buffer.from('x') }))).CiphertextBlob, 'the other keys are served');
      assert.equal((await health(second)).status, 200, 'one damaged record does not take the server out');
    } finally {
      await second.stop();
    }
    assert.match(second.output(), /"name":"StorageFault","message":"a stored resource policy no longer parses[^\n]*"msg":"unexpected error"/);
    assert.match(second.output(), /"message":"a stored key record does not parse[^\n]*"msg":"unexpected error"/);
  } finally {
    removeDataDir(dataDir);
  }
});

/** Overwrites the middle page of a table or index (found with SQLite's dbstat) with random bytes. */
function damagePage(file: string, name: string): void {
  const db = new Database(file, { readonly: true });
  const pages = db.prepare<[string], number>('SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno').pluck().all(name);
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  db.close();
  const page = pages[Math.floor(pages.length / 2)] as number;
  const fd = openSync(file, 'r+');
  writeSync(fd, randomBytes(pageSize), 0, pageSize, (page - 1) * pageSize);
  closeSync(fd);
}

test('a damaged page of the keys table or of an index stops start-up with a clear message', { timeout: 120_000 }, async () => {
  for (const table of ['keys', 'keys_by_id']) {
    const dataDir = newDataDir();
    try {
      const first = await startCoffer({ dataDir });
      const kms = first.client();
      for (let i = 0; i < 40; i++) await kms.send(new CreateKeyCommand({ Description: 'd'.repeat(2000) }));
      await first.stop();
      damagePage(`${dataDir}/coffer.db`, table);
      const r = spawnSync(process.execPath, cofferArgs('main'), {
        cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', COFFER_DATA_DIR: dataDir, COFFER_PORT: '0', COFFER_ROOT_ACCESS_KEY_ID: 'AKIATESTROOT0000001', COFFER_ROOT_SECRET_ACCESS_KEY: 'test-secret-key-0123456789abcdefghijklmnop' },
      });
      assert.equal(r.status, 1, `${table}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /coffer\.db is damaged \(SQLite quick_check: .+\)\. Coffer will not serve from it: restore the data folder from a backup/, table);
    } finally {
      removeDataDir(dataDir);
    }
  }
});

test('an index whose entries no longer match its table: Decrypt answers KMSInternalException (not InvalidCiphertextException) and logs why; COFFER_STORAGE_INTEGRITY_CHECK=full refuses to start on it', { timeout: 120_000 }, async () => {
  const dataDir = newDataDir();
  try {
    const first = await startCoffer({ dataDir });
    const kms = first.client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const blob = (await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.Arn, Plaintext: Buffer.from('x') }))).CiphertextBlob;
    await first.stop();
    // Change one character of the key id inside the key-id index's page: still a well-formed page.
    const file = `${dataDir}/coffer.db`;
    const db = new Database(file, { readonly: true });
    const page = db.prepare<[], number>("SELECT pageno FROM dbstat WHERE name = 'keys_by_id'").pluck().get() as number;
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    db.close();
    const fd = openSync(file, 'r+');
    const buf = Buffer.alloc(pageSize);
    readSync(fd, buf, 0, pageSize, (page - 1) * pageSize);
    const at = buf.indexOf(Buffer.from(KeyMetadata?.KeyId as string));
    assert.ok(at > 0, 'the key id is in the index page');
    buf[at + 35] = buf[at + 35] === 0x30 ? 0x31 : 0x30;
    writeSync(fd, buf, 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);

    const second = await startCoffer({ dataDir, env: { COFFER_LOG_LEVEL: 'error' } }); // quick_check does not compare indexes with tables
    try {
      const e = await errorOf(second.client().send(new DecryptCommand({ CiphertextBlob: blob })));
      assert.equal(e.name, 'KMSInternalException');
    } finally {
      await second.stop();
    }
    assert.match(second.output(), /missing from the key-id index: the database is damaged/);
    const r = spawnSync(process.execPath, cofferArgs('main'), {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000,
      env: { PATH: process.env.PATH ?? '', COFFER_DATA_DIR: dataDir, COFFER_PORT: '0', COFFER_STORAGE_INTEGRITY_CHECK: 'full', COFFER_ROOT_ACCESS_KEY_ID: 'AKIATESTROOT0000001', COFFER_ROOT_SECRET_ACCESS_KEY: 'test-secret-key-0123456789abcdefghijklmnop' },
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /coffer\.db is damaged \(SQLite integrity_check: .*missing from index keys_by_id/);
  } finally {
    removeDataDir(dataDir);
  }
});

test('a write-ahead log cut short after a crash is reported at start-up', { timeout: 120_000 }, async () => {
  const dataDir = newDataDir();
  try {
    const first = await startCoffer({ dataDir });
    const kms = first.client();
    for (let i = 0; i < 5; i++) await kms.send(new CreateKeyCommand({}));
    await first.kill9();
    const wal = `${dataDir}/coffer.db-wal`;
    const size = statSync(wal).size;
    assert.ok(size > 5000, `the crash left a WAL (${size} bytes)`);
    truncateSync(wal, size - 100);
    const second = await startCoffer({ dataDir });
    await second.stop();
    assert.match(second.output(), /"problem":"the WAL ends inside a frame[^\n]*changes acknowledged after them may be lost","msg":"write-ahead log"/);
  } finally {
    removeDataDir(dataDir);
  }
});
