/**
 * HTTPS (COFFER_TLS_CERT, COFFER_TLS_KEY): the SDK and the AWS CLI over TLS with their own CA,
 * aws:SecureTransport in key policies, the certificate renewed by SIGHUP (alone and with
 * workers), /health, and what a TLS port does with plain HTTP and silence. Certificates are made
 * with `openssl`, as the README makes them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateKeyCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { ACCOUNT_ID, newDataDir, rejectsWith, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { opensslSkip } from './openssl.ts';
import { TestCertificates, type ServerCertificate } from '../support/tls-certificates.ts';

const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
const awsSkip = !hasAws && process.env.CI !== 'true' ? 'the aws CLI is not installed (apt-get install awscli, or pip install awscli)' : false;

let certs: TestCertificates;
let coffer: Coffer;
/** The files the server was started with (replaced in place by the renewal test). */
let live: { certFile: string; keyFile: string };
let first: ServerCertificate;

/** Puts a certificate where the server reads it, as a renewal tool would (a rename: never half a file). */
function install(c: { cert: string; key: string }): void {
  writeFileSync(`${live.certFile}.new`, c.cert);
  writeFileSync(`${live.keyFile}.new`, c.key);
  renameSync(`${live.keyFile}.new`, live.keyFile);
  renameSync(`${live.certFile}.new`, live.certFile);
}

const tlsEnv = (): Record<string, string> => ({ COFFER_TLS_CERT: live.certFile, COFFER_TLS_KEY: live.keyFile });

before(async () => {
  if (opensslSkip !== false) return;
  certs = new TestCertificates();
  first = certs.server('first.coffer.test');
  live = { certFile: certs.path('live.pem'), keyFile: certs.path('live.key') };
  copyFileSync(first.certFile, live.certFile);
  copyFileSync(first.keyFile, live.keyFile);
  coffer = await startCoffer({ ca: certs.ca, env: { ...tlsEnv(), COFFER_HEADERS_TIMEOUT_S: '2' } });
});
after(async () => {
  if (opensslSkip !== false) return;
  await coffer.stop();
  removeDataDir(coffer.dataDir);
  certs.remove();
});

/** A new TLS connection's view of the server: its certificate's serial number, protocol and ALPN protocol. */
function handshake(port: number, extra: ConnectionOptions = {}): Promise<{ serialNumber: string; protocol: string | null; alpn: string | false | null }> {
  return new Promise((ok, fail) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: certs.ca, ALPNProtocols: ['h2', 'http/1.1'], ...extra }, () => {
      const r = { serialNumber: s.getPeerCertificate().serialNumber, protocol: s.getProtocol(), alpn: s.alpnProtocol };
      s.end();
      ok(r);
    });
    s.once('error', fail);
  });
}

function health(port: number): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', ca: certs.ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', fail);
    req.end();
  });
}

test('the SDK over HTTPS, and aws:SecureTransport in a key policy (true over HTTPS, false over HTTP)', { skip: opensslSkip }, async () => {
  assert.match(coffer.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.match(coffer.output(), /Coffer listening on https:\/\/127\.0\.0\.1:/);
  const root = `arn:aws:iam::${ACCOUNT_ID}:root`;
  const Policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'root', Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
      { Sid: 'no-encrypt-in-the-clear', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Encrypt', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      { Sid: 'data-keys-only-in-the-clear', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:GenerateDataKey', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
    ],
  });
  const plain = await startCoffer();
  try {
    for (const [server, secure] of [[coffer, true], [plain, false]] as const) {
      const kms = server.client();
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Policy }));
      const KeyId = KeyMetadata?.KeyId ?? '';
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata?.KeyId, KeyId);
      const encrypt = kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('x') }));
      const dataKey = kms.send(new GenerateDataKeyCommand({ KeyId, KeySpec: 'AES_256' }));
      if (secure) {
        assert.ok((await encrypt).CiphertextBlob?.length, 'Encrypt over HTTPS');
        await rejectsWith(dataKey, 'AccessDeniedException');
      } else {
        await rejectsWith(encrypt, 'AccessDeniedException');
        assert.equal((await dataKey).Plaintext?.length, 32, 'GenerateDataKey over HTTP');
      }
    }
  } finally {
    await plain.stop();
    removeDataDir(plain.dataDir);
  }
});

test('aws kms list-keys --ca-bundle over HTTPS; refused without the CA', { skip: awsSkip || opensslSkip }, async () => {
  const { KeyMetadata } = await coffer.client().send(new CreateKeyCommand({ Description: 'listed over https' }));
  const run = (extra: string[]) => spawnSync('aws', ['--endpoint-url', coffer.endpoint, ...extra, 'kms', 'list-keys', '--output', 'text', '--query', 'Keys[].KeyId'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '',
      AWS_ACCESS_KEY_ID: coffer.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: coffer.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_MAX_ATTEMPTS: '1',
    },
  });
  const ok = run(['--ca-bundle', certs.caFile]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(ok.stdout.split(/\s+/).includes(KeyMetadata?.KeyId ?? '?'), ok.stdout);
  const untrusted = run([]);
  assert.notEqual(untrusted.status, 0);
  assert.match(untrusted.stderr, /SSL|certificate verify failed/i);
});

test('/health over HTTPS; HTTP/1.1 over TLS 1.2 or later only', { skip: opensslSkip }, async () => {
  assert.deepEqual(await health(coffer.port), { status: 200, body: '{"status":"ok"}' });
  const h = await handshake(coffer.port);
  assert.equal(h.alpn, 'http/1.1');
  assert.match(h.protocol ?? '', /^TLSv1\.[23]$/);
  assert.equal((await handshake(coffer.port, { maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2');
  // A client that could speak TLS 1.1 (its own security level lowered) is refused.
  await assert.rejects(handshake(coffer.port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }), /version|protocol/i);
  // A client without the CA does not trust the server.
  await assert.rejects(handshake(coffer.port, { ca: undefined }), /self[- ]signed|unable to (get|verify)/i);
});

test('plain HTTP to the TLS port, and a silent connection: closed, and the server serves on', { skip: opensslSkip }, async () => {
  const closed = (send: string | undefined): Promise<{ reply: string; ms: number }> => new Promise((ok, fail) => {
    const started = performance.now();
    const s = netConnect({ host: '127.0.0.1', port: coffer.port }, () => { if (send !== undefined) s.write(send); });
    let reply = '';
    s.on('data', (d: Buffer) => { reply += d.toString('latin1'); });
    s.on('error', () => undefined); // a reset is a close too
    s.once('close', () => ok({ reply, ms: performance.now() - started }));
    setTimeout(() => { s.destroy(); fail(new Error('the server kept the connection open')); }, 10_000).unref();
  });
  const http = await closed('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.doesNotMatch(http.reply, /200|"ok"/, 'no answer in the clear');
  // Silence: closed once the handshake timeout (COFFER_HEADERS_TIMEOUT_S, 2 s here) is over.
  const silent = await closed(undefined);
  assert.ok(silent.ms >= 1500 && silent.ms < 8000, `closed after ${Math.round(silent.ms)} ms`);
  assert.equal((await health(coffer.port)).status, 200);
});

/** Waits until new connections see the certificate with this serial number. */
async function waitForSerial(port: number, serialNumber: string, connections = 1): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    const seen = await Promise.all(Array.from({ length: connections }, () => handshake(port)));
    if (seen.every((s) => s.serialNumber === serialNumber)) return;
    if (Date.now() > until) throw new Error(`still served ${seen.map((s) => s.serialNumber).join(', ')}, not ${serialNumber}`);
    await sleep(100);
  }
}

test('SIGHUP reads the renewed certificate; files that cannot serve keep the one in use', { skip: opensslSkip }, async () => {
  assert.equal((await handshake(coffer.port)).serialNumber, first.serialNumber);
  // A connection opened before the renewal keeps working across it.
  const kms = coffer.client();
  await kms.send(new CreateKeyCommand({}));
  const renewed = certs.server('renewed.coffer.test');
  assert.notEqual(renewed.serialNumber, first.serialNumber);
  install(renewed);
  process.kill(coffer.pid, 'SIGHUP');
  await waitForSerial(coffer.port, renewed.serialNumber);
  await kms.send(new CreateKeyCommand({}));

  // A broken certificate file, then a key that is not the certificate's: each logged, never served.
  for (const [broken, why] of [[{ cert: 'garbage', key: renewed.key }, /COFFER_TLS_CERT .* is not a PEM certificate/], [{ cert: first.cert, key: renewed.key }, /COFFER_TLS_KEY .* is not the key of the certificate/]] as const) {
    install(broken);
    const before = coffer.output().length;
    process.kill(coffer.pid, 'SIGHUP');
    const until = Date.now() + 10_000;
    while (!/TLS certificate not reloaded/.test(coffer.output().slice(before)) && Date.now() < until) await sleep(50);
    assert.match(coffer.output().slice(before), /TLS certificate not reloaded: the one in use stays/);
    assert.match(coffer.output().slice(before), why);
    assert.equal((await handshake(coffer.port)).serialNumber, renewed.serialNumber);
    assert.equal((await health(coffer.port)).status, 200);
  }
  install(renewed);
});

test('with COFFER_WORKERS=2, SIGHUP to the primary renews the certificate in every worker', { skip: opensslSkip }, async () => {
  const mine = { certFile: certs.path('workers.pem'), keyFile: certs.path('workers.key') };
  copyFileSync(first.certFile, mine.certFile);
  copyFileSync(first.keyFile, mine.keyFile);
  const w = await startCoffer({ ca: certs.ca, env: { COFFER_TLS_CERT: mine.certFile, COFFER_TLS_KEY: mine.keyFile, COFFER_WORKERS: '2' } });
  try {
    assert.match(w.output(), /listening on https:.*2 workers/);
    const renewed = certs.server('workers-renewed.coffer.test');
    copyFileSync(renewed.certFile, mine.certFile);
    copyFileSync(renewed.keyFile, mine.keyFile);
    process.kill(w.pid, 'SIGHUP');
    // New connections go to the workers in turn: six in a row all see the new certificate.
    await waitForSerial(w.port, renewed.serialNumber, 6);
    await w.client().send(new CreateKeyCommand({}));
  } finally {
    await w.stop();
    removeDataDir(w.dataDir);
  }
});

test('a bad TLS setting stops start-up, naming the variable, before the data folder is made', { skip: opensslSkip }, async () => {
  const parent = newDataDir();
  try {
    const dataDir = `${parent}/data`;
    await assert.rejects(startCoffer({ dataDir, env: { COFFER_TLS_CERT: first.certFile } }),
      /Configuration error: COFFER_TLS_CERT is set but COFFER_TLS_KEY is not/);
    await assert.rejects(startCoffer({ dataDir, env: { COFFER_TLS_CERT: first.keyFile, COFFER_TLS_KEY: first.keyFile } }),
      /Configuration error: COFFER_TLS_CERT \(.*\) is not a PEM certificate/);
    await assert.rejects(startCoffer({ dataDir, env: { COFFER_TLS_CERT: first.certFile, COFFER_TLS_KEY: certs.path('absent.key') } }),
      /Configuration error: COFFER_TLS_KEY \(.*absent\.key\) cannot be read/);
    // With workers the primary checks the files before it starts any.
    await assert.rejects(startCoffer({ dataDir, env: { COFFER_TLS_CERT: certs.path('absent.pem'), COFFER_TLS_KEY: first.keyFile, COFFER_WORKERS: '2' } }),
      /Configuration error: COFFER_TLS_CERT \(.*absent\.pem\) cannot be read/);
    assert.equal(existsSync(dataDir), false);
  } finally {
    removeDataDir(parent);
  }
});
