/**
 * The audit trail against someone who can write the database file (issue §3). A real server
 * writes a trail with several signed digests, exports its public key at first start and appends
 * each digest to the data folder's digest log and to COFFER_AUDIT_DIGEST_LOG; then, server
 * stopped, copies of its data folder are forged with better-sqlite3 and `audit verify` must fail,
 * naming what is wrong: (a) the trail re-chained and re-signed with a new key, (b) its tail cut,
 * (c) a CreateUser filed under event_name ListUsers, (d) the database replaced by another
 * installation's. Each forgery of (a) and (b) is first shown to pass the checks of the trail
 * alone (what verify did before). The server refuses to start on a replaced key file, a replaced
 * database and a cut tail, and appends at start a digest a crash kept out of the log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditRowsOf, sqliteDigestsFrom } from '../../src/adapters/audit/sqlite-audit.ts';
import { chainHash, digestHash, GENESIS, signDigest } from '../../src/audit/chain.ts';
import { verifyTrail, type VerifyReport } from '../../src/audit/verify.ts';
import type { AuditAnchor, AuditDigest } from '../../src/ports/audit.ts';
import { newDataDir, REPO_ROOT, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const FORM = 'application/x-www-form-urlencoded; charset=utf-8';
const SECOND_LOG = 'disk2/audit-digests.jsonl';
const ENV = { COFFER_AUDIT_DIGEST_INTERVAL_S: '1', COFFER_AUDIT_FLUSH_MS: '50' };

/** An installation: its data folder and, beside it (the "other disk"), the second digest log. */
interface Install { readonly root: string; readonly data: string; readonly secondLog: string }
const install = (root: string): Install => ({ root, data: join(root, 'data'), secondLog: join(root, SECOND_LOG) });
const envOf = (i: Install): Record<string, string> => ({ ...ENV, COFFER_AUDIT_DIGEST_LOG: i.secondLog });

const made: string[] = [];
let a: Install;
let b: Install;
let firstStartOutput = '';

function fresh(): Install {
  const i = install(newDataDir());
  made.push(i.root);
  mkdirSync(join(i.root, 'disk2'), { recursive: true });
  return i;
}

/** A copy of an installation: the database, its key file and both digest logs. */
function copyOf(src: Install): Install {
  const dst = fresh();
  mkdirSync(dst.data, { mode: 0o700 });
  for (const f of ['coffer.db', 'coffer.db-wal', 'root.key', 'audit-public-key.pem', 'audit-digests.jsonl']) {
    if (existsSync(join(src.data, f))) copyFileSync(join(src.data, f), join(dst.data, f));
  }
  copyFileSync(src.secondLog, dst.secondLog);
  return dst;
}

function verifyCli(i: Install, ...args: string[]) {
  return verifyWithLog(i, i.secondLog, ...args);
}
function verifyWithLog(i: Install, secondLog: string, ...args: string[]) {
  return spawnSync(process.execPath, [...cofferArgs('cli'), 'audit', 'verify', '--offline', ...args], {
    cwd: REPO_ROOT, encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', COFFER_DATA_DIR: i.data, COFFER_AUDIT_DIGEST_LOG: secondLog },
  });
}

/** The stopped server's file, read directly: its digests and its audit signing key. */
const dbDigests = (db: Database.Database): AuditDigest[] => sqliteDigestsFrom(db)(0);
const dbSigningKey = (db: Database.Database): { id: string; publicKey: Buffer } | undefined =>
  db.prepare<[], { id: string; publicKey: Buffer }>('SELECT id, public_key AS publicKey FROM audit_signing_keys ORDER BY created_at DESC LIMIT 1').get();

/** What verify checked before this issue: the trail, its digests and the key table, all from the database. */
function trailAlone(i: Install): VerifyReport {
  const db = new Database(join(i.data, 'coffer.db'), { readonly: true });
  try {
    const key = dbSigningKey(db);
    const anchor = db.prepare<[], { value: string }>("SELECT value FROM audit_state WHERE name = 'anchor'").get();
    return verifyTrail({
      rows: auditRowsOf(db), digests: dbDigests(db), anchor: anchor ? (JSON.parse(anchor.value) as AuditAnchor) : undefined,
      publicKeys: new Map(key ? [[key.id, createPublicKey({ key: key.publicKey, format: 'der', type: 'spki' })]] : []),
    });
  } finally {
    db.close();
  }
}

const withDb = <T>(i: Install, fn: (db: Database.Database) => T): T => {
  const db = new Database(join(i.data, 'coffer.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
};
const digestsOf = (i: Install): AuditDigest[] => withDb(i, dbDigests);
const logLines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

/** Starts a server that must refuse: resolves with its output. */
async function refusedStart(i: Install): Promise<string> {
  let started: Coffer | undefined;
  try {
    started = await startCoffer({ dataDir: i.data, env: envOf(i) });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  await started.stop();
  return assert.fail('the server started');
}

async function writeTrail(coffer: Coffer, user: string): Promise<void> {
  const kms = async (target: string, body: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const r = await coffer.raw({ target, body: JSON.stringify(body) });
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as Record<string, unknown>;
  };
  const iam = async (body: string): Promise<void> => {
    const r = await coffer.raw({ body, service: 'iam', headers: { 'content-type': FORM } });
    assert.equal(r.status, 200, r.body);
  };
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 1_300)); // past COFFER_AUDIT_DIGEST_INTERVAL_S
  const keyId = ((await kms('CreateKey', {})).KeyMetadata as { KeyId: string }).KeyId;
  for (let i = 0; i < 5; i++) await kms('Encrypt', { KeyId: keyId, Plaintext: Buffer.from(`p${i}`).toString('base64') });
  await pause();
  await iam(`Action=CreateUser&Version=2010-05-08&UserName=${user}`);
  await iam('Action=ListUsers&Version=2010-05-08');
  await pause();
  for (let i = 0; i < 4; i++) await kms('DescribeKey', { KeyId: keyId });
  await pause();
  for (let i = 0; i < 3; i++) await kms('ListKeys', {});
}

before(async () => {
  a = fresh();
  const coffer = await startCoffer({ dataDir: a.data, env: envOf(a) });
  firstStartOutput = coffer.output();
  await writeTrail(coffer, 'carol');
  assert.equal(await coffer.stop(), 0);
  b = fresh();
  const other = await startCoffer({ dataDir: b.data, env: envOf(b) });
  await writeTrail(other, 'dave');
  assert.equal(await other.stop(), 0);
});
after(() => { for (const d of made) removeDataDir(d); });

test('first start exports the public key (PEM, 0600); every digest is in both digest logs; verify pins the key and passes', (t) => {
  const pem = join(a.data, 'audit-public-key.pem');
  assert.equal(statSync(pem).mode & 0o777, 0o600);
  assert.ok(firstStartOutput.includes(`Audit public key: ${pem}`));
  const dbKey = withDb(a, dbSigningKey);
  assert.ok(dbKey && createPublicKey(readFileSync(pem)).export({ format: 'der', type: 'spki' }).equals(dbKey.publicKey));
  const digests = digestsOf(a);
  assert.ok(digests.length >= 3, `${digests.length} digests`);
  for (const log of [join(a.data, 'audit-digests.jsonl'), a.secondLog]) {
    assert.equal(statSync(log).mode & 0o777, 0o600);
    assert.deepEqual(logLines(log).map((l) => JSON.parse(l) as AuditDigest), digests, log);
  }
  const ok = verifyCli(a);
  t.diagnostic(ok.stdout);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^Audit trail verified: \d+ records \(records 1\.\.\d+\), \d+ signed digests\.$/m);
  assert.ok(ok.stdout.includes(`Public key: pinned to ${pem}, exported by the server at its first start`));
  assert.ok(ok.stdout.includes(`Digest log ${a.secondLog}: ${digests.length} digests`));
});

test('(a) a trail re-chained and re-signed with a new key fails against the pinned key', (t) => {
  const f = copyOf(a);
  const forger = generateKeyPairSync('ed25519');
  const keyId = randomBytes(32).toString('hex');
  withDb(f, (db) => {
    db.prepare('INSERT INTO audit_signing_keys (id, public_key, domain_key_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(keyId, forger.publicKey.export({ format: 'der', type: 'spki' }), 'forged', randomBytes(60), Date.now() + 60_000);
    // Carol's creation is made to read as someone else's, then every hash and digest is recomputed and signed anew.
    const rows = db.prepare<[], { seq: number; record: string }>('SELECT seq, record FROM audit_records ORDER BY seq').all();
    const hashes = new Map<number, string>();
    let prev = GENESIS;
    const update = db.prepare('UPDATE audit_records SET record = ?, prev_hash = ?, hash = ? WHERE seq = ?');
    for (const r of rows) {
      const record = r.record.replaceAll('"carol"', '"nobody"');
      const hash = chainHash(prev, record);
      update.run(record, prev, hash, r.seq);
      hashes.set(r.seq, hash);
      prev = hash;
    }
    let prevDigest: AuditDigest | undefined;
    const put = db.prepare('UPDATE audit_digests SET last_hash = ?, prev_digest_hash = ?, key_id = ?, signature = ? WHERE seq_to = ?');
    for (const d of dbDigests(db)) {
      const forged = signDigest({ ...d, lastHash: hashes.get(d.seqTo) ?? '', prevDigestHash: prevDigest ? digestHash(prevDigest) : GENESIS, keyId }, forger.privateKey);
      put.run(forged.lastHash, forged.prevDigestHash, keyId, forged.signature, d.seqTo);
      prevDigest = forged;
    }
    db.prepare("UPDATE audit_records SET username = 'nobody' WHERE username = 'carol'").run();
  });
  assert.equal(trailAlone(f).ok, true, 'a complete forgery: the trail and the key table agree');

  const r = verifyCli(f);
  t.diagnostic(r.stderr);
  assert.equal(r.status, 1, r.stdout);
  const first = digestsOf(a)[0] as AuditDigest;
  assert.match(r.stderr, new RegExp(`^Audit trail FAILED verification: the digest of records ${first.seqFrom}\\.\\.${first.seqTo} is not signed by the pinned public key\\.$`, 'm'));
  assert.match(r.stderr, new RegExp(`^First bad record: ${first.seqTo}; kind: digest\\.$`, 'm'));
  assert.ok(r.stderr.includes(`The database's audit signing key (id ${keyId}) is not the pinned key`));

  // The forger also replaced the data folder's key file and digest log: the copies kept elsewhere still catch it.
  const offline = join(f.root, 'offline-copy.pem');
  copyFileSync(join(f.data, 'audit-public-key.pem'), offline);
  writeFileSync(join(f.data, 'audit-public-key.pem'), forger.publicKey.export({ format: 'pem', type: 'spki' }));
  writeFileSync(join(f.data, 'audit-digests.jsonl'), '');
  const pinned = verifyCli(f, '--public-key', offline, '--digest-log', f.secondLog);
  t.diagnostic(pinned.stderr);
  assert.equal(pinned.status, 1);
  assert.match(pinned.stderr, /is not signed by the pinned public key\./);
  const logOnly = verifyCli(f, '--digest-log', f.secondLog); // pinned to the forged file: the other disk's log still differs
  t.diagnostic(logOnly.stderr);
  assert.equal(logOnly.status, 1);
  assert.match(logOnly.stderr, new RegExp(`on line 1 of the digest log ${f.secondLog} is not signed by the pinned public key\\.`));
});

test('(b) a cut tail (the last digest and its records deleted) fails, naming the digests and records missing', async (t) => {
  const f = copyOf(a);
  const digests = digestsOf(f);
  const last = digests.at(-1) as AuditDigest;
  withDb(f, (db) => {
    db.prepare('DELETE FROM audit_records WHERE seq >= ?').run(last.seqFrom);
    db.prepare('DELETE FROM audit_digests WHERE seq_to = ?').run(last.seqTo);
  });
  assert.equal(trailAlone(f).ok, true, 'the trail alone still verifies');
  const n = last.seqTo - last.seqFrom + 1;
  const seqs = n === 1 ? `${last.seqTo}` : `${last.seqFrom}..${last.seqTo}`;
  const r = verifyCli(f);
  t.diagnostic(r.stderr);
  assert.equal(r.status, 1, r.stdout);
  assert.ok(r.stderr.includes(`Audit trail FAILED verification: the trail was cut: the database lacks the last 1 digest of the digest log ${join(f.data, 'audit-digests.jsonl')} ` +
    `(record${n === 1 ? '' : 's'} ${seqs}) and its trail ends at record ${last.seqFrom - 1}, so ${n} record${n === 1 ? '' : 's'} (${seqs}) and 1 signed digest are missing.`), r.stderr);
  assert.match(r.stderr, new RegExp(`^First bad record: ${last.seqFrom}; kind: cut\\.$`, 'm'));
  const second = verifyCli(f, '--digest-log', f.secondLog);
  assert.equal(second.status, 1);
  assert.ok(second.stderr.includes(`the database lacks the last 1 digest of the digest log ${f.secondLog}`));

  const refused = await refusedStart(f);
  t.diagnostic(refused);
  assert.match(refused, new RegExp(`Coffer failed to start: the database has no digest of records ${last.seqFrom}\\.\\.${last.seqTo}, which the digest log .* ends with: the database's tail was cut`));
});

test('(c) a CreateUser whose event_name column says ListUsers fails, naming the record and the column', (t) => {
  const f = copyOf(a);
  const row = withDb(f, (db) => {
    const x = db.prepare<[], { seq: number; event_id: string }>("SELECT seq, event_id FROM audit_records WHERE event_name = 'CreateUser'").get();
    db.prepare("UPDATE audit_records SET event_name = 'ListUsers' WHERE event_name = 'CreateUser'").run();
    return x;
  });
  assert.ok(row);
  const r = verifyCli(f);
  t.diagnostic(r.stderr);
  assert.equal(r.status, 1, r.stdout);
  assert.ok(r.stderr.includes(`Audit trail FAILED verification: record ${row.seq}'s indexed column event_name says "ListUsers" but the record says "CreateUser"`), r.stderr);
  assert.match(r.stderr, new RegExp(`^First bad record: ${row.seq} \\(eventID ${row.event_id}\\); kind: index\\.$`, 'm'));
});

test('(d) the database replaced by another installation\'s fails verification, and the server refuses to start on it', async (t) => {
  const f = copyOf(a);
  copyFileSync(join(b.data, 'coffer.db'), join(f.data, 'coffer.db'));
  const otherKey = withDb(f, dbSigningKey);
  const r = verifyCli(f);
  t.diagnostic(r.stderr);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stderr, /^Audit trail FAILED verification: the digest of records 1\.\.\d+ is not signed by the pinned public key\.$/m);
  assert.ok(r.stderr.includes(`The database's audit signing key (id ${otherKey?.id}) is not the pinned key: the database was replaced`));
  const refused = await refusedStart(f);
  t.diagnostic(refused);
  assert.ok(refused.includes(`Coffer failed to start: the audit public key in ${join(f.data, 'audit-public-key.pem')} is not the key of the database ${join(f.data, 'coffer.db')}, which has another audit signing key (id ${otherKey?.id})`), refused);
});

test('a replaced key file stops the next start and is not overwritten', async () => {
  const f = copyOf(a);
  const pem = join(f.data, 'audit-public-key.pem');
  copyFileSync(join(b.data, 'audit-public-key.pem'), pem);
  const refused = await refusedStart(f);
  assert.match(refused, /the audit public key in .* is not the key of the database .*either the database or that file was replaced/);
  assert.deepEqual(readFileSync(pem), readFileSync(join(b.data, 'audit-public-key.pem')));
});

test('a digest a crash kept out of the logs is appended at the next start, in its place', async () => {
  const f = copyOf(a);
  const local = join(f.data, 'audit-digests.jsonl');
  const whole = logLines(local);
  // The process died between the last digest's commit and its appends.
  writeFileSync(local, whole.slice(0, -1).map((l) => `${l}\n`).join(''));
  writeFileSync(f.secondLog, whole.slice(0, -1).map((l) => `${l}\n`).join(''));
  const coffer = await startCoffer({ dataDir: f.data, env: envOf(f) });
  try {
    assert.deepEqual(logLines(local), whole, 'the missing digest is back, after the others');
    assert.deepEqual(logLines(f.secondLog), whole);
    // One answer first: main.ts prints "listening" just before it installs its SIGTERM handler.
    assert.equal((await fetch(`${coffer.endpoint}/health`)).status, 200);
  } finally {
    assert.equal(await coffer.stop(), 0, coffer.output());
  }
  const r = verifyCli(f);
  assert.equal(r.status, 0, r.stderr);
});

test('without the files outside the database verify says what it could not check; a configured digest log that is gone fails', () => {
  const f = copyOf(a);
  rmSync(join(f.data, 'audit-public-key.pem'));
  rmSync(join(f.data, 'audit-digests.jsonl'));
  const unpinned = verifyWithLog(f, f.secondLog);
  assert.equal(unpinned.status, 0, unpinned.stderr);
  assert.ok(unpinned.stdout.includes(`WARNING: no public key is pinned (no --public-key, no ${join(f.data, 'audit-public-key.pem')})`));
  assert.ok(unpinned.stdout.includes(`No digest log at ${join(f.data, 'audit-digests.jsonl')}: a cut tail would not show`));
  const gone = verifyWithLog(f, join(f.root, 'unmounted', 'audit-digests.jsonl'));
  assert.equal(gone.status, 1);
  assert.ok(gone.stderr.includes(`Audit trail FAILED verification: the digest log ${join(f.root, 'unmounted', 'audit-digests.jsonl')} does not exist.`), gone.stderr);
});
