/**
 * The ceilings Coffer's Encrypt is measured against, on the same machine and core:
 *   bare     — node:http answering a canned Encrypt response (HTTP and keep-alive alone)
 *   sigv4    — the same, after verifying the request's SigV4 signature (Coffer's verifier): the
 *              baseline of the hot-path targets (bench/hotpath.ts)
 *   minimal  — SigV4 verification (Coffer's verifier), JSON parse, AES-256-GCM of the plaintext
 *              with a fresh IV, JSON answer; no storage, no authorization, no audit, no logs
 * Prints "listening on <port>" once ready.
 */
import { createServer } from 'node:http';
import { createCipheriv, randomBytes } from 'node:crypto';
import { SigV4Verifier } from '../src/auth/sigv4.ts';

const mode = process.argv[2];
const creds = { accessKeyId: process.env.BENCH_AKID ?? '', secretAccessKey: process.env.BENCH_SECRET ?? '' };
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000';
const canned = JSON.stringify({ CiphertextBlob: randomBytes(320).toString('base64'), KeyId: KEY_ARN, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
const verifier = new SigV4Verifier({
  service: 'kms', isRegionAllowed: (r) => r === 'us-east-1', now: () => Date.now(),
  lookup: (akid) => (akid === creds.accessKeyId ? { secretAccessKey: creds.secretAccessKey } : undefined),
});
const aesKey = randomBytes(32);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body = canned;
    let status = 200;
    if (mode === 'sigv4') {
      try {
        verifier.verify({ method: req.method ?? 'POST', path: '/', query: '', headers: req.headers, body: Buffer.concat(chunks) });
      } catch (e) {
        status = 400;
        body = JSON.stringify({ __type: 'InvalidSignatureException', message: e instanceof Error ? e.message : '' });
      }
    } else if (mode === 'minimal') {
      try {
        const raw = Buffer.concat(chunks);
        verifier.verify({ method: req.method ?? 'POST', path: '/', query: '', headers: req.headers, body: raw });
        const input = JSON.parse(raw.toString('utf8')) as { KeyId: string; Plaintext: string };
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', aesKey, iv);
        const ct = Buffer.concat([iv, c.update(Buffer.from(input.Plaintext, 'base64')), c.final(), c.getAuthTag()]);
        body = JSON.stringify({ CiphertextBlob: ct.toString('base64'), KeyId: KEY_ARN, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
      } catch (e) {
        status = 400;
        body = JSON.stringify({ __type: 'InvalidSignatureException', message: e instanceof Error ? e.message : '' });
      }
    }
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': 'bench' });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening on ${typeof a === 'object' && a ? a.port : 0}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
