/**
 * A state change and its audit record commit together: kill -9 in the middle of CreateKey (a
 * symmetric key, an RSA key pair made before the transaction), ImportKeyMaterial, ReplicateKey and
 * IAM CreateUser load, five times over, and the database never holds a key, a material, a replica
 * or a user without the successful call's record, nor such a record without its state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { CreateKeyCommand, ReplicateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { newDataDir, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { importMaterial } from './byok.ts';

const ROUNDS = 5;

/** Runs `step` over and over until `stop()`; failures (the server being killed) end the loop. */
async function loop(stop: () => boolean, step: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  while (!stop()) {
    try {
      await step(done);
      done++;
    } catch {
      if (stop()) break;
    }
  }
  return done;
}

function load(coffer: Coffer, kms: KMSClient, round: number, stop: () => boolean): Promise<number>[] {
  return [
    // Many symmetric CreateKeys at once keep the server inside their commits most of the time.
    ...Array.from({ length: 8 }, () => loop(stop, () => kms.send(new CreateKeyCommand({ Description: 'symmetric' })))),
    loop(stop, () => kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))),
    loop(stop, async () => {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
      await importMaterial(kms, KeyMetadata?.KeyId as string, randomBytes(32));
    }),
    loop(stop, async () => {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ MultiRegion: true }));
      await kms.send(new ReplicateKeyCommand({ KeyId: KeyMetadata?.KeyId, ReplicaRegion: 'us-west-2' }));
    }),
    loop(stop, (i) => coffer.raw({
      service: 'iam', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Action=CreateUser&Version=2010-05-08&UserName=u${round}x${i}`,
    })),
  ];
}

interface Row { record: string }

/** What is stored without its record, and what is recorded without its state. */
function orphans(dataDir: string): string[] {
  const db = new Database(`${dataDir}/coffer.db`, { readonly: true });
  try {
    const ok = (name: string): string[] =>
      db.prepare<[string], Row>("SELECT record FROM audit_records WHERE event_name = ? AND record NOT LIKE '%\"errorCode\"%'").all(name).map((r) => r.record);
    const created = ok('CreateKey').join('\n');
    const replicated = ok('ReplicateKey').join('\n');
    const imported = ok('ImportKeyMaterial').join('\n');
    const users = ok('CreateUser').join('\n');
    const problems: string[] = [];
    const keys = db.prepare<[], { arn: string; region: string; doc: string }>('SELECT arn, region, doc FROM keys').all();
    for (const k of keys) {
      const isReplica = k.region === 'us-west-2';
      if (!(isReplica ? replicated : created).includes(k.arn)) problems.push(`key ${k.arn} has no ${isReplica ? 'ReplicateKey' : 'CreateKey'} record`);
    }
    const external = db.prepare<[], { key_arn: string }>(
      "SELECT DISTINCT m.key_arn FROM key_materials m JOIN keys k ON k.arn = m.key_arn WHERE json_extract(k.doc, '$.origin') = 'EXTERNAL'").all();
    for (const m of external) if (!imported.includes(m.key_arn)) problems.push(`imported material of ${m.key_arn} has no ImportKeyMaterial record`);
    const names = db.prepare<[], { name: string }>("SELECT json_extract(doc, '$.name') AS name FROM iam_users WHERE name_lc LIKE 'u%x%'").all();
    for (const u of names) if (!users.includes(`"userName":"${u.name}"`)) problems.push(`user ${u.name} has no CreateUser record`);
    // And the other way: every successful CreateKey / CreateUser record's state exists.
    const arns = new Set(keys.map((k) => k.arn));
    for (const r of ok('CreateKey')) {
      const arn = /"arn":"(arn:aws:kms:[^"]+)"/.exec(r)?.[1];
      if (arn !== undefined && !arns.has(arn)) problems.push(`CreateKey record of ${arn} without the key`);
    }
    const userNames = new Set(names.map((u) => u.name));
    for (const r of ok('CreateUser')) {
      const name = /"userName":"(u\d+x\d+)"/.exec(r)?.[1];
      if (name !== undefined && !userNames.has(name)) problems.push(`CreateUser record of ${name} without the user`);
    }
    return problems;
  } finally {
    db.close();
  }
}

test('kill -9 under CreateKey, ImportKeyMaterial, ReplicateKey and CreateUser load never leaves a change without its record', { timeout: 240_000 }, async () => {
  const dataDir = newDataDir();
  try {
    let totals = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const coffer = await startCoffer({ dataDir });
      const kms = coffer.client();
      let stopped = false;
      const workers = load(coffer, kms, round, () => stopped);
      await new Promise((r) => setTimeout(r, 600 + round * 250));
      await coffer.kill9();
      stopped = true;
      totals += (await Promise.all(workers)).reduce((a, b) => a + b, 0);
      assert.deepEqual(orphans(dataDir), [], `round ${round}`);
    }
    assert.ok(totals > ROUNDS * 5, `the load ran (${totals} calls answered)`);
    // And the installation still starts and verifies its trail afterwards.
    const last = await startCoffer({ dataDir });
    await last.stop();
    assert.deepEqual(orphans(dataDir), []);
  } finally {
    removeDataDir(dataDir);
  }
});
