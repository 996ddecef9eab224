/**
 * Several Coffer nodes on one PostgreSQL database (real processes, a real PostgreSQL): the cases
 * of several writers (coherence within the bound, racing writers), a node killed under load while
 * the other keeps answering, kill -9 in the middle of state changes, the scheduler's lease taken
 * over by the survivor with no rotation run twice, and the audit trail of every node's chain.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EnableKeyRotationCommand, EncryptCommand, ListKeyRotationsCommand, ListKeysCommand,
  RotateKeyOnDemandCommand, GenerateDataKeyCommand, SignCommand, type KMSClient,
} from '@aws-sdk/client-kms';
import { newDataDir, REPO_ROOT, removeDataDir, startCoffer, type Coffer, type StartOptions } from './harness.ts';
import { severalWritersCases } from './several-writers.ts';
import { freshDatabase, postgresSkip, type TestDatabase } from '../support/postgres.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const skip = await postgresSkip();

/** Every node started here: whatever a failed test left running is stopped at the end of the file. */
const started: Coffer[] = [];
after(async () => { for (const n of started) await n.kill9(); });

/** Starts a node on `url`; a node after the first gets the first's seal (the same root key). */
async function startNode(url: string, name: string, sealFrom: string | undefined, env: Record<string, string> = {}, dataDir = newDataDir()): Promise<Coffer> {
  if (sealFrom !== undefined && !existsSync(join(dataDir, 'root.key'))) copyFileSync(join(sealFrom, 'root.key'), join(dataDir, 'root.key'));
  const opts: StartOptions = { dataDir, env: { COFFER_DATABASE_URL: url, COFFER_NODE_ID: name, ...env } };
  const node = await startCoffer(opts);
  started.push(node);
  return node;
}

const plaintext = (i: number): Buffer => Buffer.from(`message ${i}`);

describe('two nodes on one PostgreSQL database', { skip }, () => {
  let db: TestDatabase;
  let a: Coffer;
  let b: Coffer;
  const figures: Record<string, number> = {};
  before(async () => {
    db = await freshDatabase();
    a = await startNode(db.url, 'node-a', undefined);
    b = await startNode(db.url, 'node-b', a.dataDir);
  });
  after(async () => {
    console.log(`coherence across nodes (ms): ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Math.round(v)])))}`);
    for (const n of [a, b]) { await n?.stop(); removeDataDir(n.dataDir); }
    await db?.close();
  });

  severalWritersCases(() => ({ writer: a, others: [b] }), (name, ms) => { figures[name] = Math.max(figures[name] ?? 0, ms); });

  test('the hot path reads no database on a warm cache: Encrypt, Decrypt, GenerateDataKey and Sign make no transaction of their own', async () => {
    const c = b.client();
    const sym = (await c.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
    const ecc = (await c.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.KeyId ?? '';
    const blob = (await c.send(new EncryptCommand({ KeyId: sym, Plaintext: plaintext(0) }))).CiphertextBlob;
    const round = async () => {
      await c.send(new EncryptCommand({ KeyId: sym, Plaintext: plaintext(1) }));
      await c.send(new DecryptCommand({ CiphertextBlob: blob }));
      await c.send(new GenerateDataKeyCommand({ KeyId: sym, KeySpec: 'AES_256' }));
      await c.send(new SignCommand({ KeyId: ecc, Message: plaintext(2), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    };
    await round(); // warm: every key, material and policy cached
    // What node b sent its database, from its metrics (PostgreSQL's own statistics reach its views
    // up to 10 s late): statements that answer rows, and the others.
    const statements = async (): Promise<{ read: number; write: number }> => {
      const text = await (await fetch(`${b.endpoint}/metrics`)).text();
      const of = (kind: string) => Number(new RegExp(`^coffer_database_statements_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 'NaN');
      return { read: of('read'), write: of('write') };
    };
    const before = await statements();
    const started = performance.now();
    for (let i = 0; i < 100; i++) await round();
    const seconds = (performance.now() - started) / 1000;
    const after = await statements();
    const reads = after.read - before.read;
    const writes = after.write - before.write;
    // Meanwhile the audit's group commits (at most one every 250 ms, plus one per 128 records: each
    // reads its chain's head) and /health's reachability check (every 2 s) touch the database.
    const commits = Math.ceil(seconds / 0.25) + Math.ceil(400 / 128) + 2;
    const allowedReads = commits + Math.ceil(seconds / 2) + 2;
    console.log(`hot path on PostgreSQL: 400 requests in ${seconds.toFixed(2)} s, ${reads} reads and ${writes} other statements (bounds ${allowedReads} and ${4 * commits})`);
    assert.ok(Number.isFinite(reads) && reads <= allowedReads, `${reads} read statements for 400 requests`);
    assert.ok(writes <= 4 * commits, `${writes} other statements for 400 requests`);
  });

  test('audit verify checks both nodes\' chains; LookupEvents answers every node\'s records newest first', async () => {
    const ka = a.client();
    const kb = b.client();
    const { KeyMetadata } = await ka.send(new CreateKeyCommand({ Description: 'from a' }));
    await kb.send(new DescribeKeyCommand({ KeyId: KeyMetadata?.KeyId }));
    await new Promise((r) => setTimeout(r, 400)); // read-only records are group-committed within 250 ms
    const r = await a.raw({
      service: 'cloudtrail', path: '/',
      headers: { 'x-amz-target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ MaxResults: 50 }),
    });
    assert.equal(r.status, 200, r.body);
    const events = (JSON.parse(r.body) as { Events: { EventName: string; EventTime: number; CloudTrailEvent: string }[] }).Events;
    const times = events.map((e) => e.EventTime);
    assert.deepEqual(times, [...times].sort((x, y) => y - x), 'newest first');
    const describeOnB = events.find((e) => e.EventName === 'DescribeKey' && e.CloudTrailEvent.includes(KeyMetadata?.KeyId ?? '-'));
    assert.ok(describeOnB, 'node b\'s record is found through node a');
  });

  test('kill -9 one node under Encrypt load: the other keeps answering, and every ciphertext returned by either decrypts on the survivor', async () => {
    const victim = await startNode(db.url, 'node-victim', a.dataDir);
    const { KeyMetadata } = await a.client().send(new CreateKeyCommand({}));
    const keyId = KeyMetadata?.KeyId ?? '';
    const acknowledged: { blob: Uint8Array; i: number }[] = [];
    let survivorErrors = 0;
    let stop = false;
    let n = 0;
    const load = async (c: KMSClient, survivor: boolean): Promise<void> => {
      while (!stop) {
        const i = n++;
        try {
          const r = await c.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext(i) }));
          if (r.CiphertextBlob) acknowledged.push({ blob: r.CiphertextBlob, i });
        } catch {
          if (survivor) survivorErrors++;
          else await new Promise((res) => setTimeout(res, 20));
        }
      }
    };
    const survivors = [a.client(), a.client()];
    const victims = [victim.client(), victim.client()];
    const running = [...survivors.map((c) => load(c, true)), ...victims.map((c) => load(c, false))];
    await new Promise((r) => setTimeout(r, 1_000));
    const before = acknowledged.length;
    await victim.kill9();
    await new Promise((r) => setTimeout(r, 1_000));
    stop = true;
    await Promise.all(running);
    assert.equal(survivorErrors, 0, 'the survivor answered every request');
    assert.ok(acknowledged.length > before, 'the survivor kept answering after the kill');
    const check = a.client();
    for (const { blob, i } of acknowledged) {
      const { Plaintext } = await check.send(new DecryptCommand({ CiphertextBlob: blob }));
      assert.deepEqual(Buffer.from(Plaintext ?? []), plaintext(i));
    }
    removeDataDir(victim.dataDir);
  });

  test('kill -9 in the middle of rotations, key creations and IAM changes: after a restart each is whole or absent', async () => {
    const iamCall = async (node: Coffer, params: Record<string, string>): Promise<number> => {
      const body = new URLSearchParams({ ...params, Version: '2010-05-08' }).toString();
      return (await node.raw({ service: 'iam', region: 'us-east-1', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status;
    };
    for (let round = 0; round < 3; round++) {
      const node = await startNode(db.url, 'node-crash', a.dataDir);
      const c = node.client();
      const { KeyMetadata } = await c.send(new CreateKeyCommand({}));
      const keyId = KeyMetadata?.KeyId ?? '';
      let rotations = 0;
      const created: string[] = [];
      const users: string[] = [];
      let stop = false;
      const rotate = async () => { while (!stop) { try { await c.send(new RotateKeyOnDemandCommand({ KeyId: keyId })); rotations++; } catch { return; } } };
      const create = async () => { while (!stop) { try { created.push((await c.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.KeyId ?? ''); } catch { return; } } };
      const iam = async () => {
        for (let i = 0; !stop; i++) {
          const name = `crash-${round}-${i}`;
          try {
            if (await iamCall(node, { Action: 'CreateUser', UserName: name }) !== 200) return;
            users.push(name);
          } catch { return; }
        }
      };
      const running = [rotate(), create(), iam()];
      await new Promise((r) => setTimeout(r, 300 + round * 200));
      await node.kill9();
      stop = true;
      await Promise.all(running);
      // Every acknowledged change is there, whole, read through another node.
      const check = b.client();
      const listed = ((await check.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? []).length;
      assert.ok(listed === rotations || listed === rotations + 1, `rotations: ${listed} listed, ${rotations} acknowledged (one more may have committed unanswered)`);
      const blob = (await check.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext(round) }))).CiphertextBlob;
      assert.deepEqual(Buffer.from((await check.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []), plaintext(round), 'the current version has its material');
      for (const id of created) assert.equal((await check.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata?.KeyState, 'Enabled');
      for (const name of users) assert.equal(await iamCall(b, { Action: 'GetUser', UserName: name }), 200);
      // A key that exists has its material: every key the account lists can be described (and is whole).
      const keys = (await check.send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? [];
      for (const k of keys) assert.ok((await check.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata);
      // The same node starts again on its folder and serves.
      const again = await startNode(db.url, 'node-crash', a.dataDir, {}, node.dataDir);
      await again.client().send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext(round) }));
      await again.stop();
      removeDataDir(node.dataDir);
    }
    const r = spawnSync(process.execPath, [...cofferArgs('cli'), 'audit', 'verify', '--offline'], {
      cwd: REPO_ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', COFFER_DATA_DIR: a.dataDir, COFFER_DATABASE_URL: db.url },
    });
    assert.equal(r.status, 0, `audit verify after the kills:\n${r.stdout}${r.stderr}`);
  });
});

describe('the scheduler on two nodes: one runs it, the survivor takes over, no rotation runs twice', { skip }, () => {
  let db: TestDatabase;
  const env = { COFFER_TEST_MODE: 'true', COFFER_SCHEDULER_INTERVAL_MS: '300' };
  after(async () => { await db?.close(); });

  test('the lease holder rotates a due key once; killed, its lease passes to the other within the lease time', async () => {
    db = await freshDatabase();
    const d = await startNode(db.url, 'node-d', undefined, env);
    await new Promise((r) => setTimeout(r, 500)); // d's first passes take the lease
    const e = await startNode(db.url, 'node-e', d.dataDir, env);
    const kd = d.client();
    const ke = e.client();
    const { KeyMetadata } = await kd.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata?.KeyId ?? '';
    await kd.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }));
    const rotations = async (c: KMSClient) => ((await c.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? []).length;

    // Both nodes' clocks pass the rotation date, e's first: only the lease holder (d) rotates, once.
    const byE = await e.advanceClock(91 * 86_400);
    assert.equal(byE.rotated, 0, 'the node without the lease rotates nothing');
    await d.advanceClock(91 * 86_400);
    await new Promise((r) => setTimeout(r, 1_000)); // both nodes' own passes run meanwhile too
    await e.advanceClock(0);
    await d.advanceClock(0);
    assert.equal(await rotations(ke), 1, 'one rotation, though both nodes found the key due');
    assert.equal(await rotations(kd), 1);

    await d.kill9();
    const killed = performance.now();
    await e.advanceClock(91 * 86_400); // due again on e's clock
    // e's own passes (every 300 ms) or these clock calls run the due work once e holds the lease.
    let taken = 0;
    for (;;) {
      await e.advanceClock(0);
      if (await rotations(ke) >= 2) { taken = performance.now() - killed; break; }
      assert.ok(performance.now() - killed < 20_000, 'the survivor took the lease over');
      await new Promise((res) => setTimeout(res, 200));
    }
    console.log(`scheduler lease taken over ${Math.round(taken)} ms after the holder was killed (lease 2 x interval + 5 s = 5.6 s)`);
    assert.ok(taken < 5_600 + 2_000, `takeover took ${Math.round(taken)} ms`);
    assert.equal(await rotations(ke), 2, 'one more rotation, by the survivor, not two');
    assert.equal((await e.advanceClock(0)).rotated, 0);
    await e.stop();
    removeDataDir(d.dataDir);
    removeDataDir(e.dataDir);
  });
});
