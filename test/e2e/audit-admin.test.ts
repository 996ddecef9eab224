/**
 * `coffer audit …` through the running server's admin API (operations/coffer/admin-audit.ts) end
 * to end: a real server (SQLite, so the offline path's refusal is the data folder's owner lock).
 * While it runs: `audit export --chain` writes what the offline export writes and its records
 * chain; `audit public-key` is the data folder's audit-public-key.pem; `audit verify` passes (and
 * fails, naming the record, when one is edited in the database); `audit prune` prunes and the
 * trail still verifies; a principal of another account, or an IAM user of the home account without
 * coffer:* permissions, is refused (AccessDeniedException, exit 1); --offline refuses while the
 * server runs and works once it is stopped. On PostgreSQL with two nodes, the API covers both
 * nodes' chains, and prune through one node prunes both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { CreateKeyCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { iamQuery, newDataDir, REGION, removeDataDir, startCoffer, xmlText, type Coffer, type Credentials } from './harness.ts';
import { freshDatabase, postgresSkip, type TestDatabase } from '../support/postgres.ts';
import { cofferArgs } from '../../scripts/server-command.ts';
import { chainHash } from '../../src/audit/chain.ts';

const OTHER = '444455556666';

let coffer: Coffer;
let work: string;

before(async () => {
  // A digest every second, so there is something to prune while the server runs.
  coffer = await startCoffer({ backend: 'sqlite', env: { COFFER_AUDIT_FLUSH_MS: '100', COFFER_AUDIT_DIGEST_INTERVAL_S: '1' } });
  work = mkdtempSync(join(tmpdir(), 'coffer-audit-admin-'));
  const kms = coffer.client();
  const key = (await kms.send(new CreateKeyCommand({ Description: 'audit-admin' }))).KeyMetadata?.KeyId ?? '';
  for (let i = 0; i < 5; i++) await kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from(`p${i}`) }));
});
after(async () => {
  await coffer.stop();
  removeDataDir(coffer.dataDir);
  rmSync(work, { recursive: true, force: true });
});

interface Run { status: number | null; stdout: string; stderr: string }

/** `coffer <args>` in the work folder with `creds` (default: the home account's root), against `server` (default: the SQLite one). */
function coff(args: string[], creds: Credentials = coffer.credentials, server: Coffer = coffer, env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [...cofferArgs('cli'), ...args], {
    cwd: work, encoding: 'utf8', timeout: 120_000,
    env: {
      PATH: process.env.PATH ?? '', HOME: '/nonexistent', AWS_ENDPOINT_URL: server.endpoint, AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, COFFER_DATA_DIR: server.dataDir, ...env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const iam = (creds: Credentials, params: Record<string, string>): Promise<string> => iamQuery(coffer, creds, params);
const xml = xmlText;

interface Line { chain: string; seq: number; prevHash: string; hash: string; record: string }
const linesOf = (file: string): Line[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);

/** The stored records' seqs of the first chain, as the database holds them. */
function storedSeqs(): number[] {
  const db = new Database(join(coffer.dataDir, 'coffer.db'), { readonly: true });
  try {
    return db.prepare<[], { seq: number }>('SELECT seq FROM audit_records ORDER BY seq').all().map((r) => r.seq);
  } finally {
    db.close();
  }
}

const verified = /^Audit trail verified: (\d+) records? \(records (\d+)\.\.(\d+)\)/m;
let onlineExport: Line[] = [];

test('while the server runs: export --chain chains, public-key is the pinned file, verify passes against it and the digest log', async () => {
  const out = join(work, 'trail.jsonl');
  const exp = coff(['audit', 'export', '--chain', '--out', out]);
  assert.equal(exp.status, 0, exp.stderr);
  onlineExport = linesOf(out);
  assert.match(exp.stdout, new RegExp(`^Exported ${onlineExport.length} records to ${out.replaceAll('.', '\\.')}\\.$`, 'm'));
  assert.ok(onlineExport.length >= 6, `${onlineExport.length} records exported (CreateKey, 5 Encrypt)`);
  let prev: Line | undefined;
  for (const l of onlineExport) {
    assert.equal(l.chain, '');
    assert.equal(chainHash(l.prevHash, l.record), l.hash, `record ${l.seq}'s hash`);
    if (prev !== undefined) {
      assert.equal(l.seq, prev.seq + 1);
      assert.equal(l.prevHash, prev.hash, `record ${l.seq} follows record ${prev.seq}`);
    }
    prev = l;
  }
  assert.ok(onlineExport.some((l) => (JSON.parse(l.record) as { eventName?: string }).eventName === 'Encrypt'));
  // The export holds every call answered before it (the first page flushes the group commit).
  assert.deepEqual(onlineExport.map((l) => l.seq), storedSeqs().slice(0, onlineExport.length));
  const plain = coff(['audit', 'export', '--out', join(work, 'plain.jsonl'), '--since', '2000-01-01', '--before', '2000-01-02']);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /^Exported 0 records/);

  const pub = coff(['audit', 'public-key']);
  assert.equal(pub.status, 0, pub.stderr);
  const pem = readFileSync(join(coffer.dataDir, 'audit-public-key.pem'), 'utf8');
  assert.equal(pub.stdout.split('\n').slice(1).join('\n').trim(), pem.trim());
  assert.match(pub.stdout, /^# audit signing key \S+ \(Ed25519\)$/m);
  const written = join(work, 'key.pem');
  assert.equal(coff(['audit', 'public-key', '--out', written]).status, 0);
  assert.equal(readFileSync(written, 'utf8').trim(), pem.trim());

  await sleep(1500); // a digest signed
  const ok = coff(['audit', 'verify', '--public-key', written, '--digest-log', join(coffer.dataDir, 'audit-digests.jsonl'), '--progress']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, verified);
  // --progress (the default on a terminal): each chain's count on standard error, never on standard output.
  const counted = /Read ([\d,]+) records/.exec(ok.stderr);
  assert.ok(counted, `a progress line on stderr: ${ok.stderr}`);
  assert.match(ok.stdout, new RegExp(`Audit trail verified: ${(counted[1] ?? '').replaceAll(',', '')} records`));
  assert.doesNotMatch(ok.stdout, /Read \d/);
  assert.match(ok.stdout, /Public key: pinned to .*key\.pem \(--public-key\)/);
  const unpinned = coff(['audit', 'verify']);
  assert.equal(unpinned.status, 0, unpinned.stderr);
  assert.match(unpinned.stdout, /WARNING: no public key is pinned \(no --public-key\): the digests are checked with the key the server answered/);
  assert.match(unpinned.stdout, /No digest log checked/);
  const wrongKey = join(work, 'wrong.pem');
  const { generateKeyPairSync } = await import('node:crypto');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(wrongKey, generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }));
  const wrong = coff(['audit', 'verify', '--public-key', wrongKey]);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /FAILED verification: the digest of records \d+\.\.\d+ is not signed by the pinned public key/);
});

test('prune while the server runs: records before the date covered by a digest go, the trail still verifies from the anchor', async () => {
  await sleep(1200); // what the last test did is signed too
  const before = storedSeqs();
  const pruned = coff(['audit', 'prune', '--before', new Date(Date.now() - 200).toISOString()]);
  assert.equal(pruned.status, 0, pruned.stderr);
  const m = /^Pruned (\d+) records? \(through record (\d+), the end of a signed digest\); verification starts there\.$/m.exec(pruned.stdout)
    ?? assert.fail(pruned.stdout);
  const [n, through] = [Number(m[1]), Number(m[2])];
  assert.ok(n > 0);
  const after = storedSeqs();
  assert.equal(after[0], through + 1, 'the first kept record follows the anchor');
  assert.equal(n, before.filter((s) => s <= through).length, 'every record through the anchor went, and only those');
  for (const s of before.filter((x) => x > through)) assert.ok(after.includes(s), `record ${s} is kept`);
  const ok = coff(['audit', 'verify', '--public-key', join(coffer.dataDir, 'audit-public-key.pem')]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`, pruned through record ${through}\\.`));
  const again = coff(['audit', 'prune', '--before', '2000-01-01']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /^Nothing pruned: no records covered by a signed digest end before 2000-01-01T00:00:00\.000Z\.$/m);
  assert.equal(coff(['audit', 'prune']).status, 2, 'prune without --before is a usage error');
});

test('refused: an IAM user of the home account without coffer:* permission, another account\'s root; both exit 1 with AccessDeniedException', async () => {
  await iam(coffer.credentials, { Action: 'CreateUser', UserName: 'auditor' });
  const key = await iam(coffer.credentials, { Action: 'CreateAccessKey', UserName: 'auditor' });
  const auditor = { accessKeyId: xml(key, 'AccessKeyId'), secretAccessKey: xml(key, 'SecretAccessKey') };
  const out = join(work, 'denied.jsonl');
  for (const args of [['audit', 'export', '--out', out], ['audit', 'public-key'], ['audit', 'verify'], ['audit', 'prune', '--before', '2030-01-01']]) {
    const r = coff(args, auditor);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr, /^coffer audit \S+: AccessDeniedException: User: arn:aws:iam::111122223333:user\/auditor is not authorized to perform: coffer:(ExportAuditRecords|GetAuditPublicKey|PruneAuditTrail)/m, args.join(' '));
  }
  // Allowed the export only: export works, prune still does not.
  const allow = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'coffer:ExportAuditRecords', Resource: '*' }] });
  await iam(coffer.credentials, { Action: 'PutUserPolicy', UserName: 'auditor', PolicyName: 'export', PolicyDocument: allow });
  assert.equal(coff(['audit', 'export', '--out', out], auditor).status, 0);
  assert.match(coff(['audit', 'prune', '--before', '2030-01-01'], auditor).stderr, /AccessDeniedException: .*coffer:PruneAuditTrail/);

  const made = coff(['accounts', 'create', OTHER, '--out', join(work, 'other.json')]);
  assert.equal(made.status, 0, made.stderr);
  const other = JSON.parse(readFileSync(join(work, 'other.json'), 'utf8')) as Credentials;
  for (const args of [['audit', 'export', '--out', out], ['audit', 'prune', '--before', '2030-01-01']]) {
    const r = coff(args, other);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`AccessDeniedException: User: arn:aws:iam::${OTHER}:root is not authorized to perform: coffer:\\w+: only principals of the home account`));
  }
});

test('verify names the first bad record when one is edited in the database (exit 1), and passes once it is put back', async () => {
  const db = new Database(join(coffer.dataDir, 'coffer.db'));
  try {
    const row = db.prepare<[], { seq: number; record: string; event_id: string }>('SELECT seq, record, event_id FROM audit_records ORDER BY seq LIMIT 1 OFFSET 2').get() ?? assert.fail('no record');
    db.prepare('UPDATE audit_records SET record = ? WHERE seq = ?').run(row.record.replace('"eventName":"', '"eventName":"X'), row.seq);
    const bad = coff(['audit', 'verify']);
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(bad.stderr, new RegExp(`^First bad record: ${row.seq} \\(eventID ${row.event_id}\\); kind: changed\\.$`, 'm'));
    db.prepare('UPDATE audit_records SET record = ? WHERE seq = ?').run(row.record, row.seq);
  } finally {
    db.close();
  }
  assert.equal(coff(['audit', 'verify']).status, 0);
});

test('--offline refuses while the server runs (saying what works), and works with the server stopped', async () => {
  for (const args of [['audit', 'export', '--offline', '--out', join(work, 'x.jsonl')], ['audit', 'public-key', '--offline'], ['audit', 'prune', '--data-dir', coffer.dataDir, '--before', '2030-01-01'], ['audit', 'verify', '--offline']]) {
    const r = coff(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, /in use: a running Coffer server holds its owner lock\. Stop the server.*leave out --offline\/--data-dir/, args.join(' '));
  }
  assert.equal(await coffer.stop(), 0);
  const out = join(work, 'offline.jsonl');
  const exp = coff(['audit', 'export', '--offline', '--chain', '--out', out]);
  assert.equal(exp.status, 0, exp.stderr);
  // The online export wrote what the offline one writes: each of its lines still kept is here as it was.
  const offline = new Map(readFileSync(out, 'utf8').trim().split('\n').map((l) => [(JSON.parse(l) as Line).seq, l]));
  const kept = onlineExport.filter((l) => offline.has(l.seq));
  for (const l of kept) assert.equal(offline.get(l.seq), JSON.stringify(l));
  const ok = coff(['audit', 'verify', '--data-dir', coffer.dataDir, '--progress']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, verified);
  assert.match(ok.stderr, /Read [\d,]+ records/, 'the offline verify reports its progress too');
  const pub = coff(['audit', 'public-key', '--offline']);
  assert.equal(pub.status, 0, pub.stderr);
  assert.equal(pub.stdout.split('\n').slice(1).join('\n').trim(), readFileSync(join(coffer.dataDir, 'audit-public-key.pem'), 'utf8').trim());
  const down = coff(['audit', 'public-key']);
  assert.equal(down.status, 1);
  assert.match(down.stderr, /could not reach http:\/\/127\.0\.0\.1:\d+/);
});

const skip = await postgresSkip();

describe('two nodes on one PostgreSQL database: the API reads and prunes every node\'s chain', { skip }, () => {
  let db: TestDatabase;
  const nodes: Coffer[] = [];
  before(async () => {
    db = await freshDatabase();
    for (const name of ['node-a', 'node-b']) {
      const dataDir = newDataDir();
      if (nodes[0] !== undefined) copyFileSync(join(nodes[0].dataDir, 'root.key'), join(dataDir, 'root.key'));
      nodes.push(await startCoffer({ dataDir, env: { COFFER_DATABASE_URL: db.url, COFFER_NODE_ID: name, COFFER_AUDIT_FLUSH_MS: '100', COFFER_AUDIT_DIGEST_INTERVAL_S: '1' } }));
    }
  });
  after(async () => {
    for (const n of nodes) { await n.stop(); removeDataDir(n.dataDir); }
    await db?.close();
  });

  test('export, verify and prune through node-b cover node-a\'s chain too; --offline on PostgreSQL agrees while both serve', async () => {
    const [a, b] = nodes as [Coffer, Coffer];
    for (const n of [a, b]) {
      const kms = n.client();
      const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
      await kms.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from('x') }));
    }
    const out = join(work, 'pg.jsonl');
    const exp = coff(['audit', 'export', '--chain', '--out', out], b.credentials, b);
    assert.equal(exp.status, 0, exp.stderr);
    const chains = new Set(linesOf(out).map((l) => l.chain));
    assert.deepEqual([...chains].sort(), ['node-a', 'node-b']);

    await sleep(1500); // each node has signed a digest
    const ok = coff(['audit', 'verify'], b.credentials, b);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^Chain 'node-a': Audit trail verified/m);
    assert.match(ok.stdout, /^Chain 'node-b': Audit trail verified/m);

    const pruned = coff(['audit', 'prune', '--before', new Date(Date.now() - 200).toISOString()], b.credentials, b);
    assert.equal(pruned.status, 0, pruned.stderr);
    assert.match(pruned.stdout, /^Chain 'node-a': pruned \d+ records? \(through record \d+/m);
    assert.match(pruned.stdout, /^Chain 'node-b': pruned \d+ records? \(through record \d+/m);
    const after = coff(['audit', 'verify'], a.credentials, a);
    assert.equal(after.status, 0, after.stderr);
    assert.match(after.stdout, /^Chain 'node-a': Audit trail verified: .*, pruned through record \d+\./m);
    const offline = coff(['audit', 'verify', '--offline'], b.credentials, b, { COFFER_DATABASE_URL: db.url });
    assert.equal(offline.status, 0, offline.stderr);
    assert.match(offline.stdout, /^Chain 'node-b': Audit trail verified: .*, pruned through record \d+\./m);
  });
});
