import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserializeInput, javaPatternToRegExp, validationMessage } from './validate.ts';
import { kmsModel, operationNames, sensitiveMembers } from '../wire/model.ts';
import {
  SerializationException, UnknownOperationException, ValidationException,
} from '../errors/common-errors.ts';

const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';
const b64 = (n: number): string => Buffer.alloc(n, 7).toString('base64');

function validationError(operation: string, body: unknown): string {
  try {
    deserializeInput(operation, body);
  } catch (e) {
    if (e instanceof ValidationException) return e.message;
    throw e;
  }
  return assert.fail(`${operation}: expected a ValidationException`);
}

function serializationError(operation: string, body: unknown): string {
  try {
    deserializeInput(operation, body);
  } catch (e) {
    if (e instanceof SerializationException) return e.message;
    throw e;
  }
  return assert.fail(`${operation}: expected a SerializationException`);
}

const one = (detail: string): string => `1 validation error detected: ${detail}`;

// ------------------------------------------------------------------------------------------------
// Every operation accepts a minimal valid input and names each missing required member.

const MINIMAL: Record<string, Record<string, unknown>> = {
  CancelKeyDeletion: { KeyId: KEY },
  ConnectCustomKeyStore: { CustomKeyStoreId: 'cks-1234567890abcdef0' },
  CreateAlias: { AliasName: 'alias/test', TargetKeyId: KEY },
  CreateCustomKeyStore: { CustomKeyStoreName: 'store' },
  CreateGrant: { KeyId: KEY, Operations: ['Encrypt', 'Decrypt'] },
  CreateKey: {},
  Decrypt: {},
  DeleteAlias: { AliasName: 'alias/test' },
  DeleteCustomKeyStore: { CustomKeyStoreId: 'cks-1234567890abcdef0' },
  DeleteImportedKeyMaterial: { KeyId: KEY },
  DeriveSharedSecret: { KeyId: KEY, KeyAgreementAlgorithm: 'ECDH', PublicKey: b64(91) },
  DescribeCustomKeyStores: {},
  DescribeKey: { KeyId: KEY },
  DisableKey: { KeyId: KEY },
  DisableKeyRotation: { KeyId: KEY },
  DisconnectCustomKeyStore: { CustomKeyStoreId: 'cks-1234567890abcdef0' },
  EnableKey: { KeyId: KEY },
  EnableKeyRotation: { KeyId: KEY },
  Encrypt: { KeyId: KEY, Plaintext: b64(1) },
  GenerateDataKey: { KeyId: KEY },
  GenerateDataKeyPair: { KeyId: KEY, KeyPairSpec: 'RSA_2048' },
  GenerateDataKeyPairWithoutPlaintext: { KeyId: KEY, KeyPairSpec: 'ECC_NIST_P256' },
  GenerateDataKeyWithoutPlaintext: { KeyId: KEY },
  GenerateMac: { KeyId: KEY, Message: b64(10), MacAlgorithm: 'HMAC_SHA_256' },
  GenerateRandom: {},
  GetKeyLastUsage: { KeyId: KEY },
  GetKeyPolicy: { KeyId: KEY },
  GetKeyRotationStatus: { KeyId: KEY },
  GetParametersForImport: { KeyId: KEY, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_4096' },
  GetPublicKey: { KeyId: KEY },
  ImportKeyMaterial: { KeyId: KEY, ImportToken: b64(100), EncryptedKeyMaterial: b64(512) },
  ListAliases: {},
  ListGrants: { KeyId: KEY },
  ListKeyPolicies: { KeyId: KEY },
  ListKeyRotations: { KeyId: KEY },
  ListKeys: {},
  ListResourceTags: { KeyId: KEY },
  ListRetirableGrants: {},
  PutKeyPolicy: { KeyId: KEY, Policy: '{"Version":"2012-10-17","Statement":[]}' },
  ReEncrypt: { DestinationKeyId: KEY },
  ReplicateKey: { KeyId: KEY, ReplicaRegion: 'us-west-2' },
  RetireGrant: {},
  RevokeGrant: { KeyId: KEY, GrantId: 'grant-1' },
  RotateKeyOnDemand: { KeyId: KEY },
  ScheduleKeyDeletion: { KeyId: KEY },
  Sign: { KeyId: KEY, Message: b64(32), SigningAlgorithm: 'ECDSA_SHA_256' },
  TagResource: { KeyId: KEY, Tags: [{ TagKey: 'k', TagValue: '' }] },
  UntagResource: { KeyId: KEY, TagKeys: ['k'] },
  UpdateAlias: { AliasName: 'alias/test', TargetKeyId: KEY },
  UpdateCustomKeyStore: { CustomKeyStoreId: 'cks-1234567890abcdef0' },
  UpdateKeyDescription: { KeyId: KEY, Description: '' },
  UpdatePrimaryRegion: { KeyId: KEY, PrimaryRegion: 'eu-west-1' },
  Verify: { KeyId: KEY, Message: b64(32), Signature: b64(72), SigningAlgorithm: 'ECDSA_SHA_256' },
  VerifyMac: { KeyId: KEY, Message: b64(10), MacAlgorithm: 'HMAC_SHA_256', Mac: b64(32) },
};

test('the minimal-input table covers exactly the model operations', () => {
  assert.equal(operationNames.size, 54);
  assert.deepEqual(Object.keys(MINIMAL).sort(), [...operationNames].sort());
});

for (const [operation, body] of Object.entries(MINIMAL)) {
  test(`${operation}: a minimal valid input is accepted`, () => {
    const input = deserializeInput(operation, body);
    assert.deepEqual(Object.keys(input).sort(), Object.keys(body).sort());
  });
}

for (const [operation, op] of Object.entries(kmsModel.operations)) {
  const shape = op.input === undefined ? undefined : kmsModel.shapes[op.input];
  const required = shape?.type === 'structure' ? shape.required ?? [] : [];
  if (required.length === 0) continue;
  test(`${operation}: every missing required member is reported`, () => {
    const lines = required.map(
      (m) => `Value null at '${m.charAt(0).toLowerCase()}${m.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
    assert.equal(validationError(operation, {}), validationMessage(lines));
  });
}

// ------------------------------------------------------------------------------------------------
// Messages recorded from real AWS (LocalStack's AWS-validated KMS snapshot), reproduced exactly.

test('AWS: GenerateRandom NumberOfBytes 1025', () => {
  assert.equal(validationError('GenerateRandom', { NumberOfBytes: 1025 }), one(
    "Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"));
});

test('AWS: GenerateRandom NumberOfBytes 0', () => {
  assert.equal(validationError('GenerateRandom', { NumberOfBytes: 0 }), one(
    "Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"));
});

test('AWS: CreateKey tag key longer than 128', () => {
  const key = 'a'.repeat(129);
  assert.equal(validationError('CreateKey', { Tags: [{ TagKey: key, TagValue: 'v' }] }), one(
    `Value '${key}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`));
});

test('AWS: CreateKey tag value longer than 256', () => {
  const value = 'v'.repeat(257);
  assert.equal(validationError('CreateKey', { Tags: [{ TagKey: 'k', TagValue: value }] }), one(
    `Value '${value}' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`));
});

test('AWS: Encrypt plaintext of 4097 bytes (value not echoed); 4096 accepted', () => {
  assert.equal(validationError('Encrypt', { KeyId: KEY, Plaintext: b64(4097) }), one(
    "Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"));
  const input = deserializeInput('Encrypt', { KeyId: KEY, Plaintext: b64(4096) });
  assert.ok(Buffer.isBuffer(input.Plaintext));
  assert.equal(input.Plaintext.length, 4096);
});

test('AWS: DeriveSharedSecret KeyAgreementAlgorithm enum', () => {
  assert.equal(validationError('DeriveSharedSecret', { KeyId: KEY, KeyAgreementAlgorithm: 'INVALID', PublicKey: b64(10) }), one(
    "Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ECDH]"));
});

test('enum: CreateKey KeyUsage lists the model values in model order', () => {
  // AWS printed "[ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC]" in 2023 (its own hash order,
  // before KEY_AGREEMENT existed); the wording is the same, the order is the model's.
  assert.equal(validationError('CreateKey', { KeyUsage: 'RANDOM' }), one(
    "Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: " +
    '[SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT]'));
});

test('enum: GenerateMac MacAlgorithm', () => {
  assert.equal(validationError('GenerateMac', { KeyId: KEY, Message: b64(1), MacAlgorithm: 'INVALID' }), one(
    "Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: " +
    '[HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512]'));
});

// ------------------------------------------------------------------------------------------------
// Constraint kinds.

test('required: a missing member is "Value null … Member must not be null"', () => {
  assert.equal(validationError('DescribeKey', {}), one(
    "Value null at 'keyId' failed to satisfy constraint: Member must not be null"));
});

test('required: null counts as absent', () => {
  assert.equal(validationError('DescribeKey', { KeyId: null }), one(
    "Value null at 'keyId' failed to satisfy constraint: Member must not be null"));
  assert.deepEqual(deserializeInput('ListKeys', { Limit: null, Marker: null }), {});
});

test('string length: minimum and maximum', () => {
  assert.equal(validationError('DescribeKey', { KeyId: '' }), one(
    "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1"));
  const long = 'k'.repeat(2049);
  assert.equal(validationError('DescribeKey', { KeyId: long }), one(
    `Value '${long}' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048`));
  assert.equal(deserializeInput('DescribeKey', { KeyId: 'k'.repeat(2048) }).KeyId, 'k'.repeat(2048));
});

test('several errors: counted, "; "-joined, in model member order', () => {
  assert.equal(validationError('CreateAlias', { TargetKeyId: '', AliasName: 'alias/a b' }),
    '2 validation errors detected: ' +
    "Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$; " +
    "Value '' at 'targetKeyId' failed to satisfy constraint: Member must have length greater than or equal to 1");
});

test('one value breaking several constraints yields one error each (length before pattern)', () => {
  assert.equal(validationError('DeleteAlias', { AliasName: '' }),
    '2 validation errors detected: ' +
    "Value '' at 'aliasName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
    "Value '' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
});

test('pattern: the message quotes the model (Java) pattern', () => {
  assert.equal(validationError('ReplicateKey', { KeyId: KEY, ReplicaRegion: 'mars' }), one(
    "Value 'mars' at 'replicaRegion' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$"));
  assert.equal(validationError('PutKeyPolicy', { KeyId: KEY, Policy: '{"a":"\u0100"}' }), one(
    "Value '{\"a\":\"\u0100\"}' at 'policy' failed to satisfy constraint: " +
    'Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+'));
});

test('numeric range: Limit and RotationPeriodInDays', () => {
  assert.equal(validationError('ListKeys', { Limit: 1001 }), one(
    "Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000"));
  assert.equal(validationError('EnableKeyRotation', { KeyId: KEY, RotationPeriodInDays: 89 }), one(
    "Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90"));
});

test('only model constraints: PendingWindowInDays 1..365, KeySpec with NumberOfBytes', () => {
  assert.equal(deserializeInput('ScheduleKeyDeletion', { KeyId: KEY, PendingWindowInDays: 5 }).PendingWindowInDays, 5);
  assert.equal(validationError('ScheduleKeyDeletion', { KeyId: KEY, PendingWindowInDays: 366 }), one(
    "Value '366' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 365"));
  const input = deserializeInput('GenerateDataKey', { KeyId: KEY, KeySpec: 'AES_256', NumberOfBytes: 32 });
  assert.deepEqual(input, { KeyId: KEY, NumberOfBytes: 32, KeySpec: 'AES_256' });
});

test('sensitive strings are not echoed', () => {
  assert.equal(validationError('CreateCustomKeyStore', { CustomKeyStoreName: 's', KeyStorePassword: 'short' }), one(
    "Value at 'keyStorePassword' failed to satisfy constraint: Member must have length greater than or equal to 7"));
});

test('nested structure paths, sensitive nested members', () => {
  const message = validationError('CreateCustomKeyStore', {
    CustomKeyStoreName: 's',
    XksProxyAuthenticationCredential: { AccessKeyId: 'a'.repeat(20) },
  });
  assert.equal(message, validationMessage([
    "Value at 'xksProxyAuthenticationCredential.accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[A-Z2-7]+$",
    "Value null at 'xksProxyAuthenticationCredential.rawSecretAccessKey' failed to satisfy constraint: Member must not be null",
  ]));
});

test('list of structures: required member of the 2nd element', () => {
  assert.equal(validationError('TagResource', { KeyId: KEY, Tags: [{ TagKey: 'a', TagValue: 'b' }, { TagKey: 'c' }] }), one(
    "Value null at 'tags.2.member.tagValue' failed to satisfy constraint: Member must not be null"));
});

test('list length uses the "length" wording and echoes the list', () => {
  const tokens = Array.from({ length: 11 }, (_, i) => `t${i}`);
  assert.equal(validationError('DescribeKey', { KeyId: KEY, GrantTokens: tokens }), one(
    `Value '[${tokens.join(', ')}]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10`));
  assert.deepEqual(deserializeInput('DescribeKey', { KeyId: KEY, GrantTokens: tokens.slice(0, 10) }).GrantTokens, tokens.slice(0, 10));
});

test('list of scalars: element violations are one Coral-style error on the list', () => {
  assert.equal(validationError('UntagResource', { KeyId: KEY, TagKeys: ['ok', ''] }), one(
    "Value '[ok, ]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: " +
    '[Member must have length less than or equal to 128, Member must have length greater than or equal to 1]'));
  assert.match(validationError('CreateGrant', { KeyId: KEY, Operations: ['Encrypt', 'Nope', 'Nah'] }), new RegExp(
    "^1 validation error detected: Value '\\[Encrypt, Nope, Nah\\]' at 'operations' failed to satisfy constraint: " +
    'Member must satisfy constraint: \\[Member must satisfy enum value set: \\[Decrypt, Encrypt, .*, DeriveSharedSecret\\]\\]$'));
});

test('a null list element is reported at <list>.<n>.member', () => {
  assert.equal(validationError('UntagResource', { KeyId: KEY, TagKeys: ['a', null] }), one(
    "Value null at 'tagKeys.2.member' failed to satisfy constraint: Member must not be null"));
});

// ------------------------------------------------------------------------------------------------
// Blobs.

test('blob: decoded to a Buffer', () => {
  const input = deserializeInput('Encrypt', { KeyId: KEY, Plaintext: Buffer.from('hello').toString('base64') });
  assert.deepEqual(input.Plaintext, Buffer.from('hello'));
});

test('blob: CiphertextBlob 6144 bytes accepted, 6145 rejected', () => {
  const input = deserializeInput('Decrypt', { CiphertextBlob: b64(6144) });
  assert.ok(Buffer.isBuffer(input.CiphertextBlob) && input.CiphertextBlob.length === 6144);
  assert.equal(validationError('Decrypt', { CiphertextBlob: b64(6145) }), one(
    "Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144"));
});

test('blob: empty value breaks the minimum of 1 decoded byte', () => {
  assert.equal(validationError('Encrypt', { KeyId: KEY, Plaintext: '' }), one(
    "Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1"));
});

test('blob: invalid base64 is a SerializationException', () => {
  for (const bad of ['abc$', 'A', 'AB=C', 'AAAA====', 'YW Jj', '-_-_']) {
    assert.match(serializationError('Encrypt', { KeyId: KEY, Plaintext: bad }), /can not be converted to a Blob/, bad);
  }
  assert.equal(serializationError('Decrypt', { CiphertextBlob: 12 }), 'NUMBER_VALUE can not be converted to a Blob');
});

test('blob: padded and unpadded final quanta both decode', () => {
  assert.deepEqual(deserializeInput('Encrypt', { KeyId: KEY, Plaintext: 'YWI=' }).Plaintext, Buffer.from('ab'));
  assert.deepEqual(deserializeInput('Encrypt', { KeyId: KEY, Plaintext: 'YWJj' }).Plaintext, Buffer.from('abc'));
  assert.deepEqual(deserializeInput('Encrypt', { KeyId: KEY, Plaintext: 'YQ' }).Plaintext, Buffer.from('a'));
});

// ------------------------------------------------------------------------------------------------
// Timestamps, numbers, booleans and JSON type mismatches.

const IMPORT = { KeyId: KEY, ImportToken: b64(10), EncryptedKeyMaterial: b64(10) };

test('timestamp: epoch seconds (fractional) become a Date', () => {
  const input = deserializeInput('ImportKeyMaterial', { ...IMPORT, ValidTo: 1593622000.191 });
  assert.ok(input.ValidTo instanceof Date);
  assert.equal(input.ValidTo.toISOString(), '2020-07-01T16:46:40.191Z');
});

test('timestamp: a numeric string is accepted, other strings are not', () => {
  const input = deserializeInput('ImportKeyMaterial', { ...IMPORT, ValidTo: '1.593622000191E9' });
  assert.ok(input.ValidTo instanceof Date);
  assert.equal(input.ValidTo.getTime(), 1593622000191);
  assert.equal(serializationError('ImportKeyMaterial', { ...IMPORT, ValidTo: '2020-07-01' }),
    'STRING_VALUE can not be converted to a Timestamp');
  assert.equal(serializationError('ImportKeyMaterial', { ...IMPORT, ValidTo: true }),
    'TRUE_VALUE can not be converted to a Timestamp');
});

test('integer: strings, booleans, fractions and out-of-range numbers are SerializationExceptions', () => {
  assert.equal(serializationError('GenerateRandom', { NumberOfBytes: '32' }), 'STRING_VALUE can not be converted to an Integer');
  assert.equal(serializationError('GenerateRandom', { NumberOfBytes: true }), 'TRUE_VALUE can not be converted to an Integer');
  assert.equal(serializationError('GenerateRandom', { NumberOfBytes: 1.5 }), 'NUMBER_VALUE can not be converted to an Integer');
  assert.equal(serializationError('GenerateRandom', { NumberOfBytes: 2 ** 31 }), 'NUMBER_VALUE can not be converted to an Integer');
  assert.equal(deserializeInput('GenerateRandom', { NumberOfBytes: 32.0 }).NumberOfBytes, 32);
});

test('string: number, boolean, object and array are SerializationExceptions', () => {
  assert.equal(serializationError('DescribeKey', { KeyId: 5 }), 'NUMBER_VALUE can not be converted to a String');
  assert.equal(serializationError('DescribeKey', { KeyId: false }), 'FALSE_VALUE can not be converted to a String');
  assert.equal(serializationError('DescribeKey', { KeyId: { a: 1 } }), 'Start of structure or map found where not expected.');
  assert.equal(serializationError('DescribeKey', { KeyId: ['a'] }), 'Start of list found where not expected');
});

test('boolean: must be a JSON boolean', () => {
  assert.equal(deserializeInput('CreateKey', { MultiRegion: false }).MultiRegion, false);
  assert.equal(serializationError('CreateKey', { MultiRegion: 'true' }), 'STRING_VALUE can not be converted to an Boolean');
  assert.equal(serializationError('CreateKey', { MultiRegion: 1 }), 'NUMBER_VALUE can not be converted to an Boolean');
});

test('list, structure and map given the wrong JSON type', () => {
  assert.equal(serializationError('DescribeKey', { KeyId: KEY, GrantTokens: 'tok' }), 'Expected list or null');
  assert.equal(serializationError('DescribeKey', { KeyId: KEY, GrantTokens: { a: 'b' } }), 'Start of structure or map found where not expected.');
  assert.equal(serializationError('GenerateRandom', { Recipient: 'x' }), 'Expected null');
  assert.equal(serializationError('GenerateRandom', { Recipient: [] }), 'Start of list found where not expected');
  assert.equal(serializationError('Encrypt', { KeyId: KEY, Plaintext: 'AA==', EncryptionContext: 'x' }), 'Expected map or null');
  assert.equal(serializationError('Encrypt', { KeyId: KEY, Plaintext: 'AA==', EncryptionContext: [] }), 'Start of list found where not expected');
  assert.equal(serializationError('Encrypt', { KeyId: KEY, Plaintext: 'AA==', EncryptionContext: { a: 1 } }), 'NUMBER_VALUE can not be converted to a String');
  assert.equal(serializationError('CreateKey', { Tags: ['k=v'] }), 'Expected null');
});

test('a non-object body is a SerializationException', () => {
  for (const body of [null, 'x', 3, true, undefined]) {
    assert.throws(() => deserializeInput('ListKeys', body), SerializationException);
  }
  assert.equal(serializationError('ListKeys', []), 'Start of list found where not expected');
});

test('serialization errors win over validation errors found earlier', () => {
  assert.throws(() => deserializeInput('CreateAlias', { AliasName: '', TargetKeyId: 7 }), SerializationException);
});

// ------------------------------------------------------------------------------------------------
// Output shape.

test('unknown members are dropped, known ones keep their PascalCase names', () => {
  const input = deserializeInput('CreateKey', { Description: 'd', keyUsage: 'x', Foo: { Bar: 1 }, Tags: [{ TagKey: 'k', TagValue: 'v', Extra: 1 }] });
  assert.deepEqual(input, { Description: 'd', Tags: [{ TagKey: 'k', TagValue: 'v' }] });
});

test('maps: converted entry by entry; "__proto__" stays a plain key', () => {
  const body = JSON.parse('{"KeyId":"k","Plaintext":"AA==","EncryptionContext":{"purpose":"test","__proto__":"x"}}') as unknown;
  const input = deserializeInput('Encrypt', body);
  const context = input.EncryptionContext;
  assert.ok(typeof context === 'object' && context !== null);
  assert.equal(Object.getPrototypeOf(context), Object.prototype);
  assert.deepEqual(Object.entries(context), [['purpose', 'test'], ['__proto__', 'x']]);
});

test('structures nested in lists and grant constraints convert', () => {
  const input = deserializeInput('CreateGrant', {
    KeyId: KEY, Operations: ['Decrypt'], GranteePrincipal: 'arn:aws:iam::111122223333:role/r',
    Constraints: { EncryptionContextSubset: { a: 'b' } }, DryRun: true,
  });
  assert.deepEqual(input.Constraints, { EncryptionContextSubset: { a: 'b' } });
  assert.equal(input.DryRun, true);
});

test('unknown operation', () => {
  assert.throws(() => deserializeInput('NoSuchThing', {}), UnknownOperationException);
});

test('validationMessage: singular and plural', () => {
  assert.equal(validationMessage(['a']), '1 validation error detected: a');
  assert.equal(validationMessage(['a', 'b', 'c']), '3 validation errors detected: a; b; c');
});

// ------------------------------------------------------------------------------------------------
// Java patterns and the model helpers.

test('every pattern in the model compiles', () => {
  let count = 0;
  for (const [name, shape] of Object.entries(kmsModel.shapes)) {
    if (shape.type !== 'string' || shape.pattern === undefined) continue;
    assert.doesNotThrow(() => javaPatternToRegExp(shape.pattern ?? ''), name);
    count++;
  }
  assert.equal(count, 20);
});

test('pattern translation keeps Java semantics', () => {
  const xksKeyId = javaPatternToRegExp('^[a-zA-Z0-9-_.]+$'); // "-" after a range is literal in Java
  assert.ok(xksKeyId.test('key-1_a.b'));
  assert.ok(!xksKeyId.test('key/1'));
  const description = javaPatternToRegExp('^[a-zA-Z0-9:/_\\s.-]+$'); // Java \s is ASCII only
  assert.ok(description.test('a b\tc'));
  assert.ok(!description.test('a\u00a0b'));
  const arn = javaPatternToRegExp('^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$'); // Java . excludes U+0085
  assert.ok(arn.test('arn:aws:kms:us-east-1:111122223333:key/x'));
  assert.ok(!arn.test('arn:aws:kms:us-east-1:111122223333:\u0085'));
  const account = javaPatternToRegExp('[0-9]{12}'); // unanchored in the model, whole-value match
  assert.ok(account.test('111122223333'));
  assert.ok(!account.test('x111122223333'));
  const path = javaPatternToRegExp('^(/[a-zA-Z0-9\\/_-]+/kms/xks/v\\d{1,2})$|^(/kms/xks/v\\d{1,2})$');
  assert.ok(path.test('/kms/xks/v1') && path.test('/a/b/kms/xks/v12') && !path.test('/kms/xks/v123'));
  assert.ok(javaPatternToRegExp('[\\p{L}\\p{N}_]+').test('é1_'));
  assert.throws(() => javaPatternToRegExp('[a-z&&[^b]]'));
  assert.throws(() => javaPatternToRegExp('(?i)abc'));
});

test('sensitiveMembers', () => {
  assert.deepEqual(sensitiveMembers('EncryptRequest'), ['Plaintext']);
  assert.deepEqual(sensitiveMembers('DecryptResponse'), ['Plaintext']);
  assert.deepEqual(sensitiveMembers('CreateCustomKeyStoreRequest'), ['KeyStorePassword', 'XksProxyAuthenticationCredential']);
  assert.deepEqual(sensitiveMembers('XksProxyAuthenticationCredentialType'), ['AccessKeyId', 'RawSecretAccessKey']);
  assert.deepEqual(sensitiveMembers('DescribeKeyRequest'), []);
  assert.deepEqual(sensitiveMembers('KeyIdType'), []);
});

test('an over-long value is echoed clipped: a 1 MiB KeyId does not come back whole', () => {
  const err = (() => { try { deserializeInput('DescribeKey', { KeyId: 'k'.repeat(1_048_000) }); } catch (e) { return e as Error; } return undefined; })();
  assert.ok(err);
  assert.ok(err.message.length < 9000, `message of ${err.message.length} characters`);
  assert.match(err.message, /k…\(1048000 characters\)' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048$/);
});
