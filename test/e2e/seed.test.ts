/**
 * COFFER_SEED_FILE end to end: a seed with an extra account, users with fixed access keys, keys
 * with fixed ids (symmetric with fixed material, RSA and ECC with fixed PEM private keys, HMAC with
 * fixed bytes), aliases, a key policy, tags and a grant is applied at start; the seeded user works
 * with its fixed keys; the same material in a fresh data folder decrypts the first one's
 * ciphertext; a second start with the same file changes nothing (keys, audit records); a changed
 * file updates what it names; a different material or a malformed file stops start-up with the
 * file, the line and the field, and no secret.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateMacCommand, GetKeyPolicyCommand, GetPublicKeyCommand, ListAliasesCommand,
  ListGrantsCommand, ListKeysCommand, ListResourceTagsCommand, SignCommand,
} from '@aws-sdk/client-kms';
import { bytes, newDataDir, removeDataDir, startCoffer, type Coffer, type Credentials } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'coffer-seed-'));
const dirs: string[] = [];
after(() => { rmSync(dir, { recursive: true, force: true }); for (const d of dirs) removeDataDir(d); });

const OTHER = '444455556666';
const APP: Credentials = { accessKeyId: 'AKIASEEDAPP000000001', secretAccessKey: 'seed-app-secret-do-not-echo-0000000000001' };
const OTHER_ROOT: Credentials = { accessKeyId: 'AKIASEEDROOT00000002', secretAccessKey: 'seed-root-secret-do-not-echo-00000000002' };
const OPS: Credentials = { accessKeyId: 'AKIASEEDOPS000000003', secretAccessKey: 'seed-ops-secret-do-not-echo-0000000000003' };
const SYM = '0b0e0a1c-1111-4aaa-8bbb-000000000001';
const RSA = '0b0e0a1c-1111-4aaa-8bbb-000000000002';
const ECC = '0b0e0a1c-1111-4aaa-8bbb-000000000003';
const HMAC = '0b0e0a1c-1111-4aaa-8bbb-000000000004';
const FOREIGN = '0b0e0a1c-1111-4aaa-8bbb-000000000005';
const symMaterial = randomBytes(32);
const hmacMaterial = randomBytes(32);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ecc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: typeof rsa.privateKey): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();
const indent = (text: string, n: number): string => text.trim().split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n');
const KEY_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
});

function seedYaml(o: { description?: string; tags?: string; enabled?: boolean; symMaterial?: Buffer } = {}): string {
  return `# a repeatable test environment
accounts:
  - id: "${OTHER}"
    rootAccessKeyId: ${OTHER_ROOT.accessKeyId}
    rootSecretAccessKey: ${OTHER_ROOT.secretAccessKey}
policies:
  - account: "${OTHER}"
    name: kms-read
    document:
      Version: "2012-10-17"
      Statement:
        - { Effect: Allow, Action: ["kms:DescribeKey", "kms:ListKeys"], Resource: "*" }
users:
  - name: app
    accessKeys:
      - accessKeyId: ${APP.accessKeyId}
        secretAccessKey: ${APP.secretAccessKey}
    inlinePolicies:
      - name: use-kms
        document:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: "kms:*"
              Resource: "*"
  - account: "${OTHER}"
    name: ops
    accessKeys:
      - { accessKeyId: ${OPS.accessKeyId}, secretAccessKey: ${OPS.secretAccessKey} }
    attachedPolicies: [kms-read]
keys:
  - keyId: ${SYM}
    description: ${o.description ?? 'orders data key'}
    enabled: ${o.enabled ?? true}
    material: ${(o.symMaterial ?? symMaterial).toString('base64')}
    policy: '${KEY_POLICY}'
    tags: { team: orders${o.tags ?? ''} }
    aliases: [alias/orders, alias/orders-v1]
    grants:
      - name: app-decrypt
        granteePrincipal: arn:aws:iam::111122223333:user/app
        operations: [Decrypt, Encrypt]
        constraints:
          encryptionContextSubset: { app: orders }
  - keyId: ${RSA}
    keySpec: RSA_2048
    keyUsage: SIGN_VERIFY
    material: |
${indent(pem(rsa.privateKey), 6)}
  - keyId: ${ECC}
    keySpec: ECC_NIST_P256
    keyUsage: SIGN_VERIFY
    aliases: [alias/signer]
    material: |
${indent(pem(ecc.privateKey), 6)}
  - keyId: ${HMAC}
    keySpec: HMAC_256
    keyUsage: GENERATE_VERIFY_MAC
    material: ${hmacMaterial.toString('base64')}
  - keyId: ${FOREIGN}
    account: "${OTHER}"
    description: the other account's key
`;
}

let n = 0;
function seedFile(text: string, ext = 'yaml'): string {
  const f = join(dir, `seed-${++n}.${ext}`);
  writeFileSync(f, text);
  return f;
}

async function start(file: string, dataDir?: string): Promise<Coffer> {
  const c = await startCoffer({ env: { COFFER_SEED_FILE: file, COFFER_AUDIT_FLUSH_MS: '50' }, ...(dataDir !== undefined ? { dataDir } : {}) });
  dirs.push(c.dataDir);
  return c;
}

/** The records of state changes of the caller's account in us-east-1 (LookupEvents, every page). */
async function changeRecords(c: Coffer, credentials?: Credentials): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let token: string | undefined;
  do {
    const r = await c.raw({
      service: 'cloudtrail', ...(credentials !== undefined ? { credentials } : {}),
      headers: { 'x-amz-target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents' },
      body: JSON.stringify({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }], MaxResults: 50, ...(token !== undefined ? { NextToken: token } : {}) }),
    });
    assert.equal(r.status, 200, r.body);
    const page = JSON.parse(r.body) as { Events?: { CloudTrailEvent: string }[]; NextToken?: string };
    for (const e of page.Events ?? []) out.push(JSON.parse(e.CloudTrailEvent) as Record<string, unknown>);
    token = page.NextToken;
  } while (token !== undefined);
  return out;
}
const bySeed = (records: Record<string, unknown>[]) => records.filter((r) => (r.userIdentity as { invokedBy?: string }).invokedBy === 'coffer-seed');

test('a seed is applied at start, once; a changed seed updates what it names; its material is fixed', async () => {
  const file = seedFile(seedYaml());
  const a = await start(file);
  let blob: Buffer;
  let firstRecords: number;
  let keyIds: string[];
  try {
    assert.match(a.output(), /Seed .*seed-1\.yaml: \d+ changes applied/);
    const app = a.client('us-east-1', APP);
    // The seeded user signs with its fixed keys; the alias names the fixed key id.
    const enc = await app.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: Buffer.from('hello seed'), EncryptionContext: { app: 'orders' } }));
    assert.equal(enc.KeyId, `arn:aws:kms:us-east-1:111122223333:key/${SYM}`);
    blob = bytes(enc.CiphertextBlob);
    const d = await app.send(new DescribeKeyCommand({ KeyId: SYM }));
    assert.equal(d.KeyMetadata?.Description, 'orders data key');
    assert.equal(d.KeyMetadata?.KeyState, 'Enabled');
    assert.deepEqual(JSON.parse((await app.send(new GetKeyPolicyCommand({ KeyId: SYM, PolicyName: 'default' }))).Policy ?? ''), JSON.parse(KEY_POLICY));
    assert.deepEqual((await app.send(new ListResourceTagsCommand({ KeyId: SYM }))).Tags, [{ TagKey: 'team', TagValue: 'orders' }]);
    const aliases = (await app.send(new ListAliasesCommand({ KeyId: SYM }))).Aliases?.map((x) => x.AliasName).sort();
    assert.deepEqual(aliases, ['alias/orders', 'alias/orders-v1']);
    const grants = (await app.send(new ListGrantsCommand({ KeyId: SYM }))).Grants ?? [];
    assert.equal(grants.length, 1);
    assert.equal(grants[0]?.Name, 'app-decrypt');
    assert.deepEqual(grants[0]?.Constraints, { EncryptionContextSubset: { app: 'orders' } });
    // Fixed HMAC material: the MAC is the one computed here.
    const mac = await app.send(new GenerateMacCommand({ KeyId: HMAC, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from('message') }));
    assert.deepEqual(bytes(mac.Mac), createHmac('sha256', hmacMaterial).update('message').digest());
    // Fixed key pairs: the public keys are the ones of the PEM private keys.
    for (const [id, key] of [[RSA, rsa], [ECC, ecc]] as const) {
      const pub = await app.send(new GetPublicKeyCommand({ KeyId: id }));
      assert.deepEqual(bytes(pub.PublicKey), createPublicKey(key.privateKey).export({ type: 'spki', format: 'der' }));
    }
    await app.send(new SignCommand({ KeyId: 'alias/signer', Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' }));
    // The other account: its root's and its user's fixed keys; the user's attached managed policy.
    const foreign = await a.client('us-east-1', OPS).send(new DescribeKeyCommand({ KeyId: FOREIGN }));
    assert.equal(foreign.KeyMetadata?.Arn, `arn:aws:kms:us-east-1:${OTHER}:key/${FOREIGN}`);
    await assert.rejects(a.client('us-east-1', OPS).send(new EncryptCommand({ KeyId: FOREIGN, Plaintext: Buffer.from('x') })), { name: 'AccessDeniedException' });
    await a.client('us-east-1', OTHER_ROOT).send(new EncryptCommand({ KeyId: FOREIGN, Plaintext: Buffer.from('x') }));

    const records = await changeRecords(a);
    const seeded = bySeed(records);
    assert.ok(seeded.length >= 10, `the seed's changes are recorded (${seeded.length})`);
    const create = seeded.find((r) => r.eventName === 'CreateKey' && JSON.stringify(r.resources).includes(SYM));
    assert.equal((create?.userIdentity as { type?: string }).type, 'AWSService');
    assert.equal(create?.eventType, 'AwsServiceEvent');
    assert.equal(create?.eventSource, 'kms.amazonaws.com');
    assert.ok(seeded.some((r) => r.eventName === 'CreateAccessKey' && r.eventSource === 'iam.amazonaws.com'));
    const trail = JSON.stringify(records);
    for (const secret of [APP.secretAccessKey, OTHER_ROOT.secretAccessKey, symMaterial.toString('base64'), hmacMaterial.toString('base64')]) {
      assert.ok(!trail.includes(secret), 'no secret or material in the audit trail');
    }
    firstRecords = records.length;
    keyIds = ((await a.client().send(new ListKeysCommand({}))).Keys ?? []).map((k) => k.KeyId ?? '').sort();
    assert.deepEqual(keyIds, [SYM, RSA, ECC, HMAC].sort());
  } finally {
    await a.stop();
  }

  // The same file again: nothing changes, nothing is recorded.
  const again = await start(file, a.dataDir);
  try {
    assert.match(again.output(), /nothing to change/);
    assert.equal((await changeRecords(again)).length, firstRecords);
    assert.deepEqual(((await again.client().send(new ListKeysCommand({}))).Keys ?? []).map((k) => k.KeyId ?? '').sort(), keyIds);
  } finally {
    await again.stop();
  }

  // A changed file: a new description, one more tag, the key disabled; three changes, each recorded.
  const changed = await start(seedFile(seedYaml({ description: 'orders data key, v2', tags: ', stage: test', enabled: false })), a.dataDir);
  try {
    assert.match(changed.output(), /3 changes applied/);
    const app = changed.client('us-east-1', APP);
    const d = await app.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    assert.equal(d.KeyMetadata?.Description, 'orders data key, v2');
    assert.equal(d.KeyMetadata?.KeyState, 'Disabled');
    const tags = (await app.send(new ListResourceTagsCommand({ KeyId: SYM }))).Tags ?? [];
    assert.deepEqual(tags.map((t) => `${t.TagKey}=${t.TagValue}`).sort(), ['stage=test', 'team=orders']);
    const names = bySeed(await changeRecords(changed)).slice(0, 3).map((r) => r.eventName).sort();
    assert.deepEqual(names, ['DisableKey', 'TagResource', 'UpdateKeyDescription']);
    await assert.rejects(app.send(new EncryptCommand({ KeyId: SYM, Plaintext: Buffer.from('x') })), { name: 'DisabledException' });
  } finally {
    await changed.stop();
  }

  // Other material for the existing key id stops start-up, naming the line and the field, never the material.
  const other = randomBytes(32);
  const bad = seedFile(seedYaml({ symMaterial: other }));
  const refused = await startCoffer({ dataDir: a.dataDir, env: { COFFER_SEED_FILE: bad } }).then(() => undefined, (e: unknown) => e as Error);
  assert.ok(refused instanceof Error, 'start-up stops');
  assert.match(refused.message, /COFFER_SEED_FILE .*seed-\d+\.yaml line \d+: keys\[0\] material differs/);
  assert.ok(!refused.message.includes(other.toString('base64')));

  // The same seed in a fresh data folder: the same material decrypts the first server's ciphertext.
  const fresh = await start(file, newDataDir());
  try {
    const p = await fresh.client('us-east-1', APP).send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { app: 'orders' } }));
    assert.equal(Buffer.from(p.Plaintext ?? new Uint8Array()).toString(), 'hello seed');
  } finally {
    await fresh.stop();
  }
});

test('a malformed seed stops start-up with the file, the line and the field, and no secret', async () => {
  const text = `users:
  - name: app
    accessKeys:
      - accessKeyId: AKIASEEDBAD000000001
        secretAccessKey: "bad secret with spaces do-not-echo"
keys:
  - keyId: 0b0e0a1c-1111-4aaa-8bbb-000000000009
    keySpec: RSA_1024
`;
  const file = seedFile(text);
  const dataDir = newDataDir();
  dirs.push(dataDir);
  const e = await startCoffer({ dataDir, env: { COFFER_SEED_FILE: file } }).then(() => undefined, (x: unknown) => x as Error);
  assert.ok(e instanceof Error);
  assert.match(e.message, /COFFER_SEED_FILE .*seed-\d+\.yaml line 5: users\[0\]\.accessKeys\[0\]\.secretAccessKey must be printable ASCII without spaces/);
  assert.ok(!e.message.includes('do-not-echo'));
  const spec = seedFile(text.replace('"bad secret with spaces do-not-echo"', 'fine-secret-0000000000000000000001'));
  const e2 = await startCoffer({ dataDir, env: { COFFER_SEED_FILE: spec } }).then(() => undefined, (x: unknown) => x as Error);
  assert.match(e2?.message ?? '', /line 8: keys\[0\]\.keySpec must be one of RSA_2048, .*got 'RSA_1024'/);
});
