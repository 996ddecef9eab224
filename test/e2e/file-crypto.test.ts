/**
 * `coffer encrypt` and `coffer decrypt` run as processes (the build, through cofferArgs('cli'))
 * against a real Coffer: round trips (empty, small, several frames, the signed suite, stdin to
 * stdout), files exchanged with the AWS Encryption SDK for JavaScript both ways, failures that
 * leave no output (a tampered byte, a missing or different context, a key the caller may not use,
 * with its AWS error name), exit codes and --help, and memory bounded while 200 MB stream through.
 * coffer writes and reads the framed body itself (src/cli/file-crypto/message.ts): the ESDK must
 * decrypt what it writes and the other way round for both suites at every frame boundary, and
 * tampering, truncation and trailing bytes must fail cleanly.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAliasCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import { REGION, serverForFile, type Coffer, type Credentials } from './harness.ts';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { MessageHeader } from '@aws-crypto/client-node';
import { cofferKeyring, decryptFile, encryptFile, esdk } from './esdk.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const UNSIGNED_SUITE = 0x0478; // ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY
const SIGNED_SUITE = 0x0578; // ..._COMMIT_KEY_ECDSA_P384
const MiB = 1024 * 1024;

let coffer: Coffer;
serverForFile({}, (c) => { coffer = c; });

const dir = mkdtempSync(join(tmpdir(), 'coffer-file-crypto-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The environment of a CLI run: credentials from the environment (or a profile), nothing from the real ~/.aws. */
function cliEnv(credentials?: Credentials, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '', HOME: dir, AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_DEFAULT_REGION: REGION, // the AWS CLI's variable (the SDK alone reads AWS_REGION)
    ...(credentials ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } : {}),
    ...extra,
  };
}

interface Run { status: number | null; stdout: Buffer; stderr: string }

function coff(args: string[], opts: { input?: Buffer; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [...cofferArgs('cli'), ...args, ...(args.includes('--help') ? [] : ['--endpoint-url', coffer.endpoint])], {
    env: opts.env ?? cliEnv(coffer.credentials), input: opts.input ?? Buffer.alloc(0), maxBuffer: 64 * MiB,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

function ok(r: Run): Run {
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  assert.equal(r.stderr, '', 'nothing on stderr when it is not a terminal');
  return r;
}

function file(name: string, content: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function newKey(): Promise<string> {
  const { KeyMetadata } = await coffer.client().send(new CreateKeyCommand({ Description: 'file-crypto' }));
  assert.ok(KeyMetadata?.Arn);
  return KeyMetadata.Arn;
}

/** The files in the test folder whose name starts with `prefix` or that are temporaries. */
const leftovers = (prefix: string): string[] => readdirSync(dir).filter((n) => n.startsWith(prefix) || n.endsWith('.coffer-tmp'));

test('round trips: an empty file, a small file, several frames, the signed suite', async () => {
  const key = await newKey();
  const cases: { name: string; size: number; flags: string[] }[] = [
    { name: 'empty', size: 0, flags: [] },
    { name: 'small', size: 1000, flags: [] },
    { name: 'frames', size: 3 * MiB + 17, flags: [] }, // 4 frames of 1 MiB
    { name: 'signed', size: 200 * 1024 + 5, flags: ['--signed', '--frame-length', '65536'] },
  ];
  for (const c of cases) {
    const plain = randomBytes(c.size);
    const input = file(`${c.name}.bin`, plain);
    ok(coff(['encrypt', '--key-id', key, '--in', input, '--out', `${input}.enc`, '--context', `case=${c.name}`, ...c.flags]));
    const cipher = readFileSync(`${input}.enc`);
    assert.ok(cipher.length > c.size, `${c.name}: ciphertext longer than the plaintext`);
    if (c.size >= 64) assert.ok(!cipher.includes(plain.subarray(0, 64)), `${c.name}: no plaintext in the ciphertext`);
    ok(coff(['decrypt', '--in', `${input}.enc`, '--out', `${input}.out`, '--context', `case=${c.name}`]));
    assert.deepEqual(readFileSync(`${input}.out`), plain, c.name);
  }
  // Frames: the 3 MiB file holds four 1 MiB frames, so its overhead is a header and 4 frame headers.
  assert.ok(readFileSync(join(dir, 'frames.bin.enc')).length < 3 * MiB + 17 + 4096);
});

test('stdin to stdout, both ways, and a key given by alias name on encrypt and by key id on decrypt', async () => {
  const keyArn = await newKey();
  const keyId = keyArn.split('/').at(-1) ?? '';
  await coffer.client().send(new CreateAliasCommand({ AliasName: 'alias/file-crypto', TargetKeyId: keyArn }));
  const plain = randomBytes(150_000);
  const enc = ok(coff(['encrypt', '--key-id', 'alias/file-crypto'], { input: plain })).stdout;
  const dec = ok(coff(['decrypt', '--key-id', keyId], { input: enc })).stdout;
  assert.deepEqual(dec, plain);
});

test('coffer encrypt → the ESDK decrypts it; the ESDK encrypts → coffer decrypt', async () => {
  const key = await newKey();
  const plain = randomBytes(2 * MiB + 3);
  const input = file('interop.bin', plain);
  ok(coff(['encrypt', '--key-id', key, '--in', input, '--out', `${input}.coffer`, '--context', 'team=blue']));
  const header = await decryptFile(cofferKeyring(coffer, { keyIds: [key] }), `${input}.coffer`, `${input}.esdk-out`);
  assert.deepEqual(readFileSync(`${input}.esdk-out`), plain);
  assert.equal(header.suiteId, UNSIGNED_SUITE);
  assert.equal(header.frameLength, MiB);
  assert.deepEqual({ ...header.encryptionContext }, { team: 'blue' });

  // The ESDK's defaults: the signed suite and 4 KiB frames.
  const esdkHeader = await encryptFile(cofferKeyring(coffer, { generatorKeyId: key }), input, { team: 'red' }, `${input}.esdk`);
  assert.equal(esdkHeader.suiteId, SIGNED_SUITE);
  ok(coff(['decrypt', '--in', `${input}.esdk`, '--out', `${input}.coffer-out`, '--key-id', key, '--context', 'team=red']));
  assert.deepEqual(readFileSync(`${input}.coffer-out`), plain);
});

/** The ESDK's own streaming encrypt with the given suite and frame length (the helper in esdk.ts takes its defaults). */
async function esdkEncrypt(key: string, from: string, to: string, suiteId: number, frameLength: number): Promise<MessageHeader> {
  const stream = esdk.encryptStream(cofferKeyring(coffer, { generatorKeyId: key }), { suiteId, frameLength, encryptionContext: { side: 'esdk' } });
  let header: MessageHeader | undefined;
  stream.once('MessageHeader', (h: MessageHeader) => { header = h; });
  await pipeline(createReadStream(from), stream, createWriteStream(to));
  assert.ok(header);
  return header;
}

test('the framed body coffer writes and reads is the ESDK\'s, both ways: both suites, empty, one frame, frame boundary ±1, several frames', async () => {
  const key = await newKey();
  const frame = 4096;
  for (const suite of [UNSIGNED_SUITE, SIGNED_SUITE]) {
    const flags = suite === SIGNED_SUITE ? ['--signed'] : [];
    // frame - 8: the largest final frame that fits in the bytes coffer reads for a regular frame.
    for (const size of [0, 1, frame - 8, frame - 1, frame, frame + 1, 3 * frame + 5]) {
      const name = `compat-${suite.toString(16)}-${size}`;
      const plain = randomBytes(size);
      const input = file(`${name}.bin`, plain);
      // coffer → the ESDK
      ok(coff(['encrypt', '--key-id', key, '--in', input, '--out', `${input}.coffer`, '--frame-length', String(frame), '--context', 'side=cofr', ...flags]));
      const header = await decryptFile(cofferKeyring(coffer, { keyIds: [key] }), `${input}.coffer`, `${input}.esdk-out`);
      assert.deepEqual(readFileSync(`${input}.esdk-out`), plain, `${name}: the ESDK decrypts coffer's message`);
      assert.equal(header.suiteId, suite, name);
      assert.equal(header.frameLength, frame, name);
      // the ESDK → coffer
      await esdkEncrypt(key, input, `${input}.esdk`, suite, frame);
      ok(coff(['decrypt', '--in', `${input}.esdk`, '--out', `${input}.coffer-out`, '--key-id', key, '--context', 'side=esdk']));
      assert.deepEqual(readFileSync(`${input}.coffer-out`), plain, `${name}: coffer decrypts the ESDK's message`);
      // Same layout: with contexts of the same length (side=cofr, side=esdk), key and suite, the two messages are the same size
      // (the signed suite's DER signature varies by a byte or two).
      const [a, b] = [readFileSync(`${input}.coffer`).length, readFileSync(`${input}.esdk`).length];
      if (suite === UNSIGNED_SUITE) assert.equal(a, b, `${name}: same message length as the ESDK's`);
      else assert.ok(Math.abs(a - b) <= 2, `${name}: ${a} vs ${b} bytes`);
    }
  }
});

test('tampered, truncated or extended messages: exit 1 with a clear error, no output file, no temporary', async () => {
  const key = await newKey();
  const frame = 4096;
  const plain = randomBytes(2 * frame + 100); // two full frames and a final one of 100 bytes
  const input = file('tamper2.bin', plain);
  for (const signed of [false, true]) {
    ok(coff(['encrypt', '--key-id', key, '--in', input, '--out', `${input}.enc`, '--frame-length', String(frame), ...(signed ? ['--signed'] : [])]));
    const cipher = readFileSync(`${input}.enc`);
    // The final frame's 16-byte tag ends the unsigned message; the signed one has a 2+102..104-byte signature after it.
    const finalFrameTag = cipher.length - (signed ? 110 : 8);
    const flips: [string, number][] = [
      ['header (encryption context / data key)', 60],
      ['first frame body', Math.floor(cipher.length / 3)],
      ['final frame', finalFrameTag],
      ...(signed ? [['signature', cipher.length - 5] as [string, number]] : []),
    ];
    const cases: [string, Buffer, RegExp][] = flips.map(([what, at]) => {
      const bad = Buffer.from(cipher);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      return [`${what}${signed ? ' (signed)' : ''}`, bad, /^coffer decrypt: /];
    });
    cases.push(
      [`cut in the header${signed ? ' (signed)' : ''}`, cipher.subarray(0, 40), /truncated|Incomplete|not an Encryption SDK/i],
      [`cut in a frame${signed ? ' (signed)' : ''}`, cipher.subarray(0, Math.floor(cipher.length / 2)), /truncated/],
      [`cut at the end${signed ? ' (signed)' : ''}`, cipher.subarray(0, cipher.length - 1), signed ? /^coffer decrypt: / : /truncated/],
      [`a byte added${signed ? ' (signed)' : ''}`, Buffer.concat([cipher, Buffer.from([0])]), signed ? /^coffer decrypt: / : /bytes after the message's final frame/],
    );
    for (const [what, bad, message] of cases) {
      writeFileSync(`${input}.bad`, bad);
      const r = coff(['decrypt', '--in', `${input}.bad`, '--out', join(dir, 'tamper2-out.bin')]);
      assert.equal(r.status, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /^coffer decrypt: /, what);
      assert.match(r.stderr, message, what);
      assert.ok(!r.stderr.includes('at '), `${what}: an error line, not a stack: ${r.stderr}`);
      assert.deepEqual(leftovers('tamper2-out'), [], what);
    }
  }
  // An empty input is not a message.
  const empty = coff(['decrypt', '--in', file('empty-input.bin', Buffer.alloc(0)), '--out', join(dir, 'tamper2-out.bin')]);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /empty, not an Encryption SDK message/);
});

test('a tampered byte: exit 1, and neither the output file nor a temporary is left', async () => {
  const key = await newKey();
  const input = file('tamper.bin', randomBytes(MiB + 100));
  ok(coff(['encrypt', '--key-id', key, '--in', input, '--out', `${input}.enc`]));
  const cipher = readFileSync(`${input}.enc`);
  for (const at of [cipher.length - 700, Math.floor(cipher.length / 2)]) { // the final frame; the first frame's body
    const bad = Buffer.from(cipher);
    bad[at] = (bad[at] ?? 0) ^ 0x01;
    writeFileSync(`${input}.bad`, bad);
    const r = coff(['decrypt', '--in', `${input}.bad`, '--out', join(dir, 'tampered-out.bin')]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^coffer decrypt: /);
    assert.deepEqual(leftovers('tampered-out'), []);
  }
  // A truncated message (its final frame cut off) fails the same way.
  writeFileSync(`${input}.cut`, cipher.subarray(0, cipher.length - 200));
  assert.equal(coff(['decrypt', '--in', `${input}.cut`, '--out', join(dir, 'tampered-out.bin')]).status, 1);
  assert.deepEqual(leftovers('tampered-out'), []);
});

test('--context on decrypt: every pair must be in the message, else exit 1 and no output', async () => {
  const key = await newKey();
  const input = file('ctx.bin', randomBytes(5000));
  ok(coff(['encrypt', '--key-id', key, '--in', input, '--out', `${input}.enc`, '--context', 'dept=finance', '--context', 'doc=q3']));
  ok(coff(['decrypt', '--in', `${input}.enc`, '--out', join(dir, 'ctx-ok.bin'), '--context', 'doc=q3']));
  const missing = coff(['decrypt', '--in', `${input}.enc`, '--out', join(dir, 'ctx-out.bin'), '--context', 'owner=alice']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /encryption context has no owner/);
  const other = coff(['decrypt', '--in', `${input}.enc`, '--out', join(dir, 'ctx-out.bin'), '--context', 'dept=hr']);
  assert.equal(other.status, 1);
  assert.match(other.stderr, /has dept=finance, not hr/);
  assert.deepEqual(leftovers('ctx-out'), []);
});

/** A signed IAM Query call as the account root; answers the XML. */
async function iam(params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ ...params, Version: '2010-05-08' }).toString();
  const r = await coffer.raw({ body, service: 'iam', region: REGION, credentials: coffer.credentials, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } });
  assert.equal(r.status, 200, r.body);
  return r.body;
}

test('a key the caller may not use: AccessDeniedException printed, exit 1; credentials from a --profile', async () => {
  const key = await newKey();
  await iam({ Action: 'CreateUser', UserName: 'no-kms' });
  const created = await iam({ Action: 'CreateAccessKey', UserName: 'no-kms' });
  const tag = (t: string) => new RegExp(`<${t}>([^<]+)</${t}>`).exec(created)?.[1] ?? '';
  writeFileSync(join(dir, 'credentials'), `[no-kms]\naws_access_key_id = ${tag('AccessKeyId')}\naws_secret_access_key = ${tag('SecretAccessKey')}\n`
    + `[root]\naws_access_key_id = ${coffer.credentials.accessKeyId}\naws_secret_access_key = ${coffer.credentials.secretAccessKey}\n`);
  const env = cliEnv(undefined, { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });
  const input = file('denied.bin', randomBytes(2000));

  const enc = coff(['encrypt', '--key-id', key, '--in', input, '--out', join(dir, 'denied-out.enc'), '--profile', 'no-kms'], { env });
  assert.equal(enc.status, 1);
  assert.match(enc.stderr, /^coffer encrypt: AccessDeniedException: User: arn:aws:iam::\d{12}:user\/no-kms is not authorized to perform: kms:GenerateDataKey/);
  assert.deepEqual(leftovers('denied-out'), []);

  // The root profile may; the file it wrote, the user may not decrypt (discovery and strict).
  ok(coff(['encrypt', '--key-id', key, '--in', input, '--out', `${input}.enc`, '--profile', 'root'], { env }));
  for (const strict of [[], ['--key-id', key]]) {
    const dec = coff(['decrypt', '--in', `${input}.enc`, '--out', join(dir, 'denied-out.bin'), '--profile', 'no-kms', ...strict], { env });
    assert.equal(dec.status, 1);
    assert.match(dec.stderr, /AccessDeniedException: .*kms:Decrypt/);
  }
  assert.deepEqual(leftovers('denied-out'), []);
});

test('exit codes: --help 0 on both commands, usage errors 2', () => {
  for (const command of ['encrypt', 'decrypt']) {
    const help = spawnSync(process.execPath, [...cofferArgs('cli'), command, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, new RegExp(`^Usage: coffer ${command} `));
  }
  assert.equal(coff(['encrypt', '--in', '-']).status, 2); // no --key-id
  assert.equal(coff(['decrypt', '--bogus']).status, 2);
  assert.equal(coff(['encrypt', '--key-id', 'k', '--context', 'novalue']).status, 2);
  assert.equal(coff(['decrypt', '--in', join(dir, 'does-not-exist')]).status, 1);
});

test('memory stays bounded: 200 MB through encrypt (stdin to stdout) with a peak RSS under 180 MiB', async (t) => {
  const key = await newKey();
  const total = 200 * 1000 * 1000;
  const child = spawn(process.execPath, [...cofferArgs('cli'), 'encrypt', '--key-id', key, '--endpoint-url', coffer.endpoint], { env: cliEnv(coffer.credentials), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = 0;
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { out += d.length; });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  // The child's peak resident set (VmHWM, Linux) sampled while it runs; the last sample is within ~20 ms of its end.
  let peakKiB = 0;
  const sampler = setInterval(() => {
    try {
      peakKiB = Math.max(peakKiB, Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0));
    } catch { /* exited */ }
  }, 20);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const block = randomBytes(MiB);
  let sent = 0;
  while (sent < total) {
    const piece = block.subarray(0, Math.min(block.length, total - sent));
    sent += piece.length;
    if (!child.stdin.write(piece)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  }
  child.stdin.end();
  const code = await exited;
  clearInterval(sampler);
  assert.equal(code, 0, stderr);
  assert.ok(out > total, `all of it came out (${out} bytes)`);
  assert.ok(peakKiB > 0, 'the child was sampled');
  t.diagnostic(`peak RSS of coffer encrypt over ${total / 1e6} MB: ${(peakKiB / 1024).toFixed(0)} MiB`);
  assert.ok(peakKiB < 180 * 1024, `peak RSS ${(peakKiB / 1024).toFixed(0)} MiB`);
});
