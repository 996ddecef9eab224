/**
 * The HSM pool (COFFER_HSM_POOL, domain/hsm-pool.ts) end to end on SoftHSM2: an operator
 * provisions a token with softhsm2-util (as with a vendor's tools on a real HSM) and lists it, with
 * a free slot, in a pool file; a real Coffer process then makes clusters only in the pool's subnets
 * and HSMs only of its entries: CreateHsm claims the operator's token by its serial (no token of
 * Coffer's is made for it), a second HSM in that subnet is refused, DeleteHsm wipes the token and
 * gives the entry back. A pool file others may read stops start-up with a message naming the setting.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudHSMV2Client, CreateClusterCommand, CreateHsmCommand, DeleteHsmCommand, DescribeClustersCommand, type Cluster,
} from '@aws-sdk/client-cloudhsm-v2';
import { newDataDir, REGION, REPO_ROOT, rejectsWith, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { pkcs11Tokens, softhsmModulePath, softhsmSkip, softhsmTokenDir } from '../support/softhsm.ts';
import { startHsmServer, type HsmServer } from './hsm-cluster.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const skip = softhsmSkip();
const A = 'subnet-0a1b2c3d4e5f60718';
const B = 'subnet-0b2c3d4e5f6071829';
const OPERATOR_SO_PIN = 'operator-so-pin-7';

let coffer: Coffer;
let hsm: CloudHSMV2Client;
let server: HsmServer;
let poolDir: string;
let poolFile: string;
let serial: string;

before(async () => {
  if (skip !== undefined) return;
  softhsmTokenDir();
  // The operator's token, made outside Coffer.
  const made = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', 'ops-hsm-1', '--so-pin', OPERATOR_SO_PIN, '--pin', 'operator-user-pin'], { encoding: 'utf8', env: process.env });
  assert.equal(made.status, 0, made.stderr);
  serial = pkcs11Tokens().find((t) => t.label === 'ops-hsm-1')?.serial ?? '';
  assert.notEqual(serial, '');
  poolDir = mkdtempSync(join(tmpdir(), 'coffer-pool-'));
  poolFile = join(poolDir, 'hsm-pool.json');
  writeFileSync(poolFile, JSON.stringify({ hsms: [
    { subnetId: A, availabilityZone: 'us-east-1a', tokenSerial: serial, soPin: OPERATOR_SO_PIN },
    { subnetId: B, availabilityZone: 'us-east-1b' },
  ] }), { mode: 0o600 });
  server = await startHsmServer({ COFFER_HSM_POOL: poolFile, COFFER_SCHEDULER_INTERVAL_MS: '300' });
  ({ coffer, hsm } = server);
});
after(async () => {
  if (skip !== undefined) return;
  await server.stop();
  rmSync(poolDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function clusterUntil(id: string, done: (c: Cluster) => boolean): Promise<Cluster> {
  for (let i = 0; i < 200; i++) {
    const c = (await hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [id] } }))).Clusters?.[0];
    if (c !== undefined && done(c)) return c;
    await sleep(150);
  }
  throw new Error(`cluster ${id} did not settle`);
}

test('a pool: its subnets only, in its zones; its token claimed by serial, one HSM per entry; DeleteHsm wipes it and gives it back', { skip, timeout: 120_000 }, async () => {
  await rejectsWith(hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: [A, 'subnet-0c3d4e5f60718293a'] })), 'CloudHsmInvalidRequestException', /not one of the subnets of Coffer's HSM pool/);
  const created = await hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: [B, A] }));
  const id = created.Cluster?.ClusterId ?? '';
  assert.deepEqual(created.Cluster?.SubnetMapping, { 'us-east-1b': B, 'us-east-1a': A });
  await clusterUntil(id, (c) => c.State === 'UNINITIALIZED');
  const before = pkcs11Tokens().length;

  const onToken = (await hsm.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'us-east-1a' }))).Hsm?.HsmId ?? '';
  await rejectsWith(hsm.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'us-east-1a' })), 'CloudHsmInvalidRequestException', /no free HSM left/);
  const onSlot = (await hsm.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'us-east-1b' }))).Hsm?.HsmId ?? '';
  const active = await clusterUntil(id, (c) => (c.Hsms ?? []).length === 2 && (c.Hsms ?? []).every((h) => h.State === 'ACTIVE'));
  assert.ok(active.Certificates?.ClusterCsr?.includes('BEGIN CERTIFICATE REQUEST'), 'the CSR was signed in one of the tokens');
  const tokens = pkcs11Tokens();
  // The operator's token is used as it is (its label stays); only the free slot became a token of Coffer's.
  assert.equal(tokens.find((t) => t.serial === serial)?.label, 'ops-hsm-1');
  assert.equal(tokens.some((t) => t.label === `coffer:${onToken}`), false, 'no token of its own for the pool token HSM');
  assert.equal(tokens.filter((t) => t.label === `coffer:${onSlot}`).length, 1);
  assert.equal(tokens.length, before + 1);

  // DeleteHsm wipes the operator's token (C_InitToken with its SO PIN) and frees the entry.
  await hsm.send(new DeleteHsmCommand({ ClusterId: id, HsmId: onToken }));
  await clusterUntil(id, (c) => !(c.Hsms ?? []).some((h) => h.HsmId === onToken));
  assert.notEqual(pkcs11Tokens().find((t) => t.serial === serial)?.label, 'ops-hsm-1', 'the token was wiped');
  const again = (await hsm.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'us-east-1a' }))).Hsm?.HsmId ?? '';
  await clusterUntil(id, (c) => (c.Hsms ?? []).some((h) => h.HsmId === again && h.State === 'ACTIVE'));
  assert.equal(pkcs11Tokens().some((t) => t.label === `coffer:${again}`), false, 'the same operator token again');
});

test('a pool file group or others may read stops start-up, naming COFFER_HSM_POOL (and no SO PIN)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-pool-'));
  const dataDir = newDataDir();
  try {
    const file = join(dir, 'pool.json');
    writeFileSync(file, JSON.stringify({ hsms: [{ subnetId: A, availabilityZone: 'us-east-1a', tokenSerial: 'abc', soPin: 'never-printed-pin' }] }));
    chmodSync(file, 0o644);
    const run = () => spawnSync(process.execPath, cofferArgs('main'), {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000,
      env: { PATH: process.env.PATH ?? '', COFFER_PORT: '0', COFFER_DATA_DIR: dataDir, COFFER_HSM_POOL: file, COFFER_PKCS11_MODULE: softhsmModulePath(), SOFTHSM2_CONF: process.env.SOFTHSM2_CONF ?? '' },
    });
    const open = run();
    assert.equal(open.status, 1);
    assert.match(open.stderr, /COFFER_HSM_POOL .* may be read by group or others .*chmod 600/);
    chmodSync(file, 0o600);
    writeFileSync(file, JSON.stringify({ hsms: [{ subnetId: A, availabilityZone: 'us-east-1a', tokenSerial: 'abc', soPin: 'never-printed-pin', module: '/x.so' }] }));
    const bad = run();
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /COFFER_HSM_POOL .*unknown field "module"/);
    for (const r of [open, bad]) assert.doesNotMatch(r.stdout + r.stderr, /never-printed-pin/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    removeDataDir(dataDir);
  }
});
