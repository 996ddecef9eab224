import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseSeed, type SeedContext } from './parse.ts';
import { SeedError } from './model.ts';

const CTX: SeedContext = { homeAccountId: '111122223333', region: 'us-east-1', servesRegion: (r) => r !== 'cn-north-1', rootAccessKeyId: 'ROOTKEY' };
const KEY = '0b0e0a1c-1111-4aaa-8bbb-000000000001';
const SECRET = 'very-secret-value-never-echoed-000001';

function refused(text: string, pattern: RegExp, file = 'seed.yaml'): string {
  try {
    parseSeed(file, text, CTX);
  } catch (e) {
    assert.ok(e instanceof SeedError, String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes(SECRET), `no secret in: ${e.message}`);
    return e.message;
  }
  assert.fail(`accepted: ${text}`);
}

test('a full seed parses, with defaults and resolved policy ARNs (YAML and JSON)', () => {
  const yaml = `accounts:
  - id: "444455556666"
    rootAccessKeyId: AKIAROOT2
    rootSecretAccessKey: ${SECRET}
policies:
  - { account: "444455556666", name: reader, document: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "kms:DescribeKey", Resource: "*" }] } }
users:
  - account: 444455556666
    name: ops
    accessKeys: [{ accessKeyId: AKIAOPS1, secretAccessKey: ${SECRET}x }]
    attachedPolicies: [reader]
keys:
  - keyId: ${KEY}
    tags: { a: "1" }
    aliases: [alias/x]
  - keyId: 0b0e0a1c-1111-4aaa-8bbb-000000000002
    keySpec: HMAC_256
    keyUsage: GENERATE_VERIFY_MAC
    region: eu-west-1
    enabled: false
    material: ${randomBytes(32).toString('base64')}
`;
  const seed = parseSeed('seed.yaml', yaml, CTX);
  assert.equal(seed.accounts[0]?.rootAccessKey?.accessKeyId, 'AKIAROOT2');
  assert.deepEqual(seed.users[0]?.attachedPolicies, ['arn:aws:iam::444455556666:policy/reader']);
  assert.equal(seed.users[0]?.accountId, '444455556666', 'an unquoted 12-digit number is an account id');
  assert.equal(seed.keys[0]?.keySpec, 'SYMMETRIC_DEFAULT');
  assert.equal(seed.keys[0]?.keyUsage, 'ENCRYPT_DECRYPT');
  assert.equal(seed.keys[0]?.region, 'us-east-1');
  assert.equal(seed.keys[0]?.enabled, true);
  assert.equal(seed.keys[1]?.material?.bytes.length, 32);
  assert.equal(seed.keys[1]?.at.line, 16);
  const json = parseSeed('seed.json', JSON.stringify({ keys: [{ keyId: KEY, description: 'd' }] }, null, 2), CTX);
  assert.equal(json.keys[0]?.description, 'd');
  assert.deepEqual(parseSeed('empty.yaml', '', CTX).keys, []);
});

test('every error names the file, the line and the field', () => {
  const key = (extra: string) => `keys:\n  - keyId: ${KEY}\n${extra}`;
  refused('keys: [\n', /^COFFER_SEED_FILE seed.yaml line \d+: not valid YAML or JSON/);
  refused('a: 1\na: 2\n', /line 2: not valid YAML or JSON \(DUPLICATE_KEY/);
  refused('keyz: []\n', /line 1: keyz is not a known field/);
  refused('keys: {}\n', /line 1: keys must be a list/);
  refused('keys:\n  - 12\n', /line 2: keys\[0\] must be a mapping/);
  refused('keys:\n  - description: x\n', /line 2: keys\[0\]\.keyId is required/);
  refused('keys:\n  - keyId: not-a-uuid\n', /line 2: keys\[0\]\.keyId must be a key id in UUID form/);
  refused(key('    keySpec: RSA_1024\n'), /line 3: keys\[0\]\.keySpec must be one of RSA_2048, .*got 'RSA_1024'/);
  refused(key('    keySpec: SM2\n    keyUsage: SIGN_VERIFY\n'), /line 3: keys\[0\]\.keySpec is not supported/);
  refused(key('    keySpec: RSA_2048\n'), /line 2: keys\[0\]\.keyUsage is required for RSA_2048/);
  refused(key('    keySpec: HMAC_256\n    keyUsage: ENCRYPT_DECRYPT\n'), /line 4: keys\[0\]\.keyUsage must be one of GENERATE_VERIFY_MAC for HMAC_256/);
  refused(key('    enabled: "yes"\n'), /line 3: keys\[0\]\.enabled must be true or false/);
  refused(key('    region: mars\n'), /line 3: keys\[0\]\.region must be a region name/);
  refused(key('    region: cn-north-1\n'), /line 3: keys\[0\]\.region is a region this server does not serve/);
  refused(key(`    description: ${'x'.repeat(8193)}\n`), /line 3: keys\[0\]\.description must be 0 to 8192 characters/);
  refused(key('    policy: { Statement: 3 }\n'), /line 3: keys\[0\]\.policy is refused: MalformedPolicyDocumentException/);
  refused(key('    tags: { "aws:x": y }\n'), /line 3: keys\[0\]\.tags is refused: TagException/);
  refused(key('    tags: { a: 1 }\n'), /line 3: keys\[0\]\.tags\.a must be a string/);
  refused(key('    aliases: [alias/aws/s3]\n'), /line 3: keys\[0\]\.aliases\[0\] is refused: NotAuthorizedException/);
  refused(key('    aliases: [nope]\n'), /line 3: keys\[0\]\.aliases\[0\] is refused: ValidationException/);
  refused(`${key('    aliases: [alias/a]\n')}  - keyId: 0b0e0a1c-1111-4aaa-8bbb-000000000002\n    aliases: [alias/a]\n`, /line 5: keys\[1\].aliases\[0\] repeats alias alias\/a/);
  refused(`${key('')}  - keyId: ${KEY}\n`, /line 3: keys\[1\].keyId repeats a key id/);
  refused(key('    account: "999999999999"\n'), /line 3: keys\[0\]\.account names account 999999999999, which is neither/);
  refused(key('    account: 12\n'), /line 3: keys\[0\]\.account must be a 12-digit account id/);
  refused(key('    grants:\n      - granteePrincipal: bob\n        operations: [Decrypt]\n'), /line 4: keys\[0\].grants\[0\].granteePrincipal is refused: InvalidArnException/);
  refused(key('    grants:\n      - granteePrincipal: arn:aws:iam::111122223333:root\n        operations: [Sign]\n'), /line 5: keys\[0\].grants\[0\].operations\[0\] must be one of Decrypt/);
  refused(key('    grants:\n      - granteePrincipal: arn:aws:iam::111122223333:root\n'), /line 4: keys\[0\]\.grants\[0\]\.operations must list at least one/);
});

test('material is checked as ImportKeyMaterial checks it, and never echoed', () => {
  const key = (spec: string, material: string) => `keys:\n  - keyId: ${KEY}\n${spec}    material: "${material}"\n`;
  const short = randomBytes(16).toString('base64');
  const msg = refused(key('', short), /line 3: keys\[0\]\.material is refused: IncorrectKeyMaterialException: Key material for a SYMMETRIC_DEFAULT key must be 32 bytes long/);
  assert.ok(!msg.includes(short));
  refused(key('', `${SECRET}!`), /line 3: keys\[0\]\.material must be base64$/);
  refused(key('    keySpec: HMAC_256\n    keyUsage: GENERATE_VERIFY_MAC\n', randomBytes(8).toString('base64')), /material is refused: IncorrectKeyMaterialException: .*HMAC_256 key must be 32 to 64 bytes/);
  refused(key('    keySpec: RSA_2048\n    keyUsage: SIGN_VERIFY\n', SECRET), /keys\[0\]\.material must be a PKCS#8 private key in PEM/);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pemKey = (spec: string) => `keys:\n  - keyId: ${KEY}\n    keySpec: ${spec}\n    keyUsage: SIGN_VERIFY\n    material: |\n${ec.trim().split('\n').map((l) => `      ${l}`).join('\n')}\n`;
  assert.equal(parseSeed('s.yaml', pemKey('ECC_NIST_P256'), CTX).keys[0]?.keySpec, 'ECC_NIST_P256');
  refused(pemKey('RSA_2048'), /line 5: keys\[0\]\.material is refused: IncorrectKeyMaterialException: The key material is not a RSA_2048 private key/);
  refused(pemKey('ECC_NIST_P256').replace(/MIG/, 'XXX'), /keys\[0\]\.material is not a readable PEM private key/);
});

test('identities: accounts, access keys and policies are checked, secrets never echoed', () => {
  refused('accounts:\n  - id: "111122223333"\n', /line 2: accounts\[0\]\.id is the home account/);
  refused('accounts:\n  - id: "444455556666"\n  - id: "444455556666"\n', /line 2: accounts names an account twice/);
  refused(`accounts:\n  - id: "444455556666"\n    rootAccessKeyId: ROOTKEY\n    rootSecretAccessKey: ${SECRET}\n`, /line 3: accounts\[0\]\.rootAccessKeyId is the home account root's access key id/);
  refused(`users:\n  - name: a\n    accessKeys:\n      - { accessKeyId: AK1, secretAccessKey: "${SECRET} " }\n`, /line 4: users\[0\]\.accessKeys\[0\]\.secretAccessKey must be printable ASCII without spaces$/);
  refused('users:\n  - name: a\n    accessKeys:\n      - { accessKeyId: AK1 }\n', /line 4: users\[0\]\.accessKeys\[0\]\.secretAccessKey is required/);
  refused(`users:\n  - name: a\n    accessKeys: [{ accessKeyId: AK1, secretAccessKey: ${SECRET} }]\n  - name: b\n    accessKeys: [{ accessKeyId: AK1, secretAccessKey: ${SECRET} }]\n`, /line 5: users\[1\]\.accessKeys\[0\]\.accessKeyId repeats the access key id of users\[0\]\.accessKeys\[0\]/);
  refused('users:\n  - name: a\n    accessKeys: [1, 2, 3]\n', /line 3: users\[0\]\.accessKeys has 3 items, at most 2/);
  refused('users:\n  - name: "a b"\n', /line 2: users\[0\]\.name must be an IAM user name/);
  refused('users:\n  - name: a\n  - name: A\n', /line 3: users\[1\]\.name repeats a user name/);
  refused('users:\n  - name: a\n    inlinePolicies:\n      - name: p\n        document: { Version: "2012-10-17", Statement: [{ Effect: Maybe, Action: "*", Resource: "*" }] }\n', /line 5: users\[0\]\.inlinePolicies\[0\]\.document is refused: MalformedPolicyDocument/);
  refused('users:\n  - name: a\n    attachedPolicies: [nope]\n', /line 3: users\[0\]\.attachedPolicies\[0\] names no policy of policies/);
  refused('users:\n  - name: a\n    attachedPolicies: ["arn:aws:s3:::b"]\n', /users\[0\]\.attachedPolicies\[0\] is not an IAM policy ARN/);
});

test('the counts are bounded', () => {
  const many = `keys:\n${Array.from({ length: 51 }, (_, i) => `  - keyId: ${KEY}\n    aliases: [${Array.from({ length: 51 }, (__, j) => `alias/a${i}-${j}`).join(', ')}]`).slice(0, 1).join('\n')}\n`;
  refused(many, /line 3: keys\[0\]\.aliases has 51 items, at most 50/);
});
