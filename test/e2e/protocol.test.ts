/**
 * End-to-end tests of the AWS JSON 1.1 wire behaviour (reference §1): answer shapes, error bodies,
 * SigV4 authentication failures, routing and parsing errors, and robustness against garbage, all
 * through hand-made requests to a real server process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { CreateKeyCommand, DescribeKeyCommand } from '@aws-sdk/client-kms';
import { kmsModel } from '../../src/wire/model.ts';
import { REGION, removeDataDir, startCoffer, type Coffer, type RawRequest } from './harness.ts';
import { prng } from '../support/prng.ts';

let coffer: Coffer;
before(async () => { coffer = await startCoffer(); });
after(async () => {
  await coffer.stop();
  removeDataDir(coffer.dataDir);
});

const JSON_11 = 'application/x-amz-json-1.1';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

type Reply = Awaited<ReturnType<Coffer['raw']>>;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Why a body looks like it leaks internals (stack frames, source paths), or undefined. */
function leak(body: string): string | undefined {
  if (/(^|\\n|\n)\s*at [^\n]*[(:]/.test(body)) return 'stack frame';
  if (/\.(ts|js|mjs|cjs)(:\d+|\b)/.test(body) && /[/\\](src|node_modules|work|tmp)[/\\]/.test(body)) return 'file path';
  if (/[/\\]src[/\\][\w-]+[/\\]/.test(body)) return 'file path';
  return undefined;
}

/** Every `null` anywhere in a parsed JSON value, as paths. */
function nullPaths(v: Json, path = '$'): string[] {
  if (v === null) return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => nullPaths(x, `${path}[${i}]`));
  if (typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => nullPaths(x, `${path}.${k}`));
  return [];
}

function assertRequestId(r: Reply, what = ''): void {
  const id = r.headers.get('x-amzn-requestid');
  assert.ok(id !== null, `x-amzn-requestid present ${what}`);
  assert.match(id, UUID_RE, `x-amzn-requestid is a uuid ${what}`);
}

/** A successful answer: 200, JSON 1.1, request id, an object body without nulls. */
function assertSuccess(r: Reply): Record<string, Json> {
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers.get('content-type'), JSON_11);
  assertRequestId(r);
  const parsed = JSON.parse(r.body) as Json;
  assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), 'body is a JSON object');
  assert.deepEqual(nullPaths(parsed), [], 'no null members');
  return parsed;
}

/**
 * An error answer: the status, JSON 1.1, a request id, and a body that is exactly `{"__type"}` or
 * `{"__type", "message"}`. `message`: the exact text or a pattern (then the member must be there);
 * `null`: there must be no message member; undefined: a message member is optional (AWS omits it for
 * some un-modeled errors, e.g. `{"__type":"UnknownOperationException"}`, aws/aws-sdk-net#1536).
 */
function assertError(r: Reply, status: number, type: string, message?: string | RegExp | null): string | undefined {
  assert.equal(r.status, status, `status of ${r.body}`);
  assert.equal(r.headers.get('content-type'), JSON_11);
  assertRequestId(r, r.body);
  assert.equal(leak(r.body), undefined, r.body);
  const parsed = JSON.parse(r.body) as Record<string, unknown>;
  assert.equal(parsed.__type, type, r.body);
  const keys = Object.keys(parsed).sort();
  if (message === null) {
    assert.deepEqual(keys, ['__type'], r.body);
    return undefined;
  }
  if (message === undefined && !('message' in parsed)) {
    assert.deepEqual(keys, ['__type'], r.body);
    return undefined;
  }
  assert.deepEqual(keys, ['__type', 'message'], r.body);
  assert.equal(typeof parsed.message, 'string');
  const text = String(parsed.message);
  if (typeof message === 'string') assert.equal(text, message);
  else if (message instanceof RegExp) assert.match(text, message);
  return text;
}

/** SigV4 headers for a request, from a signer the test controls (to send something else afterwards). */
async function signHeaders(body: string, target: string, opts: { applyChecksum?: boolean } = {}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: coffer.credentials, region: REGION, service: 'kms', sha256: Sha256, applyChecksum: opts.applyChecksum ?? true,
  });
  const signed = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: coffer.port, path: '/', body,
    headers: { host: `127.0.0.1:${coffer.port}`, 'content-type': JSON_11, 'x-amz-target': `TrentService.${target}` },
  });
  return signed.headers as Record<string, string>;
}

async function createKey(): Promise<{ id: string; arn: string; metadata: Record<string, Json> }> {
  const out = assertSuccess(await coffer.raw({ target: 'CreateKey', body: '{}' }));
  const m = out.KeyMetadata;
  assert.ok(m !== null && typeof m === 'object' && !Array.isArray(m));
  assert.equal(typeof m.KeyId, 'string');
  assert.equal(typeof m.Arn, 'string');
  return { id: String(m.KeyId), arn: String(m.Arn), metadata: m };
}

// ------------------------------------------------------------------------------------------------
// Success answers

test('success: 200, JSON 1.1, a request id, timestamps as epoch-second numbers, no nulls', async () => {
  const before = Date.now() / 1000;
  const { metadata } = await createKey();
  const created = metadata.CreationDate;
  assert.equal(typeof created, 'number', 'CreationDate is a JSON number');
  assert.ok(Number(created) >= before - 5 && Number(created) <= Date.now() / 1000 + 5, `CreationDate ${String(created)} is epoch seconds`);
  assert.equal(metadata.Enabled, true);
  assert.equal(metadata.KeyState, 'Enabled');
  assert.deepEqual(metadata.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
  for (const absent of ['DeletionDate', 'ValidTo', 'PendingDeletionWindowInDays', 'MultiRegionConfiguration']) {
    assert.equal(absent in metadata, false, `${absent} is omitted, not null`);
  }
});

test('success: ScheduleKeyDeletion DeletionDate is epoch seconds 7 days ahead', async () => {
  const { id, arn } = await createKey();
  const out = assertSuccess(await coffer.raw({ target: 'ScheduleKeyDeletion', body: JSON.stringify({ KeyId: id, PendingWindowInDays: 7 }) }));
  assert.equal(out.KeyId, arn);
  assert.equal(typeof out.DeletionDate, 'number');
  const expected = Date.now() / 1000 + 7 * 86400;
  assert.ok(Math.abs(Number(out.DeletionDate) - expected) < 120, `DeletionDate ${String(out.DeletionDate)} ≈ ${expected}`);
});

test('success: blobs are standard padded base64', async () => {
  const { id, arn } = await createKey();
  const plaintext = Buffer.from([0xfb, 0xff, 0xfe, 0x00, 0x3e, 0x3f]); // bytes whose base64 uses '+', '/' and padding
  const enc = assertSuccess(await coffer.raw({ target: 'Encrypt', body: JSON.stringify({ KeyId: id, Plaintext: plaintext.toString('base64') }) }));
  assert.deepEqual(Object.keys(enc).sort(), ['CiphertextBlob', 'EncryptionAlgorithm', 'KeyId']);
  assert.equal(enc.KeyId, arn);
  const blob = String(enc.CiphertextBlob);
  assert.match(blob, BASE64_RE);
  assert.equal(Buffer.from(blob, 'base64').toString('base64'), blob);

  const dec = assertSuccess(await coffer.raw({ target: 'Decrypt', body: JSON.stringify({ CiphertextBlob: blob }) }));
  assert.equal(dec.Plaintext, plaintext.toString('base64'));
  assert.equal(dec.Plaintext, '+//+AD4/');

  for (const n of [1, 2, 3, 4, 5]) {
    const r = assertSuccess(await coffer.raw({ target: 'GenerateRandom', body: JSON.stringify({ NumberOfBytes: n }) }));
    const p = String(r.Plaintext);
    assert.match(p, BASE64_RE);
    assert.equal(p.length, Math.ceil(n / 3) * 4, `padded base64 of ${n} bytes`);
    assert.equal(Buffer.from(p, 'base64').length, n);
  }
});

test('success: operations without output (DisableKey, EnableKey, TagResource) answer 200 with an empty body', async () => {
  const { id } = await createKey();
  for (const [target, body] of [
    ['DisableKey', { KeyId: id }], ['EnableKey', { KeyId: id }], ['TagResource', { KeyId: id, Tags: [{ TagKey: 'k', TagValue: 'v' }] }],
  ] as const) {
    const r = await coffer.raw({ target, body: JSON.stringify(body) });
    assert.equal(r.status, 200, `${target}: ${r.body}`);
    assert.equal(r.body, '', target);
    assert.equal(r.headers.get('content-type'), JSON_11);
    assertRequestId(r, target);
  }
});

test('success: every answer has its own request id', async () => {
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const r = await coffer.raw({ target: 'GenerateRandom', body: '{"NumberOfBytes":4}' });
    ids.add(r.headers.get('x-amzn-requestid') ?? '');
  }
  assert.equal(ids.size, 5);
});

test('success: unknown members are ignored', async () => {
  const out = assertSuccess(await coffer.raw({
    target: 'GenerateRandom', body: JSON.stringify({ NumberOfBytes: 16, Bogus: { deep: [1, null, 'x'] }, numberOfBytes: 'nope', __proto__x: 1 }),
  }));
  assert.equal(Buffer.from(String(out.Plaintext), 'base64').length, 16);
});

// ------------------------------------------------------------------------------------------------
// Error answers

test('errors: client errors are 400 with exactly {"__type","message"}', async () => {
  const missing = '00000000-0000-4000-8000-000000000000';
  assertError(await coffer.raw({ target: 'DescribeKey', body: JSON.stringify({ KeyId: missing }) }), 400, 'NotFoundException', /^Key 'arn:aws:kms:us-east-1:\d{12}:key\/00000000-0000-4000-8000-000000000000' does not exist$/);
  assertError(await coffer.raw({ target: 'GenerateRandom', body: '{"NumberOfBytes":0}' }), 400, 'ValidationException',
    "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1");
  assertError(await coffer.raw({ target: 'Encrypt', body: '{}' }), 400, 'ValidationException', /^2 validation errors detected: /);
  const { id, arn } = await createKey();
  assertError(await coffer.raw({ target: 'Encrypt', body: JSON.stringify({ KeyId: id, Plaintext: 'AA==', DryRun: true }) }), 400, 'DryRunOperationException',
    'The request would have succeeded, but the DryRun option is set.');
  assertError(await coffer.raw({ target: 'Sign', body: JSON.stringify({ KeyId: id, Message: 'AA==', SigningAlgorithm: 'ECDSA_SHA_256' }) }), 400, 'InvalidKeyUsageException',
    `${arn} key usage is ENCRYPT_DECRYPT which is not valid for Sign.`);
  assertError(await coffer.raw({ target: 'CreateGrant', body: JSON.stringify({ KeyId: id, GranteePrincipal: 'x', Operations: ['Decrypt'] }) }), 400, 'InvalidArnException', /GranteePrincipal/);
});

test('errors: InvalidCiphertextException carries only __type', async () => {
  const r = await coffer.raw({ target: 'Decrypt', body: JSON.stringify({ CiphertextBlob: randomBytes(150).toString('base64') }) });
  assertError(r, 400, 'InvalidCiphertextException', null);
  assert.equal(r.body, '{"__type":"InvalidCiphertextException"}');
});

// ------------------------------------------------------------------------------------------------
// Authentication

test('auth: no Authorization header is MissingAuthenticationTokenException (403)', async () => {
  assertError(await coffer.raw({ target: 'ListKeys', body: '{}', sign: false }), 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
});

test('auth: an unknown access key is UnrecognizedClientException', async () => {
  const r = await coffer.raw({ target: 'ListKeys', credentials: { accessKeyId: 'AKIAUNKNOWN000000001', secretAccessKey: coffer.credentials.secretAccessKey } });
  assertError(r, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
});

test('auth: a wrong secret is InvalidSignatureException', async () => {
  const r = await coffer.raw({ target: 'ListKeys', credentials: { accessKeyId: coffer.credentials.accessKeyId, secretAccessKey: 'wrong-secret-key-0123456789abcdefghijkl' } });
  assertError(r, 400, 'InvalidSignatureException', MISMATCH);
});

test('auth: a body changed after signing is InvalidSignatureException (with and without x-amz-content-sha256)', async () => {
  const signedBody = '{"NumberOfBytes":8}';
  const tampered = '{"NumberOfBytes":9}';
  const withHash = await signHeaders(signedBody, 'GenerateRandom');
  assert.ok('x-amz-content-sha256' in withHash);
  assertError(await coffer.raw({ sign: false, headers: withHash, body: tampered }), 400, 'InvalidSignatureException');
  const withoutHash = await signHeaders(signedBody, 'GenerateRandom', { applyChecksum: false });
  assert.equal('x-amz-content-sha256' in withoutHash, false);
  assertError(await coffer.raw({ sign: false, headers: withoutHash, body: tampered }), 400, 'InvalidSignatureException', MISMATCH);
  // The same headers with the signed body are accepted: the failures above are the tampering.
  assertSuccess(await coffer.raw({ sign: false, headers: withoutHash, body: signedBody }));
  assertSuccess(await coffer.raw({ sign: false, headers: withHash, body: signedBody }));
});

test('auth: a signed header changed after signing (X-Amz-Target) is InvalidSignatureException', async () => {
  const body = '{"NumberOfBytes":8}';
  const headers = await signHeaders(body, 'GenerateRandom', { applyChecksum: false });
  assertError(await coffer.raw({ sign: false, headers: { ...headers, 'x-amz-target': 'TrentService.ListKeys' }, body }), 400, 'InvalidSignatureException', MISMATCH);
});

test('auth: a captured request signed over host;x-amz-date only cannot be retargeted (DescribeKey → DisableKey): every x-amz-* header and content-type must be signed', async () => {
  const { KeyMetadata } = await coffer.client().send(new CreateKeyCommand({}));
  const keyId = KeyMetadata?.KeyId as string;
  const body = JSON.stringify({ KeyId: keyId });
  // What an eavesdropper saw: a DescribeKey whose signature covers only host and x-amz-date.
  const signed = await new SignatureV4({ credentials: coffer.credentials, region: REGION, service: 'kms', sha256: Sha256 }).sign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: coffer.port, path: '/', headers: { host: `127.0.0.1:${coffer.port}` }, body },
  );
  const captured = { ...(signed.headers as Record<string, string>), 'content-type': JSON_11 };
  for (const target of ['TrentService.DescribeKey', 'TrentService.DisableKey']) {
    const r = await coffer.raw({ sign: false, headers: { ...captured, 'x-amz-target': target }, body });
    assertError(r, 400, 'InvalidSignatureException', /not signed: (content-type|x-amz-target)$/);
  }
  const d = await coffer.client().send(new DescribeKeyCommand({ KeyId: keyId }));
  assert.equal(d.KeyMetadata?.KeyState, 'Enabled', 'the key was not disabled');
  // The same holds on the IAM/STS (Query) side of the endpoint.
  const form = 'Action=GetCallerIdentity&Version=2011-06-15';
  const sts = await new SignatureV4({ credentials: coffer.credentials, region: REGION, service: 'sts', sha256: Sha256 }).sign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: coffer.port, path: '/', headers: { host: `127.0.0.1:${coffer.port}` }, body: form },
  );
  const q = await coffer.raw({ sign: false, headers: { ...(sts.headers as Record<string, string>), 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  assert.equal(q.status, 403);
  assert.match(q.body, /<Code>SignatureDoesNotMatch<\/Code><Message>There were headers present in the request which were not signed: content-type<\/Message>/);
});

test('routing: the SigV4 credential scope picks the API: a KMS-scoped request with a form content type gets a KMS JSON error, an STS-scoped one with JSON an XML error', async () => {
  const kms = await coffer.raw({ target: 'ListKeys', body: 'Action=ListUsers', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.ok(kms.status >= 400 && kms.status < 500, `4xx: ${kms.status}`);
  assertError(kms, kms.status, 'UnsupportedMediaTypeException', /\S/);
  const sts = await coffer.raw({ service: 'sts', body: '{"Action":"GetCallerIdentity"}' });
  assert.ok(sts.status >= 400 && sts.status < 500, `4xx: ${sts.status}`);
  assert.match(sts.headers.get('content-type') ?? '', /xml/);
  assert.match(sts.body, /^<ErrorResponse[\s\S]*<Code>\w+<\/Code>/);
  const ct = await coffer.raw({ service: 'cloudtrail', target: 'ListKeys' });
  assertError(ct, ct.status, 'UnknownOperationException');
});

test('auth: X-Amz-Date 10 minutes old or ahead is InvalidSignatureException', async () => {
  const old = await coffer.raw({ target: 'ListKeys', signingDate: new Date(Date.now() - 10 * 60_000) });
  assertError(old, 400, 'InvalidSignatureException', /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z/);
  const ahead = await coffer.raw({ target: 'ListKeys', signingDate: new Date(Date.now() + 10 * 60_000) });
  assertError(ahead, 400, 'InvalidSignatureException', /^Signature not yet current: /);
  // 2 minutes of skew is within AWS's 5-minute window.
  assertSuccess(await coffer.raw({ target: 'ListKeys', signingDate: new Date(Date.now() - 2 * 60_000) }));
});

test('auth: a credential scope for a region that is no region name (or another partition\'s) or another service is InvalidSignatureException', async () => {
  // Every region name of the aws partition is served by default (COFFER_REGIONS=any).
  assertError(await coffer.raw({ target: 'ListKeys', region: 'mars' }), 400, 'InvalidSignatureException', /region/);
  assertError(await coffer.raw({ target: 'ListKeys', region: 'cn-north-1' }), 400, 'InvalidSignatureException', /region/);
  assertSuccess(await coffer.raw({ target: 'ListKeys', region: 'eu-west-1' }));
  assertSuccess(await coffer.raw({ target: 'ListKeys', region: 'ap-south-1' }));
  assertError(await coffer.raw({ target: 'ListKeys', service: 's3' }), 400, 'InvalidSignatureException', /service/);
});

test('auth: a garbage or incomplete Authorization header is IncompleteSignatureException', async () => {
  for (const authorization of [
    'garbage',
    'AWS4-HMAC-SHA256',
    'AWS4-HMAC-SHA256 Credential=AKIATESTROOT0000001/20240101/us-east-1/kms/aws4_request',
    'Bearer abc.def.ghi',
  ]) {
    const r = await coffer.raw({ target: 'ListKeys', sign: false, headers: { authorization, 'x-amz-date': '20240101T000000Z' } });
    assertError(r, 400, 'IncompleteSignatureException', /\S/);
  }
});

// ------------------------------------------------------------------------------------------------
// Routing and parsing

test('routing: an unknown, missing or foreign X-Amz-Target is UnknownOperationException', async () => {
  const replies = [
    await coffer.raw({ target: 'Nope', body: '{}' }),
    await coffer.raw({ body: '{}' }),
    await coffer.raw({ body: '{}', headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' } }),
    await coffer.raw({ body: '{}', headers: { 'x-amz-target': 'ListKeys' } }),
    await coffer.raw({ body: '{}', headers: { 'x-amz-target': 'TrentService.' } }),
    await coffer.raw({ body: '{}', headers: { 'x-amz-target': 'TrentService.__proto__' } }),
    await coffer.raw({ body: '{}', headers: { 'x-amz-target': 'TrentService.constructor' } }),
  ];
  for (const r of replies) {
    assert.ok(r.status >= 400 && r.status < 500, `4xx: ${r.status}`);
    assertError(r, r.status, 'UnknownOperationException');
  }
});

test('parsing: malformed JSON, non-object bodies and wrong member types are SerializationException', async () => {
  for (const body of ['{', '{"NumberOfBytes":', 'not json', '{"NumberOfBytes":8}}', '\u0000']) {
    assertError(await coffer.raw({ target: 'GenerateRandom', body }), 400, 'SerializationException');
  }
  for (const body of ['[]', '[{"NumberOfBytes":8}]']) {
    assertError(await coffer.raw({ target: 'GenerateRandom', body }), 400, 'SerializationException', 'Start of list found where not expected');
  }
  for (const body of ['"a string"', '12', 'true', 'null']) {
    assertError(await coffer.raw({ target: 'GenerateRandom', body }), 400, 'SerializationException');
  }
  assertError(await coffer.raw({ target: 'GenerateRandom', body: '{"NumberOfBytes":"12"}' }), 400, 'SerializationException', 'STRING_VALUE can not be converted to an Integer');
  assertError(await coffer.raw({ target: 'GenerateRandom', body: '{"NumberOfBytes":12.5}' }), 400, 'SerializationException');
  assertError(await coffer.raw({ target: 'GenerateRandom', body: '{"NumberOfBytes":[12]}' }), 400, 'SerializationException');
  assertError(await coffer.raw({ target: 'DescribeKey', body: '{"KeyId":42}' }), 400, 'SerializationException', 'NUMBER_VALUE can not be converted to a String');
  assertError(await coffer.raw({ target: 'Encrypt', body: '{"KeyId":"alias/x","Plaintext":"AA==","DryRun":"true"}' }), 400, 'SerializationException');
  assertError(await coffer.raw({ target: 'Encrypt', body: '{"KeyId":"alias/x","Plaintext":"AA==","EncryptionContext":["a"]}' }), 400, 'SerializationException');
  assertError(await coffer.raw({ target: 'Encrypt', body: '{"KeyId":"alias/x","Plaintext":"AA==","EncryptionContext":{"a":1}}' }), 400, 'SerializationException');
});

test('parsing: invalid base64 in a blob member is SerializationException', async () => {
  const { id } = await createKey();
  for (const plaintext of ['***', 'A', 'AAAAA', 'A===', 'AB=C', '@@@@', 'aGVsbG8=x', 'aGVs bG8=']) {
    const r = await coffer.raw({ target: 'Encrypt', body: JSON.stringify({ KeyId: id, Plaintext: plaintext }) });
    assertError(r, 400, 'SerializationException', /plaintext|Base64/i);
  }
  assertError(await coffer.raw({ target: 'Encrypt', body: JSON.stringify({ KeyId: id, Plaintext: 5 }) }), 400, 'SerializationException');
});

test('parsing: invalid UTF-8 and unpaired surrogate escapes are SerializationException; real Unicode is fine', async () => {
  const { id } = await createKey();
  const invalidUtf8 = Buffer.concat([Buffer.from(`{"KeyId":"${id}","Plaintext":"AA==","EncryptionContext":{"k":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
  assertError(await coffer.raw({ target: 'Encrypt', body: invalidUtf8 }), 400, 'SerializationException', /\S/);
  for (const ec of ['{"\\ud800":"v"}', '{"k":"\\udc00"}', '{"k":"a\\uDBFFb"}']) {
    const body = `{"KeyId":"${id}","Plaintext":"AA==","EncryptionContext":${ec}}`;
    assertError(await coffer.raw({ target: 'Encrypt', body }), 400, 'SerializationException', /\S/);
  }
  assertError(await coffer.raw({ target: 'CreateKey', body: '{"Description":"x\\ud800"}' }), 400, 'SerializationException', /\S/);
  // A surrogate pair written as escapes, and an escaped backslash before "ud800", are ordinary text.
  const enc = assertSuccess(await coffer.raw({
    target: 'Encrypt', body: `{"KeyId":"${id}","Plaintext":"AA==","EncryptionContext":{"\\ud83d\\udd11":"\\\\ud800","ü":"🗝"}}`,
  }));
  const dec = assertSuccess(await coffer.raw({
    target: 'Decrypt', body: JSON.stringify({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { '🔑': '\\ud800', 'ü': '🗝' } }),
  }));
  assert.equal(dec.Plaintext, 'AA==');
});

test('parsing: an unsupported content type is a 4xx AWS-shaped error', async () => {
  for (const contentType of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
    const r = await coffer.raw({ target: 'ListKeys', body: '{}', headers: { 'content-type': contentType } });
    assert.ok(r.status >= 400 && r.status < 500, `${contentType}: ${r.status}`);
    assertError(r, r.status, 'UnsupportedMediaTypeException', /\S/);
  }
  // JSON 1.0 and a charset parameter are fine.
  assertSuccess(await coffer.raw({ target: 'ListKeys', body: '{}', headers: { 'content-type': 'application/x-amz-json-1.0' } }));
  assertSuccess(await coffer.raw({ target: 'ListKeys', body: '{}', headers: { 'content-type': `${JSON_11}; charset=utf-8` } }));
});

test('parsing: a body over 1 MiB is 413; a body of exactly 1 MiB is read; the server keeps answering', async () => {
  const MiB = 1024 * 1024;
  for (const size of [MiB + 1, 3 * MiB]) {
    const r = await coffer.raw({ target: 'GenerateRandom', body: Buffer.alloc(size, 0x20), sign: false });
    assertError(r, 413, 'RequestEntityTooLargeException', /\S/);
    assertSuccess(await coffer.raw({ target: 'GenerateRandom', body: '{"NumberOfBytes":8}' }));
  }
  const json = '{"NumberOfBytes":8}';
  const exact = json + ' '.repeat(MiB - json.length);
  assert.equal(Buffer.byteLength(exact), MiB);
  const out = assertSuccess(await coffer.raw({ target: 'GenerateRandom', body: exact }));
  assert.equal(Buffer.from(String(out.Plaintext), 'base64').length, 8);
});

test('GET /health answers 200 {"status":"ok"}', async () => {
  const r = await fetch(`${coffer.endpoint}/health`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ok' });
});

// ------------------------------------------------------------------------------------------------
// Robustness

test('robustness: ~200 garbage requests never get a 5xx or a malformed answer', async () => {
  const seed = Number(process.env.COFFER_FUZZ_SEED ?? 20240611);
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const bytesOf = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  const operations = Object.keys(kmsModel.operations);
  const membersOf = (op: string): string[] => {
    const input = kmsModel.operations[op]?.input;
    const shape = input === undefined ? undefined : kmsModel.shapes[input];
    return shape?.type === 'structure' ? Object.keys(shape.members) : [];
  };

  // A real key and alias in the pool, so some requests get past key resolution.
  const key = await createKey();
  const alias = `alias/fuzz-${process.pid}`;
  assert.equal((await coffer.raw({ target: 'CreateAlias', body: JSON.stringify({ AliasName: alias, TargetKeyId: key.id }) })).status, 200);
  const strings = [
    '', ' ', 'a', key.id, key.arn, alias, `arn:aws:kms:${REGION}:111122223333:${alias}`, 'alias/aws/ebs', 'arn:aws:kms:::', 'arn:',
    'SYMMETRIC_DEFAULT', 'RSA_2048', 'ENCRYPT_DECRYPT', 'IGNORE_CIPHERTEXT', 'AAAA', 'AA==', '====', 'null', 'true', '0', '-1', '1e400',
    '\u0000', '\ud800', '\udfff\ud800', '🔑🗝️', 'ünïcödé', '\u202e\u200b', '%00%ff', '../../etc/passwd', '<script>', "'\"\\", '__proto__',
    '{"Version":"2012-10-17","Statement":[]}', bytesOf(48).toString('base64'), 'x'.repeat(5000),
  ];
  const numbers = [0, 1, -1, 7, 30, 1024, 1025, 4096, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1.5, -0, 1e308, Number.MIN_VALUE];

  const value = (depth: number): Json => {
    switch (int(depth > 3 ? 4 : 7)) {
      case 0: return null;
      case 1: return rnd() < 0.5;
      case 2: return pick(numbers);
      case 3: return pick(strings);
      case 4: return Array.from({ length: int(4) }, () => value(depth + 1));
      case 5: {
        const o: Record<string, Json> = {};
        for (let i = int(4); i > 0; i--) o[pick(['k', '__proto__', 'constructor', 'TagKey', 'TagValue', 'KeyEncryptionAlgorithm', pick(strings)])] = value(depth + 1);
        return o;
      }
      default: return pick(strings) + pick(strings);
    }
  };
  const jsonBody = (op: string): string => {
    const o: Record<string, Json> = {};
    for (const m of membersOf(op)) if (rnd() < 0.6) o[m] = value(0);
    if (rnd() < 0.2) o[pick(strings)] = value(0);
    return JSON.stringify(o);
  };
  const deep = (n: number, open: string, close: string, inner: string): string => open.repeat(n) + inner + close.repeat(n);

  const requests: Array<{ what: string; req: RawRequest }> = [];
  const add = (what: string, req: RawRequest): void => { requests.push({ what, req }); };
  for (let i = 0; i < 140; i++) {
    const op = pick(operations);
    add(`model-shaped ${op} #${i}`, { target: op, body: jsonBody(op) });
  }
  for (let i = 0; i < 20; i++) add(`random bytes #${i}`, { target: pick(operations), body: bytesOf(int(3000)) });
  for (let i = 0; i < 10; i++) {
    const printable = Array.from({ length: 1 + int(40) }, () => String.fromCharCode(0x21 + int(94))).join('');
    add(`random target #${i}`, { body: '{}', headers: { 'x-amz-target': pick([printable, `TrentService.${printable}`, `${printable}.ListKeys`]) } });
  }
  for (const op of ['Encrypt', 'CreateKey', 'TagResource', 'PutKeyPolicy', 'ListKeys']) {
    add(`${op}: 10000 nested arrays as the body`, { target: op, body: deep(10_000, '[', ']', '') });
    add(`${op}: 10000 nested objects as the body`, { target: op, body: deep(10_000, '{"a":', '}', '1') });
    add(`${op}: 100000 nested arrays in every member`, {
      target: op, body: `{${membersOf(op).map((m) => `"${m}":${deep(100_000, '[', ']', '')}`).join(',')}}`,
    });
    add(`${op}: 10000 nested objects in every member`, {
      target: op, body: `{${membersOf(op).map((m) => `"${m}":${deep(10_000, '{"a":', '}', 'null')}`).join(',')}}`,
    });
  }
  add('huge KeyId', { target: 'Encrypt', body: JSON.stringify({ KeyId: 'k'.repeat(900_000), Plaintext: 'AA==' }) });
  add('huge Description', { target: 'CreateKey', body: JSON.stringify({ Description: 'd'.repeat(900_000) }) });
  add('huge Policy', { target: 'PutKeyPolicy', body: JSON.stringify({ KeyId: key.id, PolicyName: 'default', Policy: 'p'.repeat(900_000) }) });
  add('huge EncryptionContext', { target: 'Encrypt', body: JSON.stringify({ KeyId: key.id, Plaintext: 'AA==', EncryptionContext: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v'.repeat(20)])) }) });
  add('many tags', { target: 'TagResource', body: JSON.stringify({ KeyId: key.id, Tags: Array.from({ length: 10_000 }, (_, i) => ({ TagKey: `t${i}`, TagValue: 'v' })) }) });
  add('nulls everywhere', { target: 'Encrypt', body: '{"KeyId":null,"Plaintext":null,"EncryptionContext":{"a":null},"GrantTokens":[null],"DryRun":null}' });
  add('null members of a real request', { target: 'GenerateDataKey', body: JSON.stringify({ KeyId: key.id, NumberOfBytes: 16, KeySpec: null, EncryptionContext: null, Recipient: null }) });
  add('invalid UTF-8 in a string', { target: 'DescribeKey', body: Buffer.concat([Buffer.from('{"KeyId":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]) });
  add('lone surrogates', { target: 'Encrypt', body: '{"KeyId":"\\ud800","Plaintext":"AA==","EncryptionContext":{"\\udc00":"\\ud800"}}' });
  add('lone surrogate context on a real key', { target: 'Encrypt', body: `{"KeyId":"${key.id}","Plaintext":"AA==","EncryptionContext":{"\\udc00":"\\ud800"}}` });
  add('__proto__ context on a real key', { target: 'Encrypt', body: `{"KeyId":"${key.id}","Plaintext":"AA==","EncryptionContext":{"__proto__":{"x":"y"}}}` });
  add('UTF-8 BOM', { target: 'ListKeys', body: '\ufeff{}' });
  add('duplicate members', { target: 'GenerateRandom', body: '{"NumberOfBytes":8,"NumberOfBytes":"x"}' });
  add('huge number', { target: 'GenerateRandom', body: `{"NumberOfBytes":1${'0'.repeat(400)}}` });
  add('NaN-like number', { target: 'ListKeys', body: '{"Limit":NaN}' });
  add('empty body', { target: 'ListKeys', body: '' });
  add('whitespace body', { target: 'ListKeys', body: ' \n\t ' });

  const failures: string[] = [];
  const started = Date.now();
  for (let i = 0; i < requests.length; i += 8) {
    await Promise.all(requests.slice(i, i + 8).map(async ({ what, req }) => {
      let r: Reply;
      try {
        r = await coffer.raw(req);
      } catch (e) {
        failures.push(`${what}: request failed: ${String(e)}`);
        return;
      }
      const problem = ((): string | undefined => {
        if (!UUID_RE.test(r.headers.get('x-amzn-requestid') ?? '')) return 'no request id';
        if (leak(r.body) !== undefined) return `leaks ${leak(r.body)}`;
        if (r.status === 200) {
          if (r.body === '') return undefined;
          const parsed = JSON.parse(r.body) as Json;
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'success body is not an object';
          return nullPaths(parsed).length > 0 ? `nulls at ${nullPaths(parsed).join(', ')}` : undefined;
        }
        if (r.status < 400 || r.status >= 500) return `status ${r.status}`;
        if (r.headers.get('content-type') !== JSON_11) return `content-type ${r.headers.get('content-type')}`;
        let parsed: unknown;
        try { parsed = JSON.parse(r.body); } catch { return 'error body is not JSON'; }
        if (parsed === null || typeof parsed !== 'object') return 'error body is not an object';
        const keys = Object.keys(parsed);
        const type = (parsed as Record<string, unknown>).__type;
        const message = (parsed as Record<string, unknown>).message;
        if (typeof type !== 'string' || !/^[A-Za-z]+$/.test(type)) return 'no __type';
        if (!keys.every((k) => k === '__type' || k === 'message')) return `extra members ${keys.join(',')}`;
        if (message !== undefined && typeof message !== 'string') return 'message is not a string';
        return undefined;
      })();
      if (problem !== undefined) failures.push(`${what}: ${problem}: ${r.status} ${r.body.slice(0, 300)}`);
    }));
  }
  assert.deepEqual(failures, [], `seed ${seed}`);
  assert.ok(requests.length >= 200, `${requests.length} requests`);
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);

  const health = await fetch(`${coffer.endpoint}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  assertSuccess(await coffer.raw({ target: 'GenerateRandom', body: '{"NumberOfBytes":8}' }));
  assert.doesNotMatch(coffer.output(), /unexpected error|request failed/, 'the server logged no unexpected error');
});

test('only POST / is the KMS endpoint: another method or path is UnknownOperationException', async () => {
  assertError(await coffer.raw({ target: 'ListKeys', method: 'PUT' }), 400, 'UnknownOperationException');
  assertError(await coffer.raw({ target: 'ListKeys', path: '/keys' }), 400, 'UnknownOperationException');
  assertSuccess(await coffer.raw({ target: 'ListKeys' }));
});
