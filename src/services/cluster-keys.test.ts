/**
 * HSM users, the cluster key and ClusterKeyService over the in-memory storage and HSM module: CK
 * at InitializeCluster, crypto-user partitions on every HSM (and on a new one), connect's error
 * codes from real logins, generation replicated under CK, GCM across HSMs and after a lost token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ClusterJobs } from './cluster-jobs.ts';
import { createClusterKeyService } from './cluster-keys.ts';
import { activateCluster, changePassword, createUser, deleteUser, HsmUserProblem } from './hsm-users.ts';
import { openMemoryStorage } from '../adapters/storage/memory.ts';
import { createSecretBox } from '../adapters/keystore/secret-box.ts';
import { openMemoryHsmModule } from '../adapters/hsm/memory-module.ts';
import { buildClusterCsr } from '../crypto/cluster-certificates.ts';
import { Mutex } from '../core/mutex.ts';
import { createLogger } from '../core/log.ts';
import { newPin, pinSealId, type ClusterRecord, type HsmRecord } from '../domain/cluster.ts';
import { CLUSTER_KEY_ID, clusterKeySealId, verifyPassword } from '../domain/hsm-users.ts';
import { HsmError, type HsmModule } from '../ports/hsm.ts';
import type { ClusterUserSessions } from '../ports/cluster-keys.ts';
import { rmSync } from 'node:fs';
import { openSoftHsm, softhsmSkip, softhsmTokenFolder } from '../../test/support/softhsm.ts';

async function setup(hsmCount = 2, given?: HsmModule, closeSessions?: (clusterId: string) => Promise<void>) {
  const memory = openMemoryHsmModule();
  const module: HsmModule = given ?? memory;
  const m = openMemoryStorage();
  const key = randomBytes(32);
  const secrets = createSecretBox({ activeId: 'dk-1', key: () => key });
  const clock = { t: 1_700_000_000_000, now() { return this.t; } };
  const log = createLogger('silent');
  const jobs = new ClusterJobs({
    clusters: m.clusters, module, secrets, buildCsr: buildClusterCsr, lock: new Mutex(), clock, log,
    commit: (changes) => m.storage.commit({ changes }).then(() => undefined),
    ...(closeSessions !== undefined ? { closeSessions } : {}),
  });
  let n = 0;
  const hsm = (hsmId: string): HsmRecord => {
    n++;
    return {
      hsmId, availabilityZone: n % 2 === 1 ? 'us-east-1a' : 'us-east-1b', subnetId: 'subnet-0a1b2c3d', eniId: 'eni-0123456789abcdef0', eniIp: `10.0.0.${n + 3}`,
      state: 'CREATE_IN_PROGRESS', createdAt: clock.t,
      soPinSealed: secrets.seal(pinSealId(hsmId, 'so'), newPin()), systemPinSealed: secrets.seal(pinSealId(hsmId, 'system'), newPin()),
    };
  };
  const id = 'cluster-aaaaaaaaaaa';
  const get = async () => await m.clusters.getCluster(id) as ClusterRecord;
  const save = async (before: ClusterRecord, after: ClusterRecord) => { await m.storage.commit({ changes: [{ kind: 'putCluster', cluster: after, expectRevision: before.revision }] }); };
  const c0: ClusterRecord = {
    clusterId: id, accountId: '111122223333', region: 'us-east-1', state: 'UNINITIALIZED', hsmType: 'hsm2m.medium',
    mode: 'FIPS', networkType: 'IPV4', createdAt: clock.t, backupRetentionDays: 90, vpcId: 'vpc-1', securityGroup: 'sg-1',
    subnetMapping: { 'us-east-1a': 'subnet-0a1b2c3d', 'us-east-1b': 'subnet-0a1b2c3e' },
    hsms: Array.from({ length: hsmCount }, (_, i) => hsm(`hsm-aaaaaaaaaa${i}`)), tags: [], revision: 1,
  };
  await m.storage.commit({ changes: [{ kind: 'putCluster', cluster: c0 }] });
  await jobs.run();
  // InitializeCluster's effect (the certificate checks are the operation's).
  const u = await get();
  await save(u, { ...u, state: 'INITIALIZE_IN_PROGRESS', trustAnchor: 'anchor', lineageId: 'lineage', revision: u.revision + 1 });
  await jobs.run();
  const service = createClusterKeyService({ clusters: m.clusters, module, log });
  const deps = { module, secrets };
  /** Activates the cluster and creates the crypto user kmsuser (password kmsuserpass): the cluster after. */
  const withKmsUser = async (): Promise<ClusterRecord> => {
    let c = await get();
    await save(c, await activateCluster(c, 'adminpass1'));
    c = await get();
    await save(c, await createUser(deps, c, 'kmsuser', 'crypto-user', 'kmsuserpass'));
    return get();
  };
  const connectKmsUser = (c: ClusterRecord, password = 'kmsuserpass') => service.connect('111122223333', 'us-east-1', c.clusterId, 'kmsuser', password);
  /** DeleteHsm's effect on the record: the HSM is DELETE_IN_PROGRESS (the job then wipes and forgets it). */
  const markDeleting = (c: ClusterRecord, hsmId: string) =>
    save(c, { ...c, hsms: c.hsms.map((h) => (h.hsmId === hsmId ? { ...h, state: 'DELETE_IN_PROGRESS' as const } : h)), revision: c.revision + 1 });
  return { module, memory, m, secrets, jobs, get, save, hsm, service, deps, clock, withKmsUser, connectKmsUser, markDeleting };
}

test('InitializeCluster makes CK (sealed), the unactivated admin, and installs CK in every system partition', async () => {
  const s = await setup();
  const c = await s.get();
  assert.equal(c.state, 'INITIALIZED');
  assert.ok(c.ckSealed !== undefined);
  assert.equal(Buffer.from(s.secrets.open(clusterKeySealId(c.clusterId), c.ckSealed), 'base64').length, 32);
  assert.deepEqual(c.users?.map((u) => [u.username, u.role, u.passwordHash]), [['admin', 'admin', undefined]]);
  for (const h of c.hsms) {
    const session = await s.module.openSession(h.tokenSerial as string, s.secrets.open(pinSealId(h.hsmId, 'system'), h.systemPinSealed));
    assert.equal(await session.has(CLUSTER_KEY_ID), true);
    await session.close();
  }
});

test('activate, create kmsuser: a partition on each HSM that logs in with the password; connect, generate, GCM on both HSMs', async () => {
  const s = await setup();
  let c = await s.get();
  await assert.rejects(createUser(s.deps, { ...c, state: 'ACTIVE' }, 'admin', 'admin', 'password1'), HsmUserProblem);
  const active = await activateCluster(c, 'adminpass1');
  await s.save(c, active);
  c = await s.get();
  assert.equal(c.state, 'ACTIVE');
  assert.equal(await verifyPassword('adminpass1', c.users?.[0]?.passwordHash), true);
  assert.equal(await verifyPassword('adminpass2', c.users?.[0]?.passwordHash), false);
  await s.save(c, await createUser(s.deps, c, 'kmsuser', 'crypto-user', 'kmsuserpass'));
  c = await s.get();
  const kmsuser = c.users?.find((u) => u.username === 'kmsuser');
  assert.ok(kmsuser !== undefined && kmsuser.pinSealed !== undefined && !JSON.stringify(c).includes('kmsuserpass'));
  assert.deepEqual(Object.keys(kmsuser.partitions).sort(), c.hsms.map((h) => h.hsmId).sort());
  const serials = Object.values(kmsuser.partitions);
  assert.equal(new Set(serials).size, 2);
  const tokens = await s.module.tokens();
  for (const serial of serials) assert.equal(tokens.find((t) => t.serial === serial)?.label, 'kmsuser');

  // connect's codes.
  assert.deepEqual(await s.service.connect('111122223333', 'us-east-1', 'cluster-bbbbbbbbbbb', 'kmsuser', 'kmsuserpass').then((r) => r.ok ? 'ok' : r.code), 'CLUSTER_NOT_FOUND');
  assert.deepEqual(await s.service.connect('999922223333', 'us-east-1', c.clusterId, 'kmsuser', 'kmsuserpass').then((r) => r.ok ? 'ok' : r.code), 'CLUSTER_NOT_FOUND');
  assert.deepEqual(await s.service.connect('111122223333', 'us-east-1', c.clusterId, 'nobody', 'kmsuserpass').then((r) => r.ok ? 'ok' : r.code), 'USER_NOT_FOUND');
  assert.deepEqual(await s.service.connect('111122223333', 'us-east-1', c.clusterId, 'admin', 'adminpass1').then((r) => r.ok ? 'ok' : r.code), 'USER_NOT_FOUND');
  const wrong = await s.connectKmsUser(c, 'wrongpass1');
  assert.equal(wrong.ok ? 'ok' : wrong.code, 'INVALID_CREDENTIALS');
  assert.ok(!wrong.ok && !wrong.message.includes('wrongpass1'));

  const view = await s.service.view('111122223333', 'us-east-1', c.clusterId);
  assert.deepEqual(view?.subnetAzs, ['us-east-1a', 'us-east-1b']);
  assert.equal(view?.activeHsms.length, 2);
  assert.equal(await s.service.view('111122223333', 'eu-west-1', c.clusterId), undefined);

  const conn = await s.connectKmsUser(c);
  assert.ok(conn.ok);
  const ref = Buffer.from('key-ref-0001');
  const { blob, hsms } = await conn.sessions.generateAes256(ref, 'arn:aws:kms:us-east-1:111122223333:key/k1');
  assert.equal(hsms, 2);
  assert.ok(blob.length >= 40);
  const iv = randomBytes(12);
  const aad = Buffer.from('aad');
  // Round-robin: several calls, every one decrypts wherever it lands.
  for (let i = 0; i < 4; i++) {
    const ct = await conn.sessions.encryptGcm(ref, iv, aad, Buffer.from(`hello ${i}`));
    assert.equal((await conn.sessions.decryptGcm(ref, iv, aad, ct)).toString(), `hello ${i}`);
  }
  const ct = await conn.sessions.encryptGcm(ref, iv, aad, Buffer.from('hello'));
  ct[0] = (ct[0] as number) ^ 1;
  await assert.rejects(conn.sessions.decryptGcm(ref, iv, aad, ct), (e: unknown) => e instanceof HsmError && e.kind === 'authentication');
  assert.equal((await conn.sessions.random(32)).length, 32);

  // Both partitions hold the key (looked at directly).
  for (const serial of serials) {
    const session = await s.module.openSession(serial, 'kmsuserpass');
    assert.equal(await session.has(ref), true);
    await session.close();
  }

  // One token lost: crypto still works (retry on the other HSM).
  s.memory.loseToken(serials[0] as string);
  for (let i = 0; i < 3; i++) {
    const out = await conn.sessions.encryptGcm(ref, iv, aad, Buffer.from('after loss'));
    assert.equal((await conn.sessions.decryptGcm(ref, iv, aad, out)).toString(), 'after loss');
  }
  await conn.sessions.close();
});

test('delete-hsm while a connected store\'s sessions are open: they are closed first (else CKR_SESSION_EXISTS), the partition is wiped, the key works on the HSM left', async () => {
  let open: ClusterUserSessions | undefined;
  const closed: string[] = [];
  const s = await setup(2, undefined, async (clusterId) => { closed.push(clusterId); await open?.close(); });
  let c = await s.withKmsUser();
  const conn = await s.connectKmsUser(c);
  assert.ok(conn.ok);
  open = conn.sessions;
  const ref = Buffer.from('key-ref-0003');
  await conn.sessions.generateAes256(ref, 'label');
  const gone = c.hsms[0] as HsmRecord;
  const goneSerial = c.users?.find((u) => u.username === 'kmsuser')?.partitions[gone.hsmId] as string;
  await s.markDeleting(c, gone.hsmId);
  await s.jobs.run();
  assert.deepEqual(closed, [c.clusterId]);
  assert.equal((await s.module.tokens()).find((t) => t.serial === goneSerial)?.label, '', 'the partition on the deleted HSM is wiped');
  // The store's sessions open again (as sessionsFor does), on the HSM left only.
  const again = await s.connectKmsUser(c);
  assert.ok(again.ok);
  const iv = randomBytes(12);
  const ct = await again.sessions.encryptGcm(ref, iv, Buffer.alloc(0), Buffer.from('y'));
  assert.equal((await again.sessions.decryptGcm(ref, iv, Buffer.alloc(0), ct)).toString(), 'y');
  await again.sessions.close();
});

test('a new HSM gets CK and the crypto users\' partitions; ensure brings the keys; delete-hsm wipes and forgets them; ChangePassword changes every PIN', async () => {
  const s = await setup();
  let c = await s.withKmsUser();
  const conn = await s.connectKmsUser(c);
  assert.ok(conn.ok);
  const ref = Buffer.from('key-ref-0002');
  const { blob } = await conn.sessions.generateAes256(ref, 'label');

  // delete-hsm of the first, create a third.
  const gone = c.hsms[0] as HsmRecord;
  const goneSerial = c.users?.find((u) => u.username === 'kmsuser')?.partitions[gone.hsmId] as string;
  await conn.sessions.close();
  await s.markDeleting(c, gone.hsmId);
  await s.jobs.run();
  c = await s.get();
  assert.equal(c.hsms.length, 1);
  assert.deepEqual(Object.keys(c.users?.find((u) => u.username === 'kmsuser')?.partitions ?? {}), [c.hsms[0]?.hsmId]);
  assert.equal((await s.module.tokens()).find((t) => t.serial === goneSerial)?.label, '');
  await s.save(c, { ...c, hsms: [...c.hsms, s.hsm('hsm-bbbbbbbbbbb')], revision: c.revision + 1 });
  await s.jobs.run();
  c = await s.get();
  assert.deepEqual(c.hsms.map((h) => h.state), ['ACTIVE', 'ACTIVE']);
  const partitions = c.users?.find((u) => u.username === 'kmsuser')?.partitions ?? {};
  assert.ok(partitions['hsm-bbbbbbbbbbb'] !== undefined);

  const again = await s.connectKmsUser(c);
  assert.ok(again.ok);
  const fresh = await s.module.openSession(partitions['hsm-bbbbbbbbbbb'] as string, 'kmsuserpass');
  assert.equal(await fresh.has(CLUSTER_KEY_ID), true);
  assert.equal(await fresh.has(ref), false);
  await fresh.close();
  assert.equal(await again.sessions.ensure(ref, 'label', blob), 2);
  const iv = randomBytes(12);
  const ct = await again.sessions.encryptGcm(ref, iv, Buffer.alloc(0), Buffer.from('x'));
  assert.equal((await again.sessions.decryptGcm(ref, iv, Buffer.alloc(0), ct)).toString(), 'x');
  assert.equal(await again.sessions.destroy(ref), 2);
  await again.sessions.close();

  await s.save(c, await changePassword(s.deps, c, 'kmsuser', 'newpassword'));
  c = await s.get();
  const old = await s.connectKmsUser(c);
  assert.equal(old.ok ? 'ok' : old.code, 'INVALID_CREDENTIALS');
  const renewed = await s.service.connect('111122223333', 'us-east-1', c.clusterId, 'kmsuser', 'newpassword');
  assert.ok(renewed.ok);
  await renewed.sessions.close();

  await s.save(c, await deleteUser(s.deps, c, 'kmsuser'));
  c = await s.get();
  const after = await s.service.connect('111122223333', 'us-east-1', c.clusterId, 'kmsuser', 'newpassword');
  assert.equal(after.ok ? 'ok' : after.code, 'USER_NOT_FOUND');
  await assert.rejects(deleteUser(s.deps, c, 'admin'), /last admin/);
});

test('a single-HSM cluster answers generation with 1 copy; no ACTIVE HSM is INSUFFICIENT_CLOUDHSM_HSMS', async () => {
  const s = await setup(1);
  let c = await s.withKmsUser();
  const conn = await s.connectKmsUser(c);
  assert.ok(conn.ok);
  assert.equal((await conn.sessions.generateAes256(Buffer.from('r1'), 'l')).hsms, 1);
  await conn.sessions.close();
  await s.save(c, { ...c, hsms: c.hsms.map((h) => ({ ...h, state: 'DEGRADED' as const })), revision: c.revision + 1 });
  const r = await s.connectKmsUser(c);
  assert.equal(r.ok ? 'ok' : r.code, 'INSUFFICIENT_CLOUDHSM_HSMS');
});

test('health probe: a lost token makes its HSM and the cluster DEGRADED (crypto goes on on the other HSM); deleting it and adding one brings ACTIVE back', async () => {
  const s = await setup();
  let c = await s.get();
  await s.withKmsUser();
  assert.equal(await s.jobs.probe(), 0, 'all healthy: nothing changes');
  c = await s.get();
  const conn = await s.connectKmsUser(c);
  assert.ok(conn.ok);
  const ref = Buffer.from('key-ref-0003');
  const { blob } = await conn.sessions.generateAes256(ref, 'l');
  const lost = c.hsms[1] as HsmRecord;
  s.memory.loseToken(c.users?.find((u) => u.username === 'kmsuser')?.partitions[lost.hsmId] as string);
  assert.equal(await s.jobs.probe(), 1);
  c = await s.get();
  assert.equal(c.state, 'DEGRADED');
  assert.deepEqual(c.hsms.map((h) => h.state), ['ACTIVE', 'DEGRADED']);
  assert.match(c.hsms[1]?.stateMessage ?? '', /not present/);
  assert.equal((await s.service.view('111122223333', 'us-east-1', c.clusterId))?.activeHsms.length, 1);
  await new Promise((r) => setTimeout(r, 600)); // the sessions' view of the cluster is cached 500 ms
  for (let i = 0; i < 4; i++) {
    const iv = randomBytes(12);
    const ct = await conn.sessions.encryptGcm(ref, iv, Buffer.alloc(0), Buffer.from('still'));
    assert.equal((await conn.sessions.decryptGcm(ref, iv, Buffer.alloc(0), ct)).toString(), 'still');
  }
  await conn.sessions.close();
  await s.markDeleting(c, lost.hsmId);
  await s.jobs.run();
  c = await s.get();
  await s.save(c, { ...c, hsms: [...c.hsms, s.hsm('hsm-ccccccccccc')], revision: c.revision + 1 });
  await s.jobs.run();
  await s.jobs.probe();
  c = await s.get();
  assert.equal(c.state, 'ACTIVE');
  assert.deepEqual(c.hsms.map((h) => h.state), ['ACTIVE', 'ACTIVE']);
  const again = await s.connectKmsUser(c);
  assert.ok(again.ok);
  assert.equal(await again.sessions.ensure(ref, 'l', blob), 2);
  await again.sessions.close();
});

test('on SoftHSM: kmsuser on two HSMs, connect (a wrong PIN is a real CKR_PIN_INCORRECT), generate replicated under CK, GCM across both, a removed token folder → DEGRADED and crypto on the other, a new HSM gets the partition and ensure the key', { skip: softhsmSkip(), timeout: 120_000 }, async () => {
  const module = await openSoftHsm();
  const s = await setup(2, module);
  let c = await s.get();
  assert.equal(c.state, 'INITIALIZED');
  c = await s.withKmsUser();
  const partitions = c.users?.find((u) => u.username === 'kmsuser')?.partitions ?? {};
  assert.equal(Object.keys(partitions).length, 2);

  const wrong = await s.connectKmsUser(c, 'wrongpass1');
  assert.equal(wrong.ok ? 'ok' : wrong.code, 'INVALID_CREDENTIALS');
  const conn = await s.connectKmsUser(c);
  assert.ok(conn.ok, conn.ok ? '' : conn.message);
  const ref = Buffer.from('softhsm-key-1');
  const { blob, hsms } = await conn.sessions.generateAes256(ref, 'arn:aws:kms:us-east-1:111122223333:key/k1');
  assert.equal(hsms, 2);
  const iv = randomBytes(12);
  const aad = Buffer.from('context');
  const cts: Buffer[] = [];
  for (let i = 0; i < 4; i++) cts.push(await conn.sessions.encryptGcm(ref, iv, aad, Buffer.from('plaintext')));
  // Same key, IV and input on both HSMs: the same ciphertext whichever HSM answered.
  assert.equal(new Set(cts.map((x) => x.toString('hex'))).size, 1);
  assert.equal((await conn.sessions.decryptGcm(ref, iv, aad, cts[0] as Buffer)).toString(), 'plaintext');
  assert.equal((await conn.sessions.random(16)).length, 16);

  // The second HSM's kmsuser token folder removed: the probe degrades it; crypto goes on.
  const second = c.hsms[1] as HsmRecord;
  await conn.sessions.close();
  rmSync(softhsmTokenFolder(partitions[second.hsmId] as string), { recursive: true, force: true });
  await s.jobs.probe();
  c = await s.get();
  assert.equal(c.state, 'DEGRADED');
  assert.deepEqual(c.hsms.map((h) => h.state), ['ACTIVE', 'DEGRADED']);
  const after = await s.connectKmsUser(c);
  assert.ok(after.ok, after.ok ? '' : after.message);
  assert.equal((await after.sessions.decryptGcm(ref, iv, aad, cts[0] as Buffer)).toString(), 'plaintext');
  await after.sessions.close();

  // Replace it: the new HSM gets the partition (CK inside) and, through ensure, the key.
  await s.markDeleting(c, second.hsmId);
  await s.jobs.run();
  c = await s.get();
  await s.save(c, { ...c, hsms: [...c.hsms, s.hsm('hsm-ccccccccccc')], revision: c.revision + 1 });
  await s.jobs.run();
  await s.jobs.probe();
  c = await s.get();
  assert.deepEqual(c.hsms.map((h) => h.state), ['ACTIVE', 'ACTIVE']);
  const fresh = c.users?.find((u) => u.username === 'kmsuser')?.partitions['hsm-ccccccccccc'];
  assert.ok(fresh !== undefined);
  const again = await s.connectKmsUser(c);
  assert.ok(again.ok, again.ok ? '' : again.message);
  assert.equal(await again.sessions.ensure(ref, 'arn:aws:kms:us-east-1:111122223333:key/k1', blob), 2);
  const session = await module.openSession(fresh, 'kmsuserpass');
  assert.equal(await session.has(ref), true);
  assert.equal((await session.decryptGcm(ref, iv, aad, cts[0] as Buffer)).toString(), 'plaintext');
  await session.close();
  assert.equal(await again.sessions.destroy(ref), 2);
  await again.sessions.close();
});
