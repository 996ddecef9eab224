/**
 * The admin command on PostgreSQL, with real processes: `migrate-storage` copies a SQLite
 * installation (keys of three kinds with a rotation, an alias, a grant, IAM users with access keys,
 * an inline and a managed policy, a group, the audit trail) into an empty database, a server on the
 * same data folder then serves it all from PostgreSQL and `audit verify` passes there; a second
 * copy into the same database is refused. Then `accounts create`/`accounts list` and `audit verify`
 * (naming a record changed in the database) on PostgreSQL. Skipped without PostgreSQL, never in CI
 * (test/support/postgres.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freshDatabase, postgresSkip } from '../support/postgres.ts';
import { ACCOUNT_ID, REPO_ROOT, newDataDir, removeDataDir, startCoffer, type Coffer, type Credentials } from './harness.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const skip = await postgresSkip() ?? false;
const FORM = 'application/x-www-form-urlencoded; charset=utf-8';
const OTHER = '444455556666';

/** The admin command on `dataDir`, on `databaseUrl` when given. */
function cli(dataDir: string, args: readonly string[], databaseUrl?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...cofferArgs('cli'), ...args], {
    cwd: REPO_ROOT, encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', COFFER_DATA_DIR: dataDir, ...(databaseUrl !== undefined ? { COFFER_DATABASE_URL: databaseUrl } : {}) },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A KMS call (JSON); returns the answer's status and parsed body. */
async function kms(coffer: Coffer, target: string, body: Record<string, unknown>, credentials?: Credentials): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await coffer.raw({ target, body: JSON.stringify(body), ...(credentials ? { credentials } : {}) });
  return { status: r.status, json: JSON.parse(r.body === '' ? '{}' : r.body) as Record<string, unknown> };
}
async function kmsOk(coffer: Coffer, target: string, body: Record<string, unknown>, credentials?: Credentials): Promise<Record<string, unknown>> {
  const r = await kms(coffer, target, body, credentials);
  assert.equal(r.status, 200, `${target}: ${JSON.stringify(r.json)}`);
  return r.json;
}
async function iam(coffer: Coffer, body: string): Promise<string> {
  const r = await coffer.raw({ body: `Version=2010-05-08&${body}`, service: 'iam', headers: { 'content-type': FORM } });
  assert.equal(r.status, 200, r.body);
  return r.body;
}
const xml = (text: string, tag: string): string => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1] ?? '';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const userArn = (name: string): string => `arn:aws:iam::${ACCOUNT_ID}:user/${name}`;

test('migrate-storage: a SQLite installation serves from PostgreSQL after the copy, its trail verifies, a second copy is refused', { skip, timeout: 180_000 }, async () => {
  const dataDir = newDataDir();
  const db = await freshDatabase();
  let coffer: Coffer | undefined;
  try {
    coffer = await startCoffer({ dataDir, backend: 'sqlite', env: { COFFER_TEST_MODE: 'true', COFFER_AUDIT_DIGEST_INTERVAL_S: '1' } });
    const c = coffer;
    const keyIdOf = (r: Record<string, unknown>): string => (r.KeyMetadata as { KeyId: string }).KeyId;
    const sym = keyIdOf(await kmsOk(c, 'CreateKey', {}));
    const rsa = keyIdOf(await kmsOk(c, 'CreateKey', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }));
    const hmac = keyIdOf(await kmsOk(c, 'CreateKey', { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }));
    const before = (await kmsOk(c, 'Encrypt', { KeyId: sym, Plaintext: b64('before the rotation'), EncryptionContext: { app: 'm' } })).CiphertextBlob;
    await kmsOk(c, 'RotateKeyOnDemand', { KeyId: sym });
    const after = (await kmsOk(c, 'Encrypt', { KeyId: sym, Plaintext: b64('after the rotation') })).CiphertextBlob;
    await kmsOk(c, 'CreateAlias', { AliasName: 'alias/migrated', TargetKeyId: sym });
    const signature = (await kmsOk(c, 'Sign', { KeyId: rsa, Message: b64('signed'), SigningAlgorithm: 'RSASSA_PSS_SHA_256' })).Signature;
    const mac = (await kmsOk(c, 'GenerateMac', { KeyId: hmac, Message: b64('maced'), MacAlgorithm: 'HMAC_SHA_256' })).Mac;

    // alice: an inline policy allowing KMS; bob: a managed policy (DescribeKey) by his group, and a grant to decrypt.
    await iam(c, 'Action=CreateUser&UserName=alice');
    await iam(c, 'Action=CreateUser&UserName=bob');
    const allowAll = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] });
    await iam(c, `Action=PutUserPolicy&UserName=alice&PolicyName=all&PolicyDocument=${encodeURIComponent(allowAll)}`);
    const describe = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*' }] });
    const policyArn = xml(await iam(c, `Action=CreatePolicy&PolicyName=describe&PolicyDocument=${encodeURIComponent(describe)}`), 'Arn');
    await iam(c, 'Action=CreateGroup&GroupName=readers');
    await iam(c, 'Action=AddUserToGroup&GroupName=readers&UserName=bob');
    await iam(c, `Action=AttachGroupPolicy&GroupName=readers&PolicyArn=${encodeURIComponent(policyArn)}`);
    const keyOf = (body: string): Credentials => ({ accessKeyId: xml(body, 'AccessKeyId'), secretAccessKey: xml(body, 'SecretAccessKey') });
    const alice = keyOf(await iam(c, 'Action=CreateAccessKey&UserName=alice'));
    const bob = keyOf(await iam(c, 'Action=CreateAccessKey&UserName=bob'));
    const grantId = (await kmsOk(c, 'CreateGrant', { KeyId: sym, GranteePrincipal: userArn('bob'), Operations: ['Decrypt'] })).GrantId;
    // Before the copy as after it: bob decrypts by the grant, describes by the group's policy, and may do nothing else.
    await kmsOk(c, 'Decrypt', { CiphertextBlob: after }, bob);
    assert.equal((await kms(c, 'Encrypt', { KeyId: sym, Plaintext: b64('x') }, bob)).status, 400);
    // An HSM cluster (CloudHSMv2 control plane).
    const hsmCall = async (cf: Coffer, target: string, body: unknown) => {
      const r = await cf.raw({ service: 'cloudhsm', body: JSON.stringify(body), headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `BaldrApiService.${target}` } });
      assert.equal(r.status, 200, r.body);
      return JSON.parse(r.body) as { Cluster?: { ClusterId: string }; Clusters?: { ClusterId: string }[] };
    };
    const clusterId = (await hsmCall(c, 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d'] })).Cluster?.ClusterId;
    assert.equal(await c.stop(), 0);
    coffer = undefined;

    const password = new URL(db.url).password;
    const migrated = cli(dataDir, ['migrate-storage', '--to', db.url]);
    assert.equal(migrated.status, 0, migrated.stdout + migrated.stderr);
    console.log(migrated.stdout);
    assert.match(migrated.stdout, /Copied 3 keys with 4 key materials, 1 alias, 1 grant, /);
    assert.match(migrated.stdout, /Copied 1 account, 2 IAM users, 0 roles, 1 group, 1 group membership, 1 inline policy, 1 managed policy, 1 policy attachment, 2 access keys, 0 unexpired STS sessions\./);
    assert.match(migrated.stdout, /Copied 1 audit signing key\./);
    assert.match(migrated.stdout, /Copied 1 HSM cluster, 0 custom key stores\./);
    assert.match(migrated.stdout, /Copied audit chain '' as 'main': \d+ records, [1-9]\d* signed digests?\./);
    if (password !== '') assert.ok(!(migrated.stdout + migrated.stderr).includes(password), 'the database password is not printed');
    assert.ok(existsSync(join(dataDir, 'audit-digests.main.jsonl')), 'the first chain\'s digest log under its PostgreSQL name');
    assert.equal(readFileSync(join(dataDir, 'audit-digests.main.jsonl'), 'utf8'), readFileSync(join(dataDir, 'audit-digests.jsonl'), 'utf8'));

    // The SQLite database moved aside: what the server serves now can only come from PostgreSQL.
    const sqliteFile = join(dataDir, 'coffer.db');
    renameSync(sqliteFile, `${sqliteFile}.migrated`);
    coffer = await startCoffer({ dataDir, env: { COFFER_DATABASE_URL: db.url, COFFER_TEST_MODE: 'true' } });
    const p = coffer;
    const plain = async (blob: unknown, context?: Record<string, string>, creds?: Credentials): Promise<string> =>
      Buffer.from(String((await kmsOk(p, 'Decrypt', { CiphertextBlob: blob, ...(context ? { EncryptionContext: context } : {}) }, creds)).Plaintext), 'base64').toString();
    assert.equal(await plain(before, { app: 'm' }), 'before the rotation');
    assert.equal(await plain(after), 'after the rotation');
    assert.equal((await kmsOk(p, 'Verify', { KeyId: rsa, Message: b64('signed'), Signature: signature, SigningAlgorithm: 'RSASSA_PSS_SHA_256' })).SignatureValid, true);
    assert.equal((await kms(p, 'Verify', { KeyId: rsa, Message: b64('not signed'), Signature: signature, SigningAlgorithm: 'RSASSA_PSS_SHA_256' })).status, 400);
    assert.equal((await kmsOk(p, 'VerifyMac', { KeyId: hmac, Message: b64('maced'), Mac: mac, MacAlgorithm: 'HMAC_SHA_256' })).MacValid, true);
    const viaAlias = await kmsOk(p, 'Encrypt', { KeyId: 'alias/migrated', Plaintext: b64('by alias') }, alice);
    assert.match(String(viaAlias.KeyId), new RegExp(`${sym}$`));
    assert.equal(await plain(viaAlias.CiphertextBlob, undefined, alice), 'by alias');
    const grants = (await kmsOk(p, 'ListGrants', { KeyId: sym })).Grants as { GrantId: string }[];
    assert.deepEqual(grants.map((g) => g.GrantId), [grantId]);
    assert.equal(await plain(before, { app: 'm' }, bob), 'before the rotation', 'the grant lets bob decrypt');
    await kmsOk(p, 'DescribeKey', { KeyId: sym }, bob);
    assert.equal((await kms(p, 'Encrypt', { KeyId: sym, Plaintext: b64('x') }, bob)).status, 400, 'bob may still do nothing else');
    const rotations = (await kmsOk(p, 'ListKeyRotations', { KeyId: sym })).Rotations as unknown[];
    assert.equal(rotations.length, 1);
    assert.deepEqual((await hsmCall(p, 'DescribeClusters', {})).Clusters?.map((x) => x.ClusterId), [clusterId]);
    assert.equal(await p.stop(), 0);
    coffer = undefined;

    const verified = cli(dataDir, ['audit', 'verify', '--offline'], db.url);
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /Chain 'main': Audit trail verified: \d+ records/);
    assert.doesNotMatch(verified.stdout, /No digest log at .*audit-digests\.main\.jsonl/);

    renameSync(`${sqliteFile}.migrated`, sqliteFile);
    const again = cli(dataDir, ['migrate-storage', '--to', db.url]);
    assert.equal(again.status, 1, again.stdout + again.stderr);
    assert.match(again.stderr, /is not empty \(it holds 3 keys\).*nothing was written/);
  } finally {
    await coffer?.stop();
    removeDataDir(dataDir);
    await db.close();
  }
});

test('accounts create and accounts list on PostgreSQL, while a server serves it', { skip, timeout: 120_000 }, async () => {
  const dataDir = newDataDir();
  const db = await freshDatabase();
  const coffer = await startCoffer({ dataDir, env: { COFFER_DATABASE_URL: db.url } });
  try {
    const made = cli(dataDir, ['accounts', 'create', '--offline', OTHER], db.url);
    assert.equal(made.status, 0, made.stderr);
    const file = join(dataDir, 'accounts', OTHER, 'root-credentials.json');
    assert.match(made.stdout, new RegExp(`Root credentials \\(account ${OTHER}\\): ${file}`));
    const creds = JSON.parse(readFileSync(file, 'utf8')) as Credentials;
    assert.ok(!made.stdout.includes(creds.secretAccessKey));
    // The running server knows the account at once.
    const made2 = await kms(coffer, 'CreateKey', {}, creds);
    assert.equal(made2.status, 200, JSON.stringify(made2.json));
    assert.match(String((made2.json.KeyMetadata as { Arn: string }).Arn), new RegExp(`:${OTHER}:key/`));
    const listed = cli(dataDir, ['accounts', 'list', '--offline'], db.url);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${ACCOUNT_ID}  0 users, 0 roles  \\(default account`, 'm'));
    assert.match(listed.stdout, new RegExp(`^${OTHER}  0 users, 0 roles  \\(root credentials: ${file}\\)`, 'm'));
    const twice = cli(dataDir, ['accounts', 'create', '--offline', OTHER], db.url);
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /exists already/);
    // On SQLite the data folder has no such account: the command used PostgreSQL.
    assert.equal(await coffer.stop(), 0);
    const onSqlite = cli(dataDir, ['accounts', 'list', '--offline']);
    assert.equal(onSqlite.status, 0, onSqlite.stderr);
    assert.doesNotMatch(onSqlite.stdout, new RegExp(OTHER));
  } finally {
    await coffer.stop();
    removeDataDir(dataDir);
    await db.close();
  }
});

test('audit verify on PostgreSQL passes, then names the record changed in the database', { skip, timeout: 120_000 }, async () => {
  const dataDir = newDataDir();
  const db = await freshDatabase();
  const coffer = await startCoffer({ dataDir, env: { COFFER_DATABASE_URL: db.url, COFFER_AUDIT_DIGEST_INTERVAL_S: '1' } });
  const client = new pg.Client({ connectionString: db.url });
  try {
    const keyId = ((await kmsOk(coffer, 'CreateKey', {})).KeyMetadata as { KeyId: string }).KeyId;
    for (let i = 0; i < 5; i++) await kmsOk(coffer, 'Encrypt', { KeyId: keyId, Plaintext: b64(`p${i}`) });
    assert.equal(await coffer.stop(), 0);
    const ok = cli(dataDir, ['audit', 'verify', '--offline'], db.url);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /Audit trail verified: \d+ records/);

    await client.connect();
    const row = (await client.query<{ chain: string; seq: string; event_id: string }>(
      "SELECT chain, seq, event_id FROM audit_records WHERE event_name = 'Encrypt' ORDER BY seq LIMIT 1 OFFSET 2")).rows[0];
    assert.ok(row, 'an Encrypt record');
    const n = await client.query("UPDATE audit_records SET record = replace(record, '\"Encrypt\"', '\"Decrypt\"') WHERE chain = $1 AND seq = $2", [row.chain, row.seq]);
    assert.equal(n.rowCount, 1);
    const bad = cli(dataDir, ['audit', 'verify', '--offline'], db.url);
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /Audit trail FAILED verification/);
    assert.match(bad.stderr, new RegExp(`First bad record: ${row.seq} \\(eventID ${row.event_id}\\)`));

    const exported = join(dataDir, 'trail.jsonl');
    const exp = cli(dataDir, ['audit', 'export', '--offline', '--out', exported, '--chain'], db.url);
    assert.equal(exp.status, 0, exp.stderr);
    const lines = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { chain: string; seq: number });
    assert.ok(lines.length >= 6 && lines.every((l) => l.chain === row.chain), 'every record, with its chain');
  } finally {
    await client.end().catch(() => undefined);
    await coffer.stop();
    removeDataDir(dataDir);
    await db.close();
  }
});
