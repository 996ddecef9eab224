/**
 * Quorum authentication (token-sign, M of N) end to end on SoftHSM2 (design/hsm-tier.md §3.4,
 * acceptance "set the user-service quorum to 2, create a user with two offline approvals (and be
 * refused with one)"): a real Coffer process in test mode (injected clock), the `coffer hsm` CLI,
 * and approvers' RSA-2048 keys made and used offline by OpenSSL (`openssl genpkey`, `openssl
 * pkeyutl -sign -pkeyopt digest:sha256`). Two admins register their quorum keys (each proven by a
 * signed registration token), the user service's quorum goes to 2, and `user create` is refused
 * without approval, with one, with an unregistered key's or a crypto user's signature, with a
 * token for another command, with a used token and with an expired one; two approvals create it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import type { Coffer } from './harness.ts';
import { softhsmSkip } from '../support/softhsm.ts';
import {
  activateWithKmsUser, ADMIN, cofferHsmRun, createCluster, createTwoHsms, describeCluster, hsmsReady, initializeCluster, KMSUSER_PASSWORD,
  hsmCliChecks, signClusterCsr, startHsmServer, until, type HsmServer,
} from './hsm-cluster.ts';

const opensslSkip = (): string | undefined => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return undefined;
  } catch {
    return 'openssl is not installed (apt-get install openssl)';
  }
};
const skip = softhsmSkip() ?? opensslSkip();
if (skip !== undefined && process.env.CI === 'true') throw new Error(`CI=true: this suite may not skip: ${skip}`);

let server: HsmServer;
let coffer: Coffer;
let hsm: CloudHSMV2Client;
/** The approvers' keys and the token files (removed after the suite, failed or not). */
let dir: string | undefined;

before(async () => {
  if (skip !== undefined) return;
  server = await startHsmServer({ COFFER_TEST_MODE: 'true' });
  ({ coffer, hsm } = server);
});
after(async () => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  if (skip !== undefined) return;
  await server.stop();
});

const ADMIN2_PASSWORD = 'admin2-password-1';
const ADMIN2 = { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: `admin2:${ADMIN2_PASSWORD}` };
const CU = { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: `kmsuser:${KMSUSER_PASSWORD}` };

interface Entry { username: string; approval_data: string; unsigned: string; signed: string }
interface TokenFile { version: string; tokens: Entry[] }

function cli(args: string[], env: Record<string, string>): { code: number; status: number | null; data: unknown } {
  const r = cofferHsmRun(coffer, args, env);
  return { code: r.json.error_code, status: r.status, data: r.json.data };
}
const { ok: okCli, fail: failCli } = hsmCliChecks(cli);

const ssl = (...args: string[]): Buffer => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

test('quorum token-sign on SoftHSM: register two admins\' keys, user quorum 2, user create refused with one approval and created with two; reuse, unregistered key, crypto user, other command, expiry refused', { skip, timeout: 300_000 }, async () => {
  // The approvers' keys and the token files live outside the server's data folder (searched for secrets at the end).
  const folder = mkdtempSync(join(tmpdir(), 'coffer-quorum-'));
  dir = folder;
  const file = (n: string) => join(folder, `quorum-${n}`);
  /** An RSA-2048 key pair made by openssl: the private key's file and the public key's PEM file. */
  const keyPair = (name: string) => {
    ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file(`${name}.key`));
    ssl('pkey', '-in', file(`${name}.key`), '-pubout', '-out', file(`${name}.pub`));
    return { key: file(`${name}.key`), pub: file(`${name}.pub`) };
  };
  /** An approver's entry: the token's unsigned value signed offline with openssl pkeyutl, base64. */
  const approve = (tokenPath: string, username: string, keyFile: string): Entry => {
    const t = JSON.parse(readFileSync(tokenPath, 'utf8')) as TokenFile;
    const e = t.tokens[0] as Entry;
    const unsigned = file(`${username}-unsigned.bin`);
    writeFileSync(unsigned, Buffer.from(e.unsigned, 'base64'));
    const sig = ssl('pkeyutl', '-sign', '-inkey', keyFile, '-pkeyopt', 'digest:sha256', '-in', unsigned);
    return { ...e, username, signed: sig.toString('base64') };
  };
  let n = 0;
  const approvalFile = (...entries: Entry[]): string => {
    const p = file(`approval-${++n}.json`);
    writeFileSync(p, JSON.stringify({ version: '2.0', tokens: entries }));
    return p;
  };
  const users = (): string[] => ((okCli(['user', 'list', '--cluster-id', id]) as { users: { username: string }[] }).users).map((u) => u.username).sort();

  // A cluster with two admins and a crypto user.
  const id = await createCluster(hsm);
  await createTwoHsms(hsm, id);
  const ready = await until(() => describeCluster(hsm, id), hsmsReady, 'two HSMs ACTIVE');
  await initializeCluster(hsm, id, signClusterCsr(folder, 'quorum', ready.Certificates?.ClusterCsr ?? ''));
  await until(() => describeCluster(hsm, id), (c) => c.State === 'INITIALIZED', 'INITIALIZED');
  activateWithKmsUser(coffer, id);
  const C = ['--cluster-id', id];
  okCli(['user', 'create', ...C, '--username', 'admin2', '--role', 'admin', '--password', ADMIN2_PASSWORD], ADMIN);

  // Registration: generate a registration token, sign it offline, register the public key with it.
  const register = (env: Record<string, string>, username: string, pair: { key: string; pub: string }, signWith = pair.key) => {
    const tok = file(`${username}-registration.token`);
    okCli(['quorum', 'token-sign', 'generate', ...C, '--service', 'registration', '--token', tok], env);
    const signed = approvalFile(approve(tok, username, signWith));
    return cli(['user', 'change-quorum', 'token-sign', 'register', ...C, '--public-key', pair.pub, '--signed-token', signed], env);
  };
  const a1 = keyPair('admin');
  const a2 = keyPair('admin2');
  const cuKey = keyPair('kmsuser');
  const stranger = keyPair('stranger');
  // A registration signed by another key than the one registered is refused.
  const wrong = register(ADMIN, 'admin', a1, stranger.key);
  assert.equal(wrong.code, 1);
  assert.match(String(wrong.data), /does not verify with this public key/);
  assert.deepEqual(register(ADMIN, 'admin', a1).data, { username: 'admin', role: 'admin' });
  assert.deepEqual(register(ADMIN2, 'admin2', a2).data, { username: 'admin2', role: 'admin' });
  assert.deepEqual(register(CU, 'kmsuser', cuKey).data, { username: 'kmsuser', role: 'crypto-user' });
  const listedUsers = (okCli(['user', 'list', ...C]) as { users: { username: string; quorum: unknown[] }[] }).users;
  assert.deepEqual(listedUsers.find((u) => u.username === 'admin2')?.quorum, [{ strategy: 'token-sign', status: 'enabled' }]);

  // The user service's quorum to 2 (admins only; values listed without login).
  failCli(['quorum', 'token-sign', 'set-quorum-value', ...C, '--service', 'user', '--value', '2'], CU, /crypto user cannot/);
  failCli(['quorum', 'token-sign', 'set-quorum-value', ...C, '--service', 'user', '--value', '3'], ADMIN, /needs at least 3 admins/);
  assert.equal(okCli(['quorum', 'token-sign', 'set-quorum-value', ...C, '--service', 'user', '--value', '2'], ADMIN), 'Set quorum value successful');
  assert.deepEqual(okCli(['quorum', 'token-sign', 'list-quorum-values', ...C]), { user: 2, quorum: 1, cluster: 1 });
  assert.deepEqual(okCli(['quorum', 'token-sign', 'list-timeouts', ...C]), { 'generated-token-timeout-seconds': 600 });

  const before = users();
  const create = ['user', 'create', ...C, '--username', 'carol', '--role', 'crypto-user', '--password', 'carol-password-1'];
  failCli(create, ADMIN, /Quorum approval is required for this operation/);
  const tok = file('carol.token');
  const generated = okCli(['quorum', 'token-sign', 'generate', ...C, '--service', 'user', '--token', tok, '--operation', 'user-create', '--username', 'carol', '--role', 'crypto-user'], ADMIN) as Record<string, unknown>;
  assert.equal(generated.path, tok);
  assert.equal(generated['token-timeout-seconds'], 600);
  const tf = JSON.parse(readFileSync(tok, 'utf8')) as TokenFile;
  assert.equal(tf.version, '2.0');
  assert.deepEqual(Object.keys(tf.tokens[0] ?? {}), ['username', 'approval_data', 'unsigned', 'signed']);
  const listed = okCli(['quorum', 'token-sign', 'list', ...C]) as { tokens: Record<string, unknown>[] };
  assert.deepEqual(listed.tokens.map((t) => [t.username, t.service, t['approvals-required']]), [['admin', 'user', 2]]);

  const byAdmin = approve(tok, 'admin', a1.key);
  const byAdmin2 = approve(tok, 'admin2', a2.key);
  failCli([...create, '--approval', approvalFile(byAdmin)], ADMIN, /2 distinct approvers needed, 1 valid approval/);
  failCli([...create, '--approval', approvalFile(byAdmin, byAdmin)], ADMIN, /1 valid approval/);
  failCli([...create, '--approval', approvalFile(byAdmin, approve(tok, 'admin2', stranger.key))], ADMIN, /signature of admin2 does not verify with its registered quorum key/);
  failCli([...create, '--approval', approvalFile(byAdmin, approve(tok, 'kmsuser', cuKey.key))], ADMIN, /kmsuser may not approve user service tokens/);
  const otherCommand = ['user', 'create', ...C, '--username', 'mallory', '--role', 'admin', '--password', 'mallory-password-1'];
  failCli([...otherCommand, '--approval', approvalFile(byAdmin, byAdmin2)], ADMIN, /generated for another command/);
  failCli(['user', 'delete', ...C, '--username', 'kmsuser', '--role', 'crypto-user', '--approval', approvalFile(byAdmin, byAdmin2)], ADMIN, /generated for another command/);
  assert.deepEqual(users(), before, 'nothing was created by a refusal');

  assert.deepEqual(okCli([...create, '--approval', approvalFile(byAdmin, byAdmin2)], ADMIN), { username: 'carol', role: 'crypto-user' });
  assert.deepEqual(users(), [...before, 'carol'].sort());
  // Single use: the same approval again (for another user name too) is refused.
  failCli(['user', 'delete', ...C, '--username', 'carol', '--role', 'crypto-user', '--approval', approvalFile(byAdmin, byAdmin2)], ADMIN, /no live quorum token/);

  // Expiry: a token is valid 600 s, measured by the server's (injected) clock.
  const del = file('delete-carol.token');
  okCli(['quorum', 'token-sign', 'generate', ...C, '--service', 'user', '--token', del, '--operation', 'user-delete', '--username', 'carol'], ADMIN);
  await coffer.advanceClock(601);
  failCli(['user', 'delete', ...C, '--username', 'carol', '--role', 'crypto-user', '--approval', approvalFile(approve(del, 'admin', a1.key), approve(del, 'admin2', a2.key))], ADMIN, /expired/);
  assert.ok(users().includes('carol'));
  // A fresh token within its time deletes carol.
  okCli(['quorum', 'token-sign', 'generate', ...C, '--service', 'user', '--token', del, '--operation', 'user-delete', '--username', 'carol'], ADMIN);
  await coffer.advanceClock(300);
  assert.deepEqual(okCli(['user', 'delete', ...C, '--username', 'carol', '--role', 'crypto-user', '--approval', approvalFile(approve(del, 'admin', a1.key), approve(del, 'admin2', a2.key))], ADMIN),
    { username: 'carol', role: 'crypto-user' });
  assert.deepEqual(users(), before);

  // quorum token-sign delete: a crypto user deletes its own tokens, not everyone's.
  okCli(['quorum', 'token-sign', 'generate', ...C, '--service', 'registration', '--token', file('cu-again.token')], CU);
  failCli(['quorum', 'token-sign', 'delete', ...C, '--scope', 'all'], CU, /crypto user can delete only its own tokens/);
  assert.deepEqual(okCli(['quorum', 'token-sign', 'delete', ...C, '--scope', 'user'], CU), { 'deleted-tokens': 1 });
  assert.deepEqual((okCli(['quorum', 'token-sign', 'list', ...C]) as { tokens: unknown[] }).tokens, []);

  // Audited: every CreateUser (refused or not) and GenerateQuorumToken, without parameters.
  for (const [name, count] of [['CreateUser', 9], ['GenerateQuorumToken', 8], ['RegisterQuorumKey', 4]] as const) {
    const trail = await coffer.raw({
      body: JSON.stringify({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: name }] }), service: 'cloudtrail',
      headers: { 'x-amz-target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents', 'content-type': 'application/x-amz-json-1.1' },
    });
    assert.equal(trail.status, 200, trail.body);
    const records = (JSON.parse(trail.body) as { Events: { CloudTrailEvent: string }[] }).Events.map((e) => JSON.parse(e.CloudTrailEvent) as Record<string, unknown>);
    assert.equal(records.length, count, `${name} records`);
    for (const r of records) assert.equal(r.requestParameters, null);
  }
  // No password and no private key anywhere in the data folder (database, WAL, audit) or the server's output.
  const privateBodies = [a1.key, a2.key, cuKey.key].map((k) => readFileSync(k, 'utf8').split('\n')[5] ?? '');
  const files = filesUnder(coffer.dataDir);
  for (const secret of [ADMIN2_PASSWORD, KMSUSER_PASSWORD, 'carol-password-1', ...privateBodies]) {
    assert.ok(secret.length > 8);
    assert.equal(files.some((b) => b.includes(Buffer.from(secret))), false, 'a secret stored in the data folder');
    assert.ok(!coffer.output().includes(secret), 'a secret in the server\'s output');
  }
});

const filesUnder = (d: string): Buffer[] => readdirSync(d).flatMap((n) => {
  const p = join(d, n);
  return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p)];
});
