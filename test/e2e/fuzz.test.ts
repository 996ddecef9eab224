/**
 * The black-box fuzz run: 3000 malformed requests, signed and unsigned, aimed at every API the
 * endpoint answers (KMS and CloudTrail in JSON 1.1, IAM and STS in the Query protocol), with
 * wrong scopes, content types, targets, actions, methods, paths and bodies. Every one is answered
 * (no reset), none with a 5xx, each in the error shape of the API its credential scope (or, without
 * one, its target or content type) names, with a request id; the server keeps serving afterwards.
 * COFFER_FUZZ_SEED reproduces a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { kmsModel } from '../../src/wire/model.ts';
import { iamModel, stsModel } from '../../src/wire/query-model.ts';
import { REGION, serverForFile, type Coffer } from './harness.ts';
import { prng } from '../support/prng.ts';

let coffer: Coffer;
serverForFile({}, (c) => { coffer = c; });

const REQUESTS = 3000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const QUERY_ERROR = /^<ErrorResponse xmlns="https:\/\/(iam|sts)\.amazonaws\.com\/doc\/\d{4}-\d{2}-\d{2}\/"><Error><Type>(Sender|Receiver)<\/Type><Code>[A-Za-z.]+<\/Code><Message>[^<]*<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/;
const CLOUDTRAIL = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';

interface Case {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer;
  /** Sign for this service (undefined: send unsigned). */
  readonly service: string | undefined;
  readonly region: string;
}

/** The API whose error shape the answer must have: the scope's, else the target's, else the content type's. */
function expectedApi(c: Case): 'json' | 'query' {
  const scope = c.service;
  if (scope === 'kms' || scope === 'cloudtrail') return 'json';
  if (scope === 'iam' || scope === 'sts') return 'query';
  const target = c.headers['x-amz-target'] ?? '';
  if (target.startsWith('TrentService.') || target.startsWith(CLOUDTRAIL)) return 'json';
  return (c.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded') ? 'query' : 'json';
}

function problemWith(c: Case, status: number, headers: Headers, body: string): string | undefined {
  if (status >= 500) return `status ${status}`;
  if (status === 200) return undefined; // a valid call slipped through: fine
  if (!UUID_RE.test(headers.get('x-amzn-requestid') ?? '')) return 'no request id';
  if (/\bat [^\n]*\.(ts|js):\d+|\/src\/|node_modules/.test(body)) return 'leaks internals';
  if (expectedApi(c) === 'query') {
    if (!(headers.get('content-type') ?? '').startsWith('text/xml')) return `content-type ${headers.get('content-type')} for a Query error`;
    return QUERY_ERROR.test(body) ? undefined : 'not a Query <ErrorResponse>';
  }
  if (headers.get('content-type') !== 'application/x-amz-json-1.1') return `content-type ${headers.get('content-type')} for a JSON error`;
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { return 'error body is not JSON'; }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'error body is not an object';
  const o = parsed as Record<string, unknown>;
  if (typeof o.__type !== 'string' || !/^[A-Za-z]+$/.test(o.__type)) return 'no __type';
  if (!Object.keys(o).every((k) => k === '__type' || k === 'message')) return `members ${Object.keys(o).join(',')}`;
  if (o.message !== undefined && typeof o.message !== 'string') return 'message is not a string';
  return undefined;
}

test(`fuzz: ${REQUESTS} malformed requests, signed and unsigned, to every API: no reset, no 5xx, every error in its API's shape`, { timeout: 300_000 }, async () => {
  const seed = Number(process.env.COFFER_FUZZ_SEED ?? Date.now() % 1_000_000);
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const chance = (p: number): boolean => rnd() < p;
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));

  const key = (await coffer.client().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
  const kmsOps = Object.keys(kmsModel.operations);
  const iamOps = Object.keys(iamModel.operations);
  const stsOps = Object.keys(stsModel.operations);
  const strings = [
    '', 'a', key, `arn:aws:kms:${REGION}:111122223333:key/${key}`, 'alias/aws/s3', 'arn:', '\u0000', '\ud800', '🔑', '%00%ff',
    '../../x', '<x>&amp;', "'\"\\", '__proto__', 'constructor', 'x'.repeat(3000), '1e400', '-1', 'null', 'AA==', '=',
  ];
  const jsonValue = (d: number): unknown => {
    switch (int(d > 2 ? 4 : 6)) {
      case 0: return null;
      case 1: return chance(0.5);
      case 2: return pick([0, -1, 1.5, 2 ** 53 + 2, 1e308, 4097, 7]);
      case 3: return pick(strings);
      case 4: return Array.from({ length: int(4) }, () => jsonValue(d + 1));
      default: return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(strings), jsonValue(d + 1)]));
    }
  };
  const jsonBody = (op: string): string | Buffer => {
    switch (int(6)) {
      case 0: return bytes(int(500));
      case 1: return '{'.repeat(int(5000)) ;
      case 2: return JSON.stringify(jsonValue(0));
      case 3: return pick(['', ' ', '{}', '[]', 'null', '{"a":}', '\ufeff{}']);
      default: {
        const shape = kmsModel.shapes[kmsModel.operations[op]?.input ?? ''];
        const members = shape?.type === 'structure' ? Object.keys(shape.members) : ['KeyId'];
        return JSON.stringify(Object.fromEntries(members.filter(() => chance(0.6)).map((m) => [m, jsonValue(0)])));
      }
    }
  };
  /** Percent-encodes the UTF-8 of a string (a lone surrogate becomes U+FFFD). */
  const enc = (x: string): string => [...Buffer.from(x, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  const formBody = (ops: readonly string[]): string => {
    const parts: string[] = [];
    if (chance(0.9)) parts.push(`Action=${enc(chance(0.8) ? pick(ops) : pick(strings))}`);
    if (chance(0.8)) parts.push(`Version=${pick(['2010-05-08', '2011-06-15', 'x', ''])}`);
    for (let i = int(6); i > 0; i--) {
      parts.push(`${enc(pick(['UserName', 'RoleArn', 'PolicyDocument', 'Tags.member.1.Key', 'Path', 'MaxItems', pick(strings)]))}=${enc(pick(strings))}`);
    }
    return chance(0.1) ? parts.join('&').replace(/=/g, '%') : parts.join('&');
  };
  const contentTypes = ['application/x-amz-json-1.1', 'application/x-amz-json-1.0', 'application/x-www-form-urlencoded; charset=utf-8', 'text/plain', 'application/xml', ''];

  /** What an HTTP client can put in a header: printable ASCII. */
  const headerText = (x: string): string => x.replace(/[^\x20-\x7e]/g, '?');
  const cases: Case[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const api = pick(['kms', 'kms', 'iam', 'sts', 'cloudtrail', 'other'] as const);
    const headers: Record<string, string> = {};
    let body: string | Buffer;
    if (api === 'kms' || api === 'other') {
      const op = pick(kmsOps);
      if (chance(0.9)) headers['x-amz-target'] = chance(0.85) ? `TrentService.${op}` : headerText(pick([`TrentService.${pick(strings)}`, op, `DynamoDB_20120810.${op}`, `${CLOUDTRAIL}${op}`]));
      body = jsonBody(op);
    } else if (api === 'cloudtrail') {
      headers['x-amz-target'] = headerText(`${CLOUDTRAIL}${pick(['LookupEvents', 'LookupEvents', 'CreateTrail', pick(strings)])}`);
      body = chance(0.5) ? JSON.stringify({ LookupAttributes: [{ AttributeKey: pick(['EventName', 'Nope', '']), AttributeValue: pick(strings) }], MaxResults: pick([0, 1, 51, -1]) }) : jsonBody('ListKeys');
    } else {
      body = chance(0.85) ? formBody(api === 'iam' ? iamOps : stsOps) : jsonBody('ListKeys');
    }
    const ct = api === 'iam' || api === 'sts' ? (chance(0.8) ? contentTypes[2] : pick(contentTypes)) : (chance(0.8) ? contentTypes[0] : pick(contentTypes));
    if (ct !== '') headers['content-type'] = ct as string;
    if (chance(0.1)) headers['x-amz-user-agent'] = headerText(pick(strings));
    const signedFor = chance(0.6)
      ? (api === 'other' ? pick(['s3', 'sqs', 'kms']) : chance(0.85) ? api : pick(['kms', 'iam', 'sts', 'cloudtrail']))
      : undefined;
    cases.push({
      method: chance(0.95) ? 'POST' : pick(['GET', 'PUT', 'DELETE', 'PATCH']),
      path: chance(0.95) ? '/' : pick(['/x', '//', '/?a=b', '/%zz']),
      headers, body, service: signedFor,
      region: chance(0.9) ? REGION : pick(['eu-west-1', 'ap-south-1', 'xx-1']),
    });
  }

  const failures: string[] = [];
  let answered = 0;
  const send = async (c: Case, n: number): Promise<void> => {
    let headers: Record<string, string> = { host: `127.0.0.1:${coffer.port}`, ...c.headers };
    const path = c.path.includes('?') ? c.path.slice(0, c.path.indexOf('?')) : c.path;
    const query = c.path.includes('?') ? Object.fromEntries(new URLSearchParams(c.path.slice(c.path.indexOf('?') + 1))) : {};
    if (c.service !== undefined) {
      const signer = new SignatureV4({ credentials: coffer.credentials, region: c.region, service: c.service, sha256: Sha256 });
      const signed = await signer.sign({ method: c.method, protocol: 'http:', hostname: '127.0.0.1', port: coffer.port, path, query, headers, body: c.body });
      headers = signed.headers as Record<string, string>;
    }
    const hasBody = c.method !== 'GET';
    try {
      const r = await fetch(`${coffer.endpoint}${c.path}`, {
        method: c.method, headers, ...(hasBody ? { body: typeof c.body === 'string' ? c.body : new Uint8Array(c.body) } : {}),
      });
      const text = await r.text();
      answered++;
      const p = problemWith(c, r.status, r.headers, text);
      if (p !== undefined) failures.push(`#${n} ${c.method} ${c.path} ${c.service ?? 'unsigned'} ${JSON.stringify(c.headers).slice(0, 150)}: ${p}: ${r.status} ${text.slice(0, 200)}`);
    } catch (e) {
      failures.push(`#${n} ${c.method} ${c.path} ${c.service ?? 'unsigned'}: no answer (${String(e)})`);
    }
  };
  for (let i = 0; i < cases.length; i += 16) await Promise.all(cases.slice(i, i + 16).map((c, j) => send(c, i + j)));

  assert.deepEqual(failures.slice(0, 20), [], `seed ${seed}: ${failures.length} failures`);
  assert.equal(answered, REQUESTS);
  const health = await fetch(`${coffer.endpoint}/health`);
  assert.equal(health.status, 200, 'the server is still healthy');
});
