/**
 * HSM users end to end on SoftHSM2 (design/hsm-tier.md §1–§3): a real Coffer process whose HSMs
 * are SoftHSM tokens of this test's token folder (SOFTHSM2_CONF, COFFER_PKCS11_MODULE), driven by
 * the AWS SDK's CloudHSMV2 client and the `coffer hsm` CLI. A cluster goes to INITIALIZED (CSR
 * signed by OpenSSL), `hsm cluster activate` makes it ACTIVE, `hsm user create` makes kmsuser's
 * partition on both HSMs, which pkcs11-tool logs into with the password (and refuses a wrong one
 * with CKR_PIN_INCORRECT); a token folder removed makes its HSM and the cluster DEGRADED;
 * delete-hsm + create-hsm brings ACTIVE back with kmsuser's partition on the new HSM.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudHSMV2Client, CreateClusterCommand, CreateHsmCommand, DeleteHsmCommand, InitializeClusterCommand, type Cluster,
} from '@aws-sdk/client-cloudhsm-v2';
import { REGION, type Coffer } from './harness.ts';
import { pkcs11Tokens, pkcs11Tool, pkcs11ToolSkip, softhsmSkip, softhsmTokenFolder } from '../support/softhsm.ts';
import { cofferHsmRun, describeCluster, startHsmServer, type HsmServer } from './hsm-cluster.ts';

const skip = softhsmSkip() ?? pkcs11ToolSkip();
let coffer: Coffer;
let hsm: CloudHSMV2Client;

let server: HsmServer;

before(async () => {
  if (skip !== undefined) return;
  server = await startHsmServer();
  ({ coffer, hsm } = server);
});
after(async () => {
  if (skip !== undefined) return;
  await server.stop();
});

/** `npm run coffer -- hsm …` with the test's AWS credentials (and `extra` env: CLOUDHSM_ROLE, CLOUDHSM_PIN). */
const cli = (args: string[], extra: Record<string, string> = {}) => cofferHsmRun(coffer, args, extra);
const describe = (id: string): Promise<Cluster> => describeCluster(hsm, id);

async function until(id: string, ready: (c: Cluster) => boolean, what: string, timeoutMs = 20_000): Promise<Cluster> {
  const started = Date.now();
  for (;;) {
    const c = await describe(id);
    if (ready(c)) return c;
    if (Date.now() - started > timeoutMs) assert.fail(`${what}: still ${JSON.stringify({ State: c.State, Hsms: c.Hsms?.map((h) => [h.State, h.StateMessage]) })}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}


/** Every file under a folder, as bytes (the data folder: database, WAL, audit). */
const filesUnder = (dir: string): Buffer[] => readdirSync(dir).flatMap((n) => {
  const p = join(dir, n);
  return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p)];
});

test('coffer hsm on SoftHSM: activate, create kmsuser (a partition on each HSM, its PIN the password), list, change password; a lost token → DEGRADED; delete-hsm + create-hsm → ACTIVE with the partition', { skip, timeout: 240_000 }, async () => {
  const created = await hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3e'] }));
  const id = created.Cluster?.ClusterId as string;
  await until(id, (c) => c.State === 'UNINITIALIZED', 'UNINITIALIZED');
  await hsm.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: `${REGION}a` }));
  await hsm.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: `${REGION}b` }));
  const active = await until(id, (c) => c.Hsms?.length === 2 && c.Hsms.every((h) => h.State === 'ACTIVE') && c.Certificates?.ClusterCsr !== undefined, 'HSMs ACTIVE');

  // Initialize with an OpenSSL-made anchor and certificate.
  const f = (n: string) => join(coffer.dataDir, n);
  writeFileSync(f('cluster.csr'), active.Certificates?.ClusterCsr ?? '');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('anchor.key'), '-out', f('anchor.crt'), '-days', '30', '-subj', '/CN=Coffer test anchor');
  ssl('x509', '-req', '-in', f('cluster.csr'), '-CA', f('anchor.crt'), '-CAkey', f('anchor.key'), '-CAcreateserial', '-out', f('cluster.crt'), '-days', '30');
  await hsm.send(new InitializeClusterCommand({ ClusterId: id, SignedCert: readFileSync(f('cluster.crt'), 'utf8'), TrustAnchor: readFileSync(f('anchor.crt'), 'utf8') }));
  await until(id, (c) => c.State === 'INITIALIZED', 'INITIALIZED');

  // Before activation: a user cannot be created; the list shows the unactivated admin.
  const admin = { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: 'admin:admin-password-1' };
  const early = cli(['user', 'create', '--cluster-id', id, '--username', 'kmsuser', '--role', 'crypto-user', '--password', 'kmsuser-pass-1'], admin);
  assert.equal(early.json.error_code, 1);
  assert.match(String(early.json.data), /INITIALIZED/);
  assert.deepEqual(cli(['user', 'list', '--cluster-id', id]).json, {
    error_code: 0, data: { users: [{ username: 'admin', role: 'admin', locked: 'false', mfa: [], quorum: [], 'cluster-coverage': 'full' }] },
  });

  assert.match(String(cli(['cluster', 'activate', '--cluster-id', id, '--password', 'short']).json.data), /8 to 32 characters/);
  const activated = cli(['cluster', 'activate', '--cluster-id', id, '--password', 'admin-password-1']);
  assert.deepEqual(activated.json, { error_code: 0, data: 'Cluster activation successful' });
  assert.equal(activated.status, 0);
  assert.equal((await describe(id)).State, 'ACTIVE');
  const again = cli(['cluster', 'activate', '--cluster-id', id, '--password', 'admin-password-1']);
  assert.equal(again.json.error_code, 1);
  assert.notEqual(again.status, 0);

  // HSM credentials: missing, malformed, wrong (one message whatever part was wrong), right.
  const create = ['user', 'create', '--cluster-id', id, '--username', 'kmsuser', '--role', 'crypto-user', '--password', 'kmsuser-pass-1'];
  assert.match(String(cli(create).json.data), /CLOUDHSM_ROLE.*CLOUDHSM_PIN/);
  assert.match(String(cli(create, { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: 'no-colon' }).json.data), /<username>:<password>/);
  const wrongPassword = cli(create, { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: 'admin:admin-password-2' });
  const wrongUser = cli(create, { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: 'root:admin-password-1' });
  const wrongRole = cli(create, { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: 'admin:admin-password-1' });
  for (const r of [wrongPassword, wrongUser, wrongRole]) {
    assert.equal(r.json.error_code, 1);
    assert.equal(r.json.data, 'CloudHsmAccessDeniedException: The HSM credentials are not valid for this operation.');
  }
  assert.deepEqual(cli(create, admin).json, { error_code: 0, data: { username: 'kmsuser', role: 'crypto-user' } });
  assert.match(String(cli(create, admin).json.data), /exists already/);
  assert.deepEqual((cli(['user', 'list', '--cluster-id', id]).json.data as { users: { username: string; role: string }[] }).users.map((u) => [u.username, u.role]),
    [['admin', 'admin'], ['kmsuser', 'crypto-user']]);

  // kmsuser's partition on both HSMs: a token labelled kmsuser each, its PIN the password.
  const partitions = pkcs11Tokens().filter((s) => s.label === 'kmsuser');
  assert.equal(partitions.length, 2, JSON.stringify(pkcs11Tokens()));
  for (const p of partitions) {
    const login = pkcs11Tool(['--slot', p.slot, '--login', '--pin', 'kmsuser-pass-1', '-O']);
    assert.equal(login.status, 0, login.output);
    assert.match(login.output, /coffer-ck/, 'the cluster key is in the partition');
  }
  const byLabel = pkcs11Tool(['--token-label', 'kmsuser', '--login', '--pin', 'kmsuser-pass-1', '-O']);
  assert.equal(byLabel.status, 0, byLabel.output);
  const wrong = pkcs11Tool(['--token-label', 'kmsuser', '--login', '--pin', 'not-the-password', '-O']);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.output, /CKR_PIN_INCORRECT/);

  // change-password (by the admin): the partitions take the new PIN.
  const changed = cli(['user', 'change-password', '--cluster-id', id, '--username', 'kmsuser', '--role', 'crypto-user', '--password', 'kmsuser-pass-2'], admin);
  assert.deepEqual(changed.json, { error_code: 0, data: { username: 'kmsuser', role: 'crypto-user' } });
  for (const p of partitions) {
    assert.equal(pkcs11Tool(['--slot', p.slot, '--login', '--pin', 'kmsuser-pass-2', '-O']).status, 0);
    assert.match(pkcs11Tool(['--slot', p.slot, '--login', '--pin', 'kmsuser-pass-1', '-O']).output, /CKR_PIN_INCORRECT/);
  }

  // Audited as CloudHSM calls, without their parameters (so without a password).
  const trail = await coffer.raw({
    body: JSON.stringify({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateUser' }] }), service: 'cloudtrail',
    headers: { 'x-amz-target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents', 'content-type': 'application/x-amz-json-1.1' },
  });
  assert.equal(trail.status, 200, trail.body);
  const records = (JSON.parse(trail.body) as { Events: { CloudTrailEvent: string }[] }).Events.map((e) => JSON.parse(e.CloudTrailEvent) as Record<string, unknown>);
  assert.ok(records.length >= 5, `CreateUser records: ${records.length}`);
  for (const r of records) {
    assert.equal(r.eventSource, 'cloudhsm.amazonaws.com');
    assert.equal(r.requestParameters, null);
  }
  assert.deepEqual(records.map((r) => r.errorCode ?? 'ok').sort(), ['CloudHsmAccessDeniedException', 'CloudHsmAccessDeniedException', 'CloudHsmAccessDeniedException', 'CloudHsmInvalidRequestException', 'CloudHsmInvalidRequestException', 'ok']);
  assert.ok(!trail.body.includes('kmsuser-pass') && !trail.body.includes('admin-password'));

  // No password in the data folder (database, WAL, audit records).
  for (const secret of ['admin-password-1', 'kmsuser-pass-1', 'kmsuser-pass-2']) {
    assert.equal(filesUnder(coffer.dataDir).some((b) => b.includes(Buffer.from(secret))), false, `${secret} stored somewhere`);
  }
  assert.doesNotMatch(coffer.output(), /kmsuser-pass|admin-password/);

  // One HSM's system token removed: that HSM and the cluster DEGRADED.
  const before = await describe(id);
  const [a, b] = before.Hsms ?? [];
  assert.ok(a !== undefined && b !== undefined);
  const systemOfA = pkcs11Tokens().find((s) => s.label === `coffer:${a.HsmId as string}`);
  assert.ok(systemOfA);
  rmSync(softhsmTokenFolder(systemOfA.serial), { recursive: true, force: true });
  const degraded = await until(id, (c) => c.State === 'DEGRADED', 'cluster DEGRADED');
  assert.deepEqual(degraded.Hsms?.map((h) => [h.HsmId, h.State]), [[a.HsmId, 'DEGRADED'], [b.HsmId, 'ACTIVE']]);
  assert.match(degraded.Hsms?.[0]?.StateMessage ?? '', /not present/);

  // Replace it: delete-hsm, create-hsm → ACTIVE, kmsuser's partition on the new HSM.
  await hsm.send(new DeleteHsmCommand({ ClusterId: id, HsmId: a.HsmId as string }));
  await until(id, (c) => c.Hsms?.length === 1, 'dead HSM dropped');
  const c = (await hsm.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: `${REGION}a` }))).Hsm;
  const healed = await until(id, (x) => x.State === 'ACTIVE' && x.Hsms?.length === 2 && x.Hsms.every((h) => h.State === 'ACTIVE'), 'cluster ACTIVE again');
  assert.ok(healed.Hsms?.some((h) => h.HsmId === c?.HsmId));
  const now = pkcs11Tokens().filter((s) => s.label === 'kmsuser');
  assert.equal(now.length, 2, 'the removed HSM\'s partition was wiped, the new HSM has one');
  const fresh = now.find((s) => !partitions.some((p) => p.serial === s.serial));
  assert.ok(fresh, 'a new kmsuser partition');
  const login = pkcs11Tool(['--slot', fresh.slot, '--login', '--pin', 'kmsuser-pass-2', '-O']);
  assert.equal(login.status, 0, login.output);
  assert.match(login.output, /coffer-ck/);
});
