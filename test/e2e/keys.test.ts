/**
 * End-to-end tests of the key-management operations: key life cycle, aliases, tags, key policies
 * and last-usage tracking, through the AWS SDK against a real Coffer process. One server serves
 * the whole file; every test makes its own keys and aliases, so the tests do not depend on order.
 * Expected wording comes from the reference (§1.3, §3) and the AWS-recorded snapshot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  CancelKeyDeletionCommand, CreateAliasCommand, CreateKeyCommand, DecryptCommand, DeleteAliasCommand, DescribeKeyCommand,
  DisableKeyCommand, EnableKeyCommand, EncryptCommand, GenerateDataKeyCommand, GetKeyLastUsageCommand, GetKeyPolicyCommand,
  ListAliasesCommand, ListKeyPoliciesCommand, ListKeysCommand, ListResourceTagsCommand, PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand, TagResourceCommand, UntagResourceCommand, UpdateAliasCommand, UpdateKeyDescriptionCommand,
  type AliasListEntry, type CreateKeyCommandInput, type KeyMetadata, type KeySpec, type KeyUsageType, type KMSClient,
  type Tag,
} from '@aws-sdk/client-kms';
import { ACCOUNT_ID, REGION, rejectsWith, serverForFile, type Coffer } from './harness.ts';

const DAY_MS = 86_400_000;
/** Slack for comparing server timestamps with the test's clock (same machine; wire has ms precision). */
const SLACK_MS = 2_000;
const KEY_ARN = /^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let coffer: Coffer;
let kms: KMSClient;

serverForFile({}, (c) => { coffer = c; kms = c.client(); });

// ---------------------------------------------------------------------------------------------
// Helpers

interface NewKey { readonly id: string; readonly arn: string; readonly meta: KeyMetadata }

const arnOf = (keyId: string): string => `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/${keyId}`;
const aliasArnOf = (name: string): string => `arn:aws:kms:${REGION}:${ACCOUNT_ID}:${name}`;
const uniqueAlias = (prefix = 'e2e'): string => `alias/${prefix}-${randomUUID()}`;

async function newKey(input: CreateKeyCommandInput = {}): Promise<NewKey> {
  const { KeyMetadata: meta } = await kms.send(new CreateKeyCommand(input));
  assert.ok(meta?.KeyId !== undefined && meta.Arn !== undefined, 'CreateKey returned KeyMetadata with KeyId and Arn');
  return { id: meta.KeyId, arn: meta.Arn, meta };
}

async function describe(keyId: string): Promise<KeyMetadata> {
  const { KeyMetadata: meta } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
  assert.ok(meta);
  return meta;
}

async function encrypt(keyId: string, text = 'secret'): Promise<{ blob: Uint8Array; keyId: string | undefined; requestId: string | undefined }> {
  const r = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }));
  assert.ok(r.CiphertextBlob);
  return { blob: r.CiphertextBlob, keyId: r.KeyId, requestId: r.$metadata.requestId };
}

async function tagsOf(keyId: string): Promise<Tag[]> {
  return (await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags ?? [];
}

async function aliasesOf(keyId: string): Promise<AliasListEntry[]> {
  return (await kms.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases ?? [];
}

async function allKeyIds(): Promise<string[]> {
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListKeysCommand(marker === undefined ? { Limit: 1000 } : { Limit: 1000, Marker: marker }));
    for (const k of page.Keys ?? []) ids.push(k.KeyId as string);
    marker = page.NextMarker;
  } while (marker !== undefined);
  return ids;
}

function assertNear(actual: Date | undefined, lo: number, hi: number, what: string): void {
  assert.ok(actual instanceof Date, `${what} is a Date`);
  const t = actual.getTime();
  assert.ok(t >= lo - SLACK_MS && t <= hi + SLACK_MS, `${what} ${actual.toISOString()} not within [${new Date(lo).toISOString()}, ${new Date(hi).toISOString()}]`);
}

/** Paths of every null inside a parsed JSON value. */
function nullPaths(v: unknown, path = '$'): string[] {
  if (v === null) return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => nullPaths(x, `${path}[${i}]`));
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => nullPaths(x, `${path}.${k}`));
  return [];
}

/** A syntactically valid policy document of exactly `bytes` bytes (padded inside the Sid). */
function policyOfSize(bytes: number): string {
  const make = (sid: string): string => JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: sid, Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: 'kms:*', Resource: '*' }],
  });
  const base = Buffer.byteLength(make(''), 'utf8');
  const doc = make('x'.repeat(bytes - base));
  assert.equal(Buffer.byteLength(doc, 'utf8'), bytes);
  return doc;
}

const DEFAULT_POLICY = {
  Version: '2012-10-17',
  Id: 'key-default-1',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
};

const CUSTOM_POLICY = `{
  "Version": "2012-10-17",
    "Id":"custom-1",
  "Statement": [ {"Sid":"Admins","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::${ACCOUNT_ID}:root"]},
     "Action":["kms:*"],"Resource":"*"} ]
}
`;

// ---------------------------------------------------------------------------------------------
// CreateKey

test('CreateKey with no input makes an enabled symmetric customer key with AWS defaults', async () => {
  const before = Date.now();
  const { id, arn, meta } = await newKey();
  const afterCall = Date.now();
  assert.match(arn, KEY_ARN);
  assert.equal(arn, arnOf(id));
  assert.equal(meta.AWSAccountId, ACCOUNT_ID);
  assert.equal(meta.KeySpec, 'SYMMETRIC_DEFAULT');
  assert.equal(meta.CustomerMasterKeySpec, 'SYMMETRIC_DEFAULT');
  assert.equal(meta.KeyUsage, 'ENCRYPT_DECRYPT');
  assert.equal(meta.KeyState, 'Enabled');
  assert.equal(meta.Enabled, true);
  assert.equal(meta.Origin, 'AWS_KMS');
  assert.equal(meta.KeyManager, 'CUSTOMER');
  assert.equal(meta.MultiRegion, false);
  assert.equal(meta.Description, '');
  assert.deepEqual(meta.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
  assert.match(meta.CurrentKeyMaterialId ?? '', /^[0-9a-f]{64}$/);
  assertNear(meta.CreationDate, before, afterCall, 'CreationDate');
  // The recorded AWS shape of a symmetric key, member for member: nothing more (no DeletionDate,
  // no SigningAlgorithms, no MultiRegionConfiguration), nothing less.
  assert.deepEqual(Object.keys(meta).sort(), [
    'AWSAccountId', 'Arn', 'CreationDate', 'CurrentKeyMaterialId', 'CustomerMasterKeySpec', 'Description', 'Enabled',
    'EncryptionAlgorithms', 'KeyId', 'KeyManager', 'KeySpec', 'KeyState', 'KeyUsage', 'MultiRegion', 'Origin',
  ]);
  // Two keys never share an id or a key material id.
  const other = await newKey();
  assert.notEqual(other.id, id);
  assert.notEqual(other.meta.CurrentKeyMaterialId, meta.CurrentKeyMaterialId);
});

test('CreateKey stores Description, Tags and Policy (the policy verbatim)', async () => {
  const tags = [{ TagKey: 'team', TagValue: 'payments' }, { TagKey: 'empty', TagValue: '' }, { TagKey: 'Team', TagValue: 'case-sensitive' }];
  const { id, meta } = await newKey({ Description: 'orders key', Tags: tags, Policy: CUSTOM_POLICY, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
  assert.equal(meta.Description, 'orders key');
  assert.equal((await describe(id)).Description, 'orders key');
  const listed = await tagsOf(id);
  assert.deepEqual(
    [...listed].sort((a, b) => (a.TagKey ?? '').localeCompare(b.TagKey ?? '')),
    [...tags].sort((a, b) => a.TagKey.localeCompare(b.TagKey)),
  );
  const policy = await kms.send(new GetKeyPolicyCommand({ KeyId: id }));
  assert.equal(policy.Policy, CUSTOM_POLICY);
  assert.equal(policy.PolicyName, 'default');
});

test('CreateKey with the deprecated CustomerMasterKeySpec alone behaves like KeySpec', async () => {
  const { meta } = await newKey({ CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT' });
  assert.equal(meta.KeySpec, 'SYMMETRIC_DEFAULT');
  assert.equal(meta.CustomerMasterKeySpec, 'SYMMETRIC_DEFAULT');
  assert.equal(meta.KeyUsage, 'ENCRYPT_DECRYPT');
});

test('CreateKey without Policy attaches the default key policy (account root, kms:*)', async () => {
  const { id } = await newKey();
  const { Policy, PolicyName } = await kms.send(new GetKeyPolicyCommand({ KeyId: id }));
  assert.equal(PolicyName, 'default');
  assert.ok(Policy);
  assert.deepEqual(JSON.parse(Policy), DEFAULT_POLICY);
});

test('CreateKey rejects invalid spec and usage combinations with ValidationException', async () => {
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT' })), 'ValidationException', /KeySpec and CustomerMasterKeySpec/);
  await rejectsWith(kms.send(new CreateKeyCommand({ KeyUsage: 'SIGN_VERIFY' })), 'ValidationException', 'KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT');
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'GENERATE_VERIFY_MAC' })), 'ValidationException', 'KeyUsage GENERATE_VERIFY_MAC is not compatible with KeySpec SYMMETRIC_DEFAULT');
  // AWS-recorded (test_hmac_create_key_invalid_operations).
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256' })), 'ValidationException', 'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' })), 'ValidationException', 'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
  await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'KEY_AGREEMENT' })), 'ValidationException', 'KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048');
});

test('CreateKey answers UnsupportedOperationException for SM2 and EXTERNAL_KEY_STORE, refuses a custom key store that does not exist, and creates nothing; EXTERNAL and MultiRegion keys are made', async () => {
  const before = new Set(await allKeyIds());
  const notYet: CreateKeyCommandInput[] = [
    { KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' },
    { KeySpec: 'SM2', KeyUsage: 'ENCRYPT_DECRYPT' },
    { Origin: 'EXTERNAL_KEY_STORE' },
  ];
  for (const input of notYet) {
    await rejectsWith(kms.send(new CreateKeyCommand(input)), 'UnsupportedOperationException', /./);
  }
  // AWS_CLOUDHSM keys need an existing store (custom-key-store.test.ts makes one); a store id needs that origin.
  await rejectsWith(kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: 'cks-1234567890abcdef0' })), 'CustomKeyStoreNotFoundException');
  await rejectsWith(kms.send(new CreateKeyCommand({ CustomKeyStoreId: 'cks-1234567890abcdef0' })), 'ValidationException');
  await rejectsWith(kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', CustomKeyStoreId: 'cks-1234567890abcdef0' })), 'ValidationException');
  // MultiRegion false is the default and is accepted.
  const { meta } = await newKey({ MultiRegion: false, Origin: 'AWS_KMS' });
  assert.equal(meta.MultiRegion, false);
  const now = await allKeyIds();
  assert.deepEqual(now.filter((k) => !before.has(k)), [meta.KeyId]);

  // An EXTERNAL key waits for its material (AWS-recorded metadata: no CurrentKeyMaterialId); a
  // multi-Region key is an mrk- primary (import.test.ts and multi-region.test.ts go further).
  const external = (await newKey({ Origin: 'EXTERNAL' })).meta;
  assert.deepEqual([external.Origin, external.KeyState, external.Enabled, external.CurrentKeyMaterialId], ['EXTERNAL', 'PendingImport', false, undefined]);
  const mrk = (await newKey({ MultiRegion: true })).meta;
  assert.match(mrk.KeyId ?? '', /^mrk-[0-9a-f]{32}$/);
  assert.equal(mrk.MultiRegion, true);
  assert.equal(mrk.MultiRegionConfiguration?.MultiRegionKeyType, 'PRIMARY');
});

test('CreateKey makes asymmetric, HMAC and ML-DSA keys; the deprecated CustomerMasterKeySpec works for the specs it has', async () => {
  const cases: Array<[CreateKeyCommandInput, KeySpec, KeyUsageType, keyof KeyMetadata]> = [
    [{ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }, 'RSA_2048', 'SIGN_VERIFY', 'SigningAlgorithms'],
    [{ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' }, 'ECC_NIST_P256', 'KEY_AGREEMENT', 'KeyAgreementAlgorithms'],
    [{ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }, 'ECC_NIST_EDWARDS25519', 'SIGN_VERIFY', 'SigningAlgorithms'],
    [{ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }, 'HMAC_256', 'GENERATE_VERIFY_MAC', 'MacAlgorithms'],
    [{ KeySpec: 'ML_DSA_65', KeyUsage: 'SIGN_VERIFY' }, 'ML_DSA_65', 'SIGN_VERIFY', 'SigningAlgorithms'],
    [{ CustomerMasterKeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }, 'ECC_SECG_P256K1', 'SIGN_VERIFY', 'SigningAlgorithms'],
  ];
  for (const [input, spec, usage, algorithms] of cases) {
    const { meta } = await newKey(input);
    assert.equal(meta.KeySpec, spec);
    assert.equal(meta.KeyUsage, usage);
    assert.equal(meta.KeyState, 'Enabled');
    assert.ok(Array.isArray(meta[algorithms]) && (meta[algorithms] as unknown[]).length > 0, `${spec}: ${algorithms}`);
    assert.equal(meta.EncryptionAlgorithms, undefined, `${spec}: no EncryptionAlgorithms`);
    assert.equal(meta.CurrentKeyMaterialId, undefined, `${spec}: only symmetric encryption keys name their key material`);
    assert.deepEqual(await describe(meta.KeyId as string), meta);
  }
});

test('CreateKey rejects reserved, duplicate and too many tags with TagException (AWS wording)', async () => {
  for (const TagKey of ['aws:owner', 'AWS:owner', 'Aws:owner', 'aWs:x']) {
    await rejectsWith(kms.send(new CreateKeyCommand({ Tags: [{ TagKey, TagValue: 'v' }] })), 'TagException', 'Tags beginning with aws: are reserved');
  }
  await rejectsWith(
    kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'k', TagValue: '1' }, { TagKey: 'k', TagValue: '2' }] })),
    'TagException', 'Duplicate tag keys',
  );
  const tags = (n: number): Tag[] => Array.from({ length: n }, (_, i) => ({ TagKey: `k${i}`, TagValue: `v${i}` }));
  await rejectsWith(kms.send(new CreateKeyCommand({ Tags: tags(51) })), 'TagException', 'Too many tags');
  // 50 is the quota, not beyond it; "aws" without the colon is an ordinary key.
  const { id } = await newKey({ Tags: [...tags(49), { TagKey: 'awsome', TagValue: '' }] });
  assert.equal((await tagsOf(id)).length, 50);
});

test('CreateKey rejects a malformed policy with MalformedPolicyDocumentException', async () => {
  const bad = [
    'not json',
    '[]',
    '{"Version":"2012-10-17"}',
    '{"Version":"2012-10-17","Statement":[]}',
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}',
    '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}]}',
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[]},"Action":"kms:*","Resource":"*"}]}',
  ];
  for (const Policy of bad) {
    await rejectsWith(kms.send(new CreateKeyCommand({ Policy })), 'MalformedPolicyDocumentException', /./);
  }
  await rejectsWith(
    kms.send(new CreateKeyCommand({ Policy: '{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}' })),
    'MalformedPolicyDocumentException', 'Policy contains a statement with no principal.',
  );
});

test('CreateKey enforces the 32 KB key-policy quota with LimitExceededException (below the model\'s 131072)', async () => {
  await rejectsWith(kms.send(new CreateKeyCommand({ Policy: policyOfSize(32_769) })), 'LimitExceededException', /32768/);
  await rejectsWith(kms.send(new CreateKeyCommand({ Policy: policyOfSize(100_000) })), 'LimitExceededException', /32768/);
  const exact = policyOfSize(32_768);
  const { id } = await newKey({ Policy: exact });
  assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy, exact);
  // Beyond the model's own maximum it is a model ValidationException, as AWS answers.
  await rejectsWith(
    kms.send(new CreateKeyCommand({ Policy: policyOfSize(131_073) })),
    'ValidationException', /^1 validation error detected: Value '.*' at 'policy' failed to satisfy constraint: Member must have length less than or equal to 131072$/s,
  );
});

test('CreateKey rejects values outside the model enums with an AWS-worded ValidationException', async () => {
  const usage = await rejectsWith(kms.send(new CreateKeyCommand({ KeyUsage: 'RANDOM' as KeyUsageType })), 'ValidationException');
  assert.match(usage.message, /^1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: \[([A-Z_]+, )*[A-Z_]+\]$/);
  for (const v of ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT']) assert.ok(usage.message.includes(v), v);

  const spec = await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_random' as KeySpec })), 'ValidationException');
  assert.match(spec.message, /^1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[.*SYMMETRIC_DEFAULT.*\]$/);

  const two = await rejectsWith(kms.send(new CreateKeyCommand({ KeySpec: 'X' as KeySpec, KeyUsage: 'Y' as KeyUsageType })), 'ValidationException');
  assert.match(two.message, /^2 validation errors detected: /);
  assert.match(two.message, /Value 'X' at 'keySpec'/);
  assert.match(two.message, /Value 'Y' at 'keyUsage'/);

  await rejectsWith(
    kms.send(new CreateKeyCommand({ Description: 'd'.repeat(8193) })),
    'ValidationException', /at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192$/,
  );
});

// ---------------------------------------------------------------------------------------------
// DescribeKey

test('DescribeKey finds a key by key id, key ARN, alias name and alias ARN', async () => {
  const { id, arn, meta } = await newKey({ Description: 'describe me' });
  const alias = uniqueAlias('describe');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
  for (const ref of [id, arn, alias, aliasArnOf(alias)]) {
    const found = await describe(ref);
    assert.deepEqual(found, meta, `DescribeKey(${ref})`);
    assert.equal(found.KeyId, id);
    assert.equal(found.Arn, arn);
  }
});

test('DescribeKey of an unknown or malformed key or alias is NotFoundException (AWS wording)', async () => {
  const missing = randomUUID();
  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: arnOf(missing) })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: 'fake-key-id' })), 'NotFoundException', "Invalid keyId 'fake-key-id'");
  await rejectsWith(
    kms.send(new DescribeKeyCommand({ KeyId: '134f2428cec14b25a1ae9048164dba47' })),
    'NotFoundException', "Invalid keyId '134f2428cec14b25a1ae9048164dba47'",
  );
  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: 'x' })), 'NotFoundException', "Invalid keyId 'x'");
  const alias = uniqueAlias('nothing');
  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: alias })), 'NotFoundException', `Alias ${aliasArnOf(alias)} is not found.`);
  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: aliasArnOf(alias) })), 'NotFoundException', `Alias ${aliasArnOf(alias)} is not found.`);
  // An existing key named by an ARN of another Region (AWS-recorded: "Invalid arn <region>").
  const { id } = await newKey();
  await rejectsWith(
    kms.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:${ACCOUNT_ID}:key/${id}` })),
    'NotFoundException', 'Invalid arn eu-west-1',
  );
});

test('errors and output-less operations have the JSON 1.1 wire form', async () => {
  const missing = randomUUID();
  const err = await coffer.raw({ target: 'DescribeKey', body: JSON.stringify({ KeyId: missing }) });
  assert.equal(err.status, 400);
  assert.match(err.headers.get('content-type') ?? '', /^application\/x-amz-json-1\.1/);
  assert.ok(err.headers.get('x-amzn-requestid'));
  assert.deepEqual(JSON.parse(err.body), { __type: 'NotFoundException', message: `Key '${arnOf(missing)}' does not exist` });

  const { id } = await newKey();
  const alias = uniqueAlias('wire');
  const calls: [string, object][] = [
    ['DisableKey', { KeyId: id }],
    ['EnableKey', { KeyId: id }],
    ['UpdateKeyDescription', { KeyId: id, Description: 'wire' }],
    ['TagResource', { KeyId: id, Tags: [{ TagKey: 'a', TagValue: 'b' }] }],
    ['UntagResource', { KeyId: id, TagKeys: ['a'] }],
    ['PutKeyPolicy', { KeyId: id, Policy: CUSTOM_POLICY }],
    ['CreateAlias', { AliasName: alias, TargetKeyId: id }],
    ['UpdateAlias', { AliasName: alias, TargetKeyId: id }],
    ['DeleteAlias', { AliasName: alias }],
  ];
  for (const [target, input] of calls) {
    const r = await coffer.raw({ target, body: JSON.stringify(input) });
    assert.equal(r.status, 200, `${target}: ${r.body}`);
    assert.ok(r.body === '' || r.body === '{}', `${target} answers an empty body, not ${r.body}`);
  }
  assert.equal((await describe(id)).Description, 'wire');
});

test('DescribeKey output on the wire has no null member, and its Arn is the full key ARN', async () => {
  const { id, arn } = await newKey({ Description: 'wire' });
  for (const state of ['Enabled', 'PendingDeletion', 'Disabled'] as const) {
    if (state === 'PendingDeletion') await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
    if (state === 'Disabled') await kms.send(new CancelKeyDeletionCommand({ KeyId: id }));
    const r = await coffer.raw({ target: 'DescribeKey', body: JSON.stringify({ KeyId: id }) });
    assert.equal(r.status, 200);
    const body: unknown = JSON.parse(r.body);
    assert.deepEqual(nullPaths(body), [], `no nulls (${state})`);
    assert.ok(body !== null && typeof body === 'object' && 'KeyMetadata' in body);
    const m = body.KeyMetadata as Record<string, unknown>;
    assert.equal(m.KeyState, state);
    assert.equal(m.Arn, arn);
    assert.equal(m.KeyId, id);
    assert.equal(typeof m.CreationDate, 'number', 'timestamps are epoch seconds');
    assert.equal('DeletionDate' in m, state === 'PendingDeletion');
    assert.equal('PendingDeletionWindowInDays' in m, state === 'PendingDeletion');
    for (const v of Object.values(m)) assert.notEqual(v, '', 'only Description may be empty, and it is not here');
  }
});

// ---------------------------------------------------------------------------------------------
// ListKeys

test('ListKeys pages with Limit and NextMarker; every key appears exactly once, in any state', async () => {
  const mine = await Promise.all(Array.from({ length: 5 }, () => newKey()));
  // Keys in every state are listed.
  await kms.send(new DisableKeyCommand({ KeyId: mine[1]?.id }));
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: mine[2]?.id }));
  const seen: string[] = [];
  let marker: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await kms.send(new ListKeysCommand(marker === undefined ? { Limit: 2 } : { Limit: 2, Marker: marker }));
    pages++;
    const keys = page.Keys ?? [];
    assert.ok(keys.length <= 2, 'at most Limit entries');
    for (const k of keys) {
      assert.ok(k.KeyId !== undefined);
      assert.equal(k.KeyArn, arnOf(k.KeyId));
      assert.deepEqual(Object.keys(k).sort(), ['KeyArn', 'KeyId']);
      seen.push(k.KeyId);
    }
    assert.equal(typeof page.Truncated, 'boolean');
    if (page.Truncated !== true) {
      assert.equal(page.NextMarker, undefined, 'no NextMarker on the last page');
      break;
    }
    assert.equal(keys.length, 2, 'a truncated page is full');
    assert.ok(page.NextMarker, 'a truncated page has a NextMarker');
    marker = page.NextMarker;
    assert.ok(pages < 10_000);
  }
  assert.ok(pages >= 3, `5 keys at 2 a page take at least 3 pages (took ${pages})`);
  assert.equal(new Set(seen).size, seen.length, 'no key twice');
  for (const k of mine) assert.equal(seen.filter((s) => s === k.id).length, 1, `key ${k.id} seen once`);
  // One big page holds exactly the keys the small pages did.
  const all = await kms.send(new ListKeysCommand({ Limit: 1000 }));
  assert.equal(all.Truncated, false);
  assert.deepEqual([...(all.Keys ?? []).map((k) => k.KeyId)].sort(), [...seen].sort());
  // Without a Limit, a page holds at most the default 100.
  assert.ok(((await kms.send(new ListKeysCommand({}))).Keys ?? []).length <= 100);
});

test('ListKeys rejects a foreign marker and out-of-range limits', async () => {
  await rejectsWith(kms.send(new ListKeysCommand({ Marker: 'not-a-marker' })), 'InvalidMarkerException', /./);
  await rejectsWith(kms.send(new ListKeysCommand({ Marker: Buffer.from('{"x":1}').toString('base64url') })), 'InvalidMarkerException', /./);
  await rejectsWith(
    kms.send(new ListKeysCommand({ Limit: 0 })),
    'ValidationException', "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
  );
  await rejectsWith(
    kms.send(new ListKeysCommand({ Limit: 1001 })),
    'ValidationException', "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
  );
  const one = await kms.send(new ListKeysCommand({ Limit: 1000 }));
  assert.equal(typeof one.Truncated, 'boolean');
});

// ---------------------------------------------------------------------------------------------
// EnableKey, DisableKey, UpdateKeyDescription

test('DisableKey and EnableKey change KeyState and Enabled, idempotently', async () => {
  const { id, arn } = await newKey();
  await kms.send(new DisableKeyCommand({ KeyId: id }));
  let m = await describe(id);
  assert.equal(m.KeyState, 'Disabled');
  assert.equal(m.Enabled, false);
  await kms.send(new DisableKeyCommand({ KeyId: arn }));
  assert.equal((await describe(id)).KeyState, 'Disabled');
  await kms.send(new EnableKeyCommand({ KeyId: arn }));
  m = await describe(id);
  assert.equal(m.KeyState, 'Enabled');
  assert.equal(m.Enabled, true);
  await kms.send(new EnableKeyCommand({ KeyId: id }));
  assert.equal((await describe(id)).KeyState, 'Enabled');
  const missing = randomUUID();
  await rejectsWith(kms.send(new EnableKeyCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
  await rejectsWith(kms.send(new DisableKeyCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
  // Management operations take a key id or key ARN only.
  const alias = uniqueAlias('mgmt');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
  await rejectsWith(kms.send(new DisableKeyCommand({ KeyId: alias })), 'NotFoundException');
  assert.equal((await describe(id)).KeyState, 'Enabled');
});

test('UpdateKeyDescription replaces the description (also with an empty one)', async () => {
  const { id, arn } = await newKey({ Description: 'old' });
  await kms.send(new UpdateKeyDescriptionCommand({ KeyId: id, Description: 'new description' }));
  assert.equal((await describe(id)).Description, 'new description');
  await kms.send(new UpdateKeyDescriptionCommand({ KeyId: arn, Description: '' }));
  assert.equal((await describe(id)).Description, '');
  const missing = randomUUID();
  await rejectsWith(kms.send(new UpdateKeyDescriptionCommand({ KeyId: missing, Description: 'x' })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
});

test('a disabled key refuses Encrypt, GenerateDataKey and Decrypt with DisabledException "<arn> is disabled."', async () => {
  const { id, arn } = await newKey();
  const alias = uniqueAlias('disabled');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
  const { blob } = await encrypt(id, 'before disable');
  await kms.send(new DisableKeyCommand({ KeyId: id }));
  const msg = `${arn} is disabled.`;
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('x') })), 'DisabledException', msg);
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: alias, Plaintext: Buffer.from('x') })), 'DisabledException', msg);
  await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: arn, NumberOfBytes: 32 })), 'DisabledException', msg);
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'DisabledException', msg);
  // Management and reads still work; re-enabling restores use.
  assert.equal((await describe(alias)).KeyState, 'Disabled');
  await kms.send(new UpdateKeyDescriptionCommand({ KeyId: id, Description: 'while disabled' }));
  await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'state', TagValue: 'disabled' }] }));
  const second = uniqueAlias('disabled-2');
  await kms.send(new CreateAliasCommand({ AliasName: second, TargetKeyId: arn }));
  const m = await describe(second);
  assert.equal(m.Description, 'while disabled');
  assert.equal(m.Enabled, false);
  assert.deepEqual(await tagsOf(id), [{ TagKey: 'state', TagValue: 'disabled' }]);
  await kms.send(new EnableKeyCommand({ KeyId: id }));
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
  assert.equal(Buffer.from(dec.Plaintext ?? []).toString(), 'before disable');
});

// ---------------------------------------------------------------------------------------------
// ScheduleKeyDeletion, CancelKeyDeletion

test('ScheduleKeyDeletion defaults to a 30-day window', async () => {
  const { id, arn } = await newKey();
  const t0 = Date.now();
  const r = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id }));
  const t1 = Date.now();
  assert.equal(r.KeyId, arn);
  assert.equal(r.KeyState, 'PendingDeletion');
  assert.equal(r.PendingWindowInDays, 30);
  assertNear(r.DeletionDate, t0 + 30 * DAY_MS, t1 + 30 * DAY_MS, 'DeletionDate');
  const m = await describe(id);
  assert.equal(m.KeyState, 'PendingDeletion');
  assert.equal(m.Enabled, false);
  assert.equal(m.PendingDeletionWindowInDays, 30);
  assert.equal(m.DeletionDate?.getTime(), r.DeletionDate?.getTime());
});

test('ScheduleKeyDeletion with 7 days, from a disabled key, by ARN', async () => {
  const { id, arn } = await newKey();
  await kms.send(new DisableKeyCommand({ KeyId: id }));
  const t0 = Date.now();
  const r = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
  const t1 = Date.now();
  assert.equal(r.KeyId, arn);
  assert.equal(r.KeyState, 'PendingDeletion');
  assert.equal(r.PendingWindowInDays, 7);
  assertNear(r.DeletionDate, t0 + 7 * DAY_MS, t1 + 7 * DAY_MS, 'DeletionDate');
  const m = await describe(arn);
  assert.equal(m.PendingDeletionWindowInDays, 7);
  assert.equal(m.DeletionDate?.getTime(), r.DeletionDate?.getTime());
});

test('ScheduleKeyDeletion accepts only 7..30 days, and not twice', async () => {
  const { id, arn } = await newKey();
  await rejectsWith(
    kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 6 })),
    'ValidationException', "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7",
  );
  await rejectsWith(
    kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 31 })),
    'ValidationException', "1 validation error detected: Value '31' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30",
  );
  // Outside the model's 1..365 too.
  await rejectsWith(kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 0 })), 'ValidationException', /'pendingWindowInDays'/);
  assert.equal((await describe(id)).KeyState, 'Enabled', 'a refused request changes nothing');
  const first = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 30 }));
  await rejectsWith(kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 })), 'KMSInvalidStateException', `${arn} is pending deletion.`);
  const m = await describe(id);
  assert.equal(m.PendingDeletionWindowInDays, 30, 'the second request did not change the window');
  assert.equal(m.DeletionDate?.getTime(), first.DeletionDate?.getTime());
  const missing = randomUUID();
  await rejectsWith(kms.send(new ScheduleKeyDeletionCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
});

test('a key pending deletion refuses use and changes (KMSInvalidStateException) but can be read', async () => {
  const { id, arn } = await newKey({ Tags: [{ TagKey: 'keep', TagValue: 'me' }] });
  const other = await newKey();
  const alias = uniqueAlias('pending');
  const otherAlias = uniqueAlias('pending-other');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
  await kms.send(new CreateAliasCommand({ AliasName: otherAlias, TargetKeyId: other.id }));
  const { blob } = await encrypt(id);
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
  const msg = `${arn} is pending deletion.`;

  await rejectsWith(kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('x') })), 'KMSInvalidStateException', msg);
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: alias, Plaintext: Buffer.from('x') })), 'KMSInvalidStateException', msg);
  await rejectsWith(kms.send(new GenerateDataKeyCommand({ KeyId: id, NumberOfBytes: 32 })), 'KMSInvalidStateException', msg);
  await rejectsWith(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'KMSInvalidStateException', msg);
  await rejectsWith(kms.send(new EnableKeyCommand({ KeyId: id })), 'KMSInvalidStateException', msg);
  await rejectsWith(kms.send(new DisableKeyCommand({ KeyId: id })), 'KMSInvalidStateException', msg);
  await rejectsWith(kms.send(new UpdateKeyDescriptionCommand({ KeyId: id, Description: 'no' })), 'KMSInvalidStateException', msg);
  await rejectsWith(kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'a', TagValue: 'b' }] })), 'KMSInvalidStateException', msg);
  await rejectsWith(kms.send(new UntagResourceCommand({ KeyId: id, TagKeys: ['keep'] })), 'KMSInvalidStateException', msg);
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: uniqueAlias('late'), TargetKeyId: id })), 'KMSInvalidStateException', msg);
  // [10]: an alias may not be moved onto a key pending deletion.
  await rejectsWith(kms.send(new UpdateAliasCommand({ AliasName: otherAlias, TargetKeyId: id })), 'KMSInvalidStateException', msg);

  // Reads and the always-allowed operations still work.
  const m = await describe(id);
  assert.equal(m.KeyState, 'PendingDeletion');
  assert.equal(m.Description, '');
  assert.deepEqual(await tagsOf(id), [{ TagKey: 'keep', TagValue: 'me' }]);
  assert.ok((await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy);
  assert.deepEqual((await kms.send(new ListKeyPoliciesCommand({ KeyId: id }))).PolicyNames, ['default']);
  assert.equal((await kms.send(new GetKeyLastUsageCommand({ KeyId: id }))).KeyId, arn);
  assert.deepEqual((await aliasesOf(id)).map((a) => a.AliasName), [alias]);
  await kms.send(new DeleteAliasCommand({ AliasName: alias }));
  assert.deepEqual(await aliasesOf(id), []);
  await kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: CUSTOM_POLICY }));
  assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy, CUSTOM_POLICY);
});

test('CancelKeyDeletion returns the key Disabled without a deletion date; it needs a pending key', async () => {
  const { id, arn } = await newKey();
  await rejectsWith(kms.send(new CancelKeyDeletionCommand({ KeyId: id })), 'KMSInvalidStateException', `${arn} is not pending deletion.`);
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 10 }));
  const r = await kms.send(new CancelKeyDeletionCommand({ KeyId: id }));
  assert.equal(r.KeyId, arn);
  const m = await describe(id);
  assert.equal(m.KeyState, 'Disabled');
  assert.equal(m.Enabled, false);
  assert.equal(m.DeletionDate, undefined);
  assert.equal(m.PendingDeletionWindowInDays, undefined);
  assert.equal('DeletionDate' in m, false);
  // Not pending any more: a second cancel fails, the key is disabled for use, and can be enabled.
  await rejectsWith(kms.send(new CancelKeyDeletionCommand({ KeyId: arn })), 'KMSInvalidStateException', `${arn} is not pending deletion.`);
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('x') })), 'DisabledException', `${arn} is disabled.`);
  await kms.send(new EnableKeyCommand({ KeyId: id }));
  assert.equal((await encrypt(id)).keyId, arn);
  // Scheduling again after a cancel works, with the new window.
  const again = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 8 }));
  assert.equal(again.PendingWindowInDays, 8);
  assert.equal((await describe(id)).PendingDeletionWindowInDays, 8);
  const missing = randomUUID();
  await rejectsWith(kms.send(new CancelKeyDeletionCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
});

// ---------------------------------------------------------------------------------------------
// Aliases

test('CreateAlias names a key by key id or key ARN; ListAliases shows both entries', async () => {
  const { id, arn } = await newKey();
  const a1 = uniqueAlias('a');
  const a2 = uniqueAlias('b');
  const t0 = Date.now();
  await kms.send(new CreateAliasCommand({ AliasName: a1, TargetKeyId: id }));
  await kms.send(new CreateAliasCommand({ AliasName: a2, TargetKeyId: arn }));
  const t1 = Date.now();
  const list = await kms.send(new ListAliasesCommand({ KeyId: arn }));
  assert.equal(list.Truncated, false);
  assert.equal(list.NextMarker, undefined);
  const entries = list.Aliases ?? [];
  assert.deepEqual(entries.map((a) => a.AliasName).sort(), [a1, a2].sort());
  for (const e of entries) {
    assert.equal(e.AliasArn, aliasArnOf(e.AliasName ?? ''));
    assert.equal(e.TargetKeyId, id, 'TargetKeyId is the key id, not the ARN');
    assertNear(e.CreationDate, t0, t1, 'CreationDate');
    assert.equal(e.LastUpdatedDate?.getTime(), e.CreationDate?.getTime());
  }
  // The same list by key id; the unfiltered list contains them too.
  assert.deepEqual((await aliasesOf(id)).map((a) => a.AliasName).sort(), [a1, a2].sort());
  const all = await kms.send(new ListAliasesCommand({ Limit: 100 }));
  assert.ok(all.Truncated === true || [a1, a2].every((a) => (all.Aliases ?? []).some((e) => e.AliasName === a)));
  // Both aliases resolve to the key.
  assert.equal((await describe(a1)).Arn, arn);
  assert.equal((await describe(a2)).Arn, arn);
});

test('CreateAlias rejects a duplicate name with AlreadyExistsException, even for another key', async () => {
  const k1 = await newKey();
  const k2 = await newKey();
  const alias = uniqueAlias('dup');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: k1.id }));
  const msg = `An alias with the name ${aliasArnOf(alias)} already exists`;
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: k1.id })), 'AlreadyExistsException', msg);
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: k2.id })), 'AlreadyExistsException', msg);
  assert.equal((await describe(alias)).Arn, k1.arn, 'the alias still names the first key');
  // Names are case-sensitive: a differently-cased name is another alias.
  const upper = alias.replace('alias/dup', 'alias/DUP');
  await kms.send(new CreateAliasCommand({ AliasName: upper, TargetKeyId: k2.id }));
  assert.equal((await describe(upper)).Arn, k2.arn);
});

test('CreateAlias validates the name and the target', async () => {
  const { id, arn } = await newKey();
  // AWS-recorded (test_create_alias).
  const prefix = 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html';
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: 'my-alias', TargetKeyId: id })), 'ValidationException', prefix);
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: 'ALIAS/upper', TargetKeyId: id })), 'ValidationException', prefix);
  // alias/aws/ is AWS's: KMS answers NotAuthorizedException (no message), not InvalidAliasNameException.
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: id })), 'NotAuthorizedException');
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: 'alias/', TargetKeyId: id })), 'InvalidAliasNameException', /./);
  // The model's pattern and length.
  await rejectsWith(
    kms.send(new CreateAliasCommand({ AliasName: 'alias/has space', TargetKeyId: id })),
    'ValidationException', /^1 validation error detected: Value 'alias\/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: /,
  );
  await rejectsWith(
    kms.send(new CreateAliasCommand({ AliasName: `alias/${'a'.repeat(251)}`, TargetKeyId: id })),
    'ValidationException', /at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256$/,
  );
  // The target is a key id or key ARN, never an alias.
  const existing = uniqueAlias('target');
  await kms.send(new CreateAliasCommand({ AliasName: existing, TargetKeyId: id }));
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: uniqueAlias('x'), TargetKeyId: existing })), 'NotFoundException');
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: uniqueAlias('x'), TargetKeyId: aliasArnOf(existing) })), 'NotFoundException');
  const missing = randomUUID();
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: uniqueAlias('x'), TargetKeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
  // Nothing was created by the refused requests.
  assert.deepEqual((await aliasesOf(arn)).map((a) => a.AliasName), [existing]);
});

test('UpdateAlias moves an alias to another key; Encrypt through it then uses the new key', async () => {
  const k1 = await newKey();
  const k2 = await newKey();
  const alias = uniqueAlias('move');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: k1.id }));
  assert.equal((await encrypt(alias)).keyId, k1.arn);
  const [created] = await aliasesOf(k1.id);
  assert.ok(created);
  await new Promise((r) => setTimeout(r, 20));
  await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: k2.arn }));
  assert.deepEqual(await aliasesOf(k1.id), []);
  const [moved] = await aliasesOf(k2.id);
  assert.ok(moved);
  assert.equal(moved.AliasName, alias);
  assert.equal(moved.TargetKeyId, k2.id);
  assert.equal(moved.CreationDate?.getTime(), created.CreationDate?.getTime(), 'CreationDate is kept');
  assert.ok((moved.LastUpdatedDate?.getTime() ?? 0) >= (moved.CreationDate?.getTime() ?? Infinity), 'LastUpdatedDate >= CreationDate');
  assert.ok((moved.LastUpdatedDate?.getTime() ?? 0) > (created.LastUpdatedDate?.getTime() ?? Infinity), 'LastUpdatedDate moved forward');
  assert.equal((await encrypt(alias)).keyId, k2.arn);
  assert.equal((await describe(alias)).Arn, k2.arn);
  // And back by key id.
  await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: k1.id }));
  assert.equal((await encrypt(alias)).keyId, k1.arn);
});

test('UpdateAlias of an unknown alias or to an unknown key is NotFoundException', async () => {
  const { id } = await newKey();
  const alias = uniqueAlias('ghost');
  await rejectsWith(kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: id })), 'NotFoundException', `Alias ${aliasArnOf(alias)} is not found.`);
  await rejectsWith(
    kms.send(new UpdateAliasCommand({ AliasName: 'no-prefix', TargetKeyId: id })),
    'ValidationException', 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
  );
  const real = uniqueAlias('real');
  await kms.send(new CreateAliasCommand({ AliasName: real, TargetKeyId: id }));
  const missing = randomUUID();
  await rejectsWith(kms.send(new UpdateAliasCommand({ AliasName: real, TargetKeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
  assert.equal((await describe(real)).KeyId, id, 'the alias did not move');
});

test('UpdateAlias may move an alias away from a key pending deletion', async () => {
  const doomed = await newKey();
  const next = await newKey();
  const alias = uniqueAlias('rescue');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: doomed.id }));
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.id, PendingWindowInDays: 7 }));
  await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: next.id }));
  assert.equal((await encrypt(alias)).keyId, next.arn);
  assert.deepEqual(await aliasesOf(doomed.id), []);
});

test('a key has at most 50 aliases: CreateAlias and UpdateAlias answer LimitExceededException', async () => {
  const full = await newKey();
  const spare = await newKey();
  const base = `alias/limit-${randomUUID()}`;
  for (let i = 0; i < 50; i++) await kms.send(new CreateAliasCommand({ AliasName: `${base}-${String(i).padStart(2, '0')}`, TargetKeyId: full.id }));
  await rejectsWith(kms.send(new CreateAliasCommand({ AliasName: `${base}-50`, TargetKeyId: full.id })), 'LimitExceededException', new RegExp(full.arn));
  const moving = uniqueAlias('moving');
  await kms.send(new CreateAliasCommand({ AliasName: moving, TargetKeyId: spare.id }));
  await rejectsWith(kms.send(new UpdateAliasCommand({ AliasName: moving, TargetKeyId: full.arn })), 'LimitExceededException', new RegExp(full.arn));
  assert.equal((await describe(moving)).Arn, spare.arn, 'the alias did not move');
  const all = await kms.send(new ListAliasesCommand({ KeyId: full.id, Limit: 100 }));
  assert.equal(all.Aliases?.length, 50);
  assert.equal(all.Truncated, false);
  // Re-pointing an alias at the key it already names is not a 51st alias.
  await kms.send(new UpdateAliasCommand({ AliasName: `${base}-00`, TargetKeyId: full.id }));
  // Freeing one makes room again.
  await kms.send(new DeleteAliasCommand({ AliasName: `${base}-00` }));
  await kms.send(new CreateAliasCommand({ AliasName: `${base}-50`, TargetKeyId: full.id }));
});

test('DeleteAlias removes the alias; the key stays', async () => {
  const { id, arn } = await newKey();
  const alias = uniqueAlias('gone');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
  assert.equal((await describe(alias)).Arn, arn);
  await kms.send(new DeleteAliasCommand({ AliasName: alias }));
  assert.deepEqual(await aliasesOf(id), []);
  await rejectsWith(kms.send(new DescribeKeyCommand({ KeyId: alias })), 'NotFoundException', `Alias ${aliasArnOf(alias)} is not found.`);
  await rejectsWith(kms.send(new EncryptCommand({ KeyId: alias, Plaintext: Buffer.from('x') })), 'NotFoundException', `Alias ${aliasArnOf(alias)} is not found.`);
  await rejectsWith(kms.send(new DeleteAliasCommand({ AliasName: alias })), 'NotFoundException', `Alias ${aliasArnOf(alias)} is not found.`);
  await rejectsWith(
    kms.send(new DeleteAliasCommand({ AliasName: alias.slice('alias/'.length) })),
    'ValidationException', 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
  );
  assert.equal((await describe(id)).KeyState, 'Enabled');
  // The name is free again.
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
  assert.equal((await describe(alias)).Arn, arn);
});

test('ListAliases filters by KeyId and pages with Limit 1', async () => {
  const { id, arn } = await newKey();
  const other = await newKey();
  const names = [uniqueAlias('page'), uniqueAlias('page'), uniqueAlias('page')];
  for (const n of names) await kms.send(new CreateAliasCommand({ AliasName: n, TargetKeyId: id }));
  await kms.send(new CreateAliasCommand({ AliasName: uniqueAlias('page-other'), TargetKeyId: other.id }));
  const seen: string[] = [];
  let marker: string | undefined;
  for (let i = 0; ; i++) {
    assert.ok(i < 10);
    const page = await kms.send(new ListAliasesCommand(marker === undefined ? { KeyId: arn, Limit: 1 } : { KeyId: arn, Limit: 1, Marker: marker }));
    const entries = page.Aliases ?? [];
    assert.ok(entries.length <= 1);
    for (const e of entries) {
      assert.equal(e.TargetKeyId, id);
      seen.push(e.AliasName ?? '');
    }
    if (page.Truncated !== true) {
      assert.equal(page.NextMarker, undefined);
      break;
    }
    assert.ok(page.NextMarker);
    marker = page.NextMarker;
  }
  assert.deepEqual([...seen].sort(), [...names].sort(), 'each alias of the key exactly once, no other key\'s');
  await rejectsWith(
    kms.send(new ListAliasesCommand({ Limit: 101 })),
    'ValidationException', "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
  );
  await rejectsWith(kms.send(new ListAliasesCommand({ Limit: 0 })), 'ValidationException', /Value '0' at 'limit'.*greater than or equal to 1/);
  await rejectsWith(kms.send(new ListAliasesCommand({ Marker: 'bogus' })), 'InvalidMarkerException', /./);
  const missing = randomUUID();
  await rejectsWith(kms.send(new ListAliasesCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
  const full = await kms.send(new ListAliasesCommand({ KeyId: id, Limit: 100 }));
  assert.equal(full.Truncated, false);
  assert.equal(full.Aliases?.length, 3);
});

test('Encrypt through an alias name or alias ARN answers the key ARN as KeyId', async () => {
  const { id, arn } = await newKey();
  const alias = uniqueAlias('enc');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
  for (const ref of [alias, aliasArnOf(alias)]) {
    const { blob, keyId } = await encrypt(ref, `via ${ref}`);
    assert.equal(keyId, arn);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: ref }));
    assert.equal(dec.KeyId, arn);
    assert.equal(Buffer.from(dec.Plaintext ?? []).toString(), `via ${ref}`);
  }
  const gdk = await kms.send(new GenerateDataKeyCommand({ KeyId: aliasArnOf(alias), NumberOfBytes: 32 }));
  assert.equal(gdk.KeyId, arn);
});

// ---------------------------------------------------------------------------------------------
// Tags

test('TagResource adds and overwrites; UntagResource removes, ignoring absent keys', async () => {
  const { id, arn } = await newKey({ Tags: [{ TagKey: 'tag1', TagValue: 'value1' }, { TagKey: 'tag2', TagValue: 'value2' }, { TagKey: 'tag3', TagValue: 'value3' }] });
  await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'tag2', TagValue: 'updated_value2' }, { TagKey: 'tag4', TagValue: 'value4' }] }));
  await kms.send(new TagResourceCommand({ KeyId: arn, Tags: [{ TagKey: 'tag5', TagValue: 'value5' }] }));
  const byKey = (t: Tag[]): Tag[] => [...t].sort((a, b) => (a.TagKey ?? '').localeCompare(b.TagKey ?? ''));
  // The AWS-recorded result of test_update_and_add_tags_on_tagged_key.
  assert.deepEqual(byKey(await tagsOf(id)), [
    { TagKey: 'tag1', TagValue: 'value1' },
    { TagKey: 'tag2', TagValue: 'updated_value2' },
    { TagKey: 'tag3', TagValue: 'value3' },
    { TagKey: 'tag4', TagValue: 'value4' },
    { TagKey: 'tag5', TagValue: 'value5' },
  ]);
  await kms.send(new UntagResourceCommand({ KeyId: id, TagKeys: ['tag2', 'no-such-tag'] }));
  await kms.send(new UntagResourceCommand({ KeyId: arn, TagKeys: ['never-there'] }));
  assert.deepEqual(byKey(await tagsOf(id)), [
    { TagKey: 'tag1', TagValue: 'value1' },
    { TagKey: 'tag3', TagValue: 'value3' },
    { TagKey: 'tag4', TagValue: 'value4' },
    { TagKey: 'tag5', TagValue: 'value5' },
  ]);
  await kms.send(new UntagResourceCommand({ KeyId: id, TagKeys: ['tag1', 'tag3', 'tag4', 'tag5'] }));
  const empty = await kms.send(new ListResourceTagsCommand({ KeyId: id }));
  assert.deepEqual(empty.Tags, []);
  assert.equal(empty.Truncated, false);
  const missing = randomUUID();
  await rejectsWith(kms.send(new TagResourceCommand({ KeyId: missing, Tags: [{ TagKey: 'a', TagValue: 'b' }] })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
  await rejectsWith(kms.send(new UntagResourceCommand({ KeyId: missing, TagKeys: ['a'] })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
  await rejectsWith(kms.send(new ListResourceTagsCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
});

test('ListResourceTags pages with Limit and NextMarker', async () => {
  const tags = ['e', 'b', 'd', 'a', 'c'].map((k) => ({ TagKey: k, TagValue: `v-${k}` }));
  const { id } = await newKey({ Tags: tags });
  const seen: Tag[] = [];
  let marker: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await kms.send(new ListResourceTagsCommand(marker === undefined ? { KeyId: id, Limit: 2 } : { KeyId: id, Limit: 2, Marker: marker }));
    pages++;
    assert.ok((page.Tags ?? []).length <= 2);
    seen.push(...(page.Tags ?? []));
    if (page.Truncated !== true) {
      assert.equal(page.NextMarker, undefined);
      break;
    }
    assert.ok(page.NextMarker);
    marker = page.NextMarker;
    assert.ok(pages < 10);
  }
  assert.equal(pages, 3);
  assert.equal(seen.length, 5);
  assert.deepEqual([...seen].sort((a, b) => (a.TagKey ?? '').localeCompare(b.TagKey ?? '')), [...tags].sort((a, b) => a.TagKey.localeCompare(b.TagKey)));
  await rejectsWith(kms.send(new ListResourceTagsCommand({ KeyId: id, Marker: 'bogus' })), 'InvalidMarkerException', /./);
  await rejectsWith(kms.send(new ListResourceTagsCommand({ KeyId: id, Limit: 0 })), 'ValidationException', /Value '0' at 'limit'/);
  // Documented range 1..50 (reference §3.18), tighter than the shape's 1..1000.
  await rejectsWith(kms.send(new ListResourceTagsCommand({ KeyId: id, Limit: 51 })), 'ValidationException', /Value '51' at 'limit'.*less than or equal to 50/);
  assert.equal((await kms.send(new ListResourceTagsCommand({ KeyId: id, Limit: 50 }))).Tags?.length, 5);
});

test('TagResource enforces the tag rules: TagException and ValidationException', async () => {
  const { id } = await newKey({ Tags: [{ TagKey: 'existing', TagValue: 'x' }] });
  for (const TagKey of ['aws:cost', 'AWS:cost', 'aWS:cost']) {
    await rejectsWith(kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey, TagValue: 'v' }] })), 'TagException', 'Tags beginning with aws: are reserved');
  }
  await rejectsWith(
    kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'd', TagValue: '1' }, { TagKey: 'd', TagValue: '2' }] })),
    'TagException', 'Duplicate tag keys',
  );
  // 50 per key counts the tags the key already has; overwriting does not add one.
  const many = (from: number, n: number): Tag[] => Array.from({ length: n }, (_, i) => ({ TagKey: `t${from + i}`, TagValue: 'v' }));
  await kms.send(new TagResourceCommand({ KeyId: id, Tags: many(0, 48) }));
  await rejectsWith(kms.send(new TagResourceCommand({ KeyId: id, Tags: many(48, 2) })), 'TagException', 'Too many tags');
  assert.equal((await tagsOf(id)).length, 49, 'a refused TagResource adds nothing');
  await kms.send(new TagResourceCommand({ KeyId: id, Tags: [...many(0, 5), { TagKey: 't48', TagValue: 'last' }] }));
  assert.equal((await tagsOf(id)).length, 50);
  await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'existing', TagValue: 'changed' }] }));
  assert.equal((await tagsOf(id)).find((t) => t.TagKey === 'existing')?.TagValue, 'changed');
  await rejectsWith(kms.send(new TagResourceCommand({ KeyId: id, Tags: many(100, 1) })), 'TagException', 'Too many tags');
  // Over-long key or value: the model's ValidationException, with AWS's member path.
  const longKey = 'a'.repeat(129);
  await rejectsWith(
    kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: longKey, TagValue: 'v' }] })),
    'ValidationException', `1 validation error detected: Value '${longKey}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
  );
  await rejectsWith(
    kms.send(new CreateKeyCommand({ Tags: [{ TagKey: longKey, TagValue: 'v' }] })),
    'ValidationException', `1 validation error detected: Value '${longKey}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
  );
  const longValue = 'v'.repeat(257);
  await rejectsWith(
    kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'ok', TagValue: 'v' }, { TagKey: 'k', TagValue: longValue }] })),
    'ValidationException', `1 validation error detected: Value '${longValue}' at 'tags.2.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`,
  );
  assert.equal((await tagsOf(id)).length, 50);
});

// ---------------------------------------------------------------------------------------------
// Key policies

test('GetKeyPolicy answers the policy named default, with PolicyName given or omitted', async () => {
  const { id, arn } = await newKey({ Policy: CUSTOM_POLICY });
  for (const input of [{ KeyId: id }, { KeyId: arn, PolicyName: 'default' }]) {
    const r = await kms.send(new GetKeyPolicyCommand(input));
    assert.equal(r.Policy, CUSTOM_POLICY);
    assert.equal(r.PolicyName, 'default');
  }
  await rejectsWith(kms.send(new GetKeyPolicyCommand({ KeyId: id, PolicyName: 'other' })), 'NotFoundException', /other/);
  await rejectsWith(kms.send(new GetKeyPolicyCommand({ KeyId: id, PolicyName: 'Default' })), 'NotFoundException');
  const missing = randomUUID();
  await rejectsWith(kms.send(new GetKeyPolicyCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
});

test('PutKeyPolicy replaces the policy verbatim and refuses malformed or oversized ones', async () => {
  const { id, arn } = await newKey();
  await kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: CUSTOM_POLICY }));
  assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy, CUSTOM_POLICY);
  const second = JSON.stringify({ Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: 'kms:*', Resource: '*' },
    { Effect: 'Deny', NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: 'kms:Decrypt', Resource: '*' },
  ] });
  await kms.send(new PutKeyPolicyCommand({ KeyId: arn, PolicyName: 'default', Policy: second }));
  assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy, second);

  await rejectsWith(kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: '{not json' })), 'MalformedPolicyDocumentException', /./);
  await rejectsWith(
    kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}' })),
    'MalformedPolicyDocumentException', 'Policy contains a statement with no principal.',
  );
  await rejectsWith(kms.send(new PutKeyPolicyCommand({ KeyId: id, Policy: policyOfSize(40_000) })), 'LimitExceededException', /32768/);
  await rejectsWith(kms.send(new PutKeyPolicyCommand({ KeyId: id, PolicyName: 'custom', Policy: CUSTOM_POLICY })), 'NotFoundException', /custom/);
  assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: id }))).Policy, second, 'refused requests changed nothing');
  const missing = randomUUID();
  await rejectsWith(kms.send(new PutKeyPolicyCommand({ KeyId: missing, Policy: CUSTOM_POLICY })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
});

test('ListKeyPolicies answers ["default"], not truncated', async () => {
  const { id, arn } = await newKey();
  for (const KeyId of [id, arn]) {
    const r = await kms.send(new ListKeyPoliciesCommand({ KeyId }));
    assert.deepEqual(r.PolicyNames, ['default']);
    assert.equal(r.Truncated, false);
    assert.equal(r.NextMarker, undefined);
  }
  assert.deepEqual((await kms.send(new ListKeyPoliciesCommand({ KeyId: id, Limit: 1 }))).PolicyNames, ['default']);
  await rejectsWith(kms.send(new ListKeyPoliciesCommand({ KeyId: id, Limit: 1001 })), 'ValidationException', /Value '1001' at 'limit'/);
  await rejectsWith(kms.send(new ListKeyPoliciesCommand({ KeyId: id, Marker: 'bogus' })), 'InvalidMarkerException', /./);
  const missing = randomUUID();
  await rejectsWith(kms.send(new ListKeyPoliciesCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
});

// ---------------------------------------------------------------------------------------------
// GetKeyLastUsage

test('GetKeyLastUsage before any use: empty KeyLastUsage, creation and tracking dates', async () => {
  const { id, arn, meta } = await newKey();
  // Management calls are not usage.
  await kms.send(new DescribeKeyCommand({ KeyId: id }));
  await kms.send(new DisableKeyCommand({ KeyId: id }));
  await kms.send(new EnableKeyCommand({ KeyId: id }));
  const r = await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }));
  assert.equal(r.KeyId, arn);
  assert.deepEqual(r.KeyLastUsage ?? {}, {});
  assert.equal(r.KeyCreationDate?.getTime(), meta.CreationDate?.getTime());
  // Tracking started with the server (before this key), so it starts at the key's creation.
  assert.equal(r.TrackingStartDate?.getTime(), meta.CreationDate?.getTime());
});

test('GetKeyLastUsage after Encrypt names the operation, time and the request id the SDK saw', async () => {
  const { id, arn, meta } = await newKey();
  const t0 = Date.now();
  const enc = await encrypt(id);
  const t1 = Date.now();
  assert.ok(enc.requestId, 'the SDK saw a request id');
  let r = await kms.send(new GetKeyLastUsageCommand({ KeyId: id }));
  assert.equal(r.KeyId, arn);
  assert.equal(r.KeyLastUsage?.Operation, 'Encrypt');
  assert.equal(r.KeyLastUsage?.KmsRequestId, enc.requestId);
  assertNear(r.KeyLastUsage?.Timestamp, t0, t1, 'Timestamp');
  assert.equal(r.KeyCreationDate?.getTime(), meta.CreationDate?.getTime());
  // The latest use wins.
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.blob }));
  r = await kms.send(new GetKeyLastUsageCommand({ KeyId: id }));
  assert.equal(r.KeyLastUsage?.Operation, 'Decrypt');
  assert.equal(r.KeyLastUsage?.KmsRequestId, dec.$metadata.requestId);
  assert.notEqual(dec.$metadata.requestId, enc.requestId);
  // Usage through an alias is recorded against the key.
  const alias = uniqueAlias('usage');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
  const gdk = await kms.send(new GenerateDataKeyCommand({ KeyId: alias, NumberOfBytes: 16 }));
  r = await kms.send(new GetKeyLastUsageCommand({ KeyId: arn }));
  assert.equal(r.KeyLastUsage?.Operation, 'GenerateDataKey');
  assert.equal(r.KeyLastUsage?.KmsRequestId, gdk.$metadata.requestId);
  // Another key's use does not show here.
  const other = await newKey();
  await encrypt(other.id);
  assert.equal((await kms.send(new GetKeyLastUsageCommand({ KeyId: id }))).KeyLastUsage?.Operation, 'GenerateDataKey');
});

test('GetKeyLastUsage takes a key id or ARN only', async () => {
  const { id } = await newKey();
  const alias = uniqueAlias('lastusage');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id }));
  await rejectsWith(kms.send(new GetKeyLastUsageCommand({ KeyId: alias })), 'NotFoundException');
  await rejectsWith(kms.send(new GetKeyLastUsageCommand({ KeyId: aliasArnOf(alias) })), 'NotFoundException');
  const missing = randomUUID();
  await rejectsWith(kms.send(new GetKeyLastUsageCommand({ KeyId: missing })), 'NotFoundException', `Key '${arnOf(missing)}' does not exist`);
});
