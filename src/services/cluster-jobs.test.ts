/**
 * The clusters' state machines run by ClusterJobs over the in-memory storage and the test HSM
 * module: each transition, the token work behind it, failures, and repeats after a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ClusterJobs, type ClusterCsrBuilder } from './cluster-jobs.ts';
import { openMemoryStorage } from '../adapters/storage/memory.ts';
import { createSecretBox } from '../adapters/keystore/secret-box.ts';
import { openMemoryHsmModule } from '../adapters/hsm/memory-module.ts';
import { buildClusterCsr } from '../crypto/cluster-certificates.ts';
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';

/** The CSR's public key (SPKI DER), as OpenSSL reads it. */
const csrPublicKey = (csrPem: string): Buffer =>
  createPublicKey(execFileSync('openssl', ['req', '-pubkey', '-noout'], { input: csrPem, encoding: 'utf8' })).export({ type: 'spki', format: 'der' });
import { Mutex } from '../core/mutex.ts';
import { createLogger } from '../core/log.ts';
import {
  DELETED_VISIBLE_MS, FAILED_HSM_VISIBLE_MS, IDENTITY_KEY_ID, newPin, pinSealId, tokenLabelOf, type ClusterRecord, type HsmRecord,
} from '../domain/cluster.ts';
import { HsmError, type HsmModule } from '../ports/hsm.ts';

function setup(given: HsmModule | 'none' = openMemoryHsmModule(), buildCsr: ClusterCsrBuilder = buildClusterCsr) {
  const module = given === 'none' ? undefined : given;
  const m = openMemoryStorage();
  const key = randomBytes(32);
  const secrets = createSecretBox({ activeId: 'dk-1', key: () => key });
  const clock = { t: 1_700_000_000_000, now() { return this.t; } };
  const jobs = new ClusterJobs({
    clusters: m.clusters, module, secrets, buildCsr, lock: new Mutex(), clock, log: createLogger('silent'),
    commit: (changes) => m.storage.commit({ changes }).then(() => undefined),
  });
  const pins = new Map<string, { so: string; system: string }>();
  const hsm = (hsmId: string, state: HsmRecord['state'] = 'CREATE_IN_PROGRESS'): HsmRecord => {
    const p = { so: newPin(), system: newPin() };
    pins.set(hsmId, p);
    return {
      hsmId, availabilityZone: 'us-east-1a', subnetId: 'subnet-0a1b2c3d', eniId: 'eni-0123456789abcdef0', eniIp: `10.0.0.${pins.size + 3}`,
      state, createdAt: clock.t, soPinSealed: secrets.seal(pinSealId(hsmId, 'so'), p.so), systemPinSealed: secrets.seal(pinSealId(hsmId, 'system'), p.system),
    };
  };
  const cluster = (extra: Partial<ClusterRecord> = {}): ClusterRecord => ({
    clusterId: 'cluster-aaaaaaaaaaa', accountId: '111122223333', region: 'us-east-1', state: 'CREATE_IN_PROGRESS', hsmType: 'hsm2m.medium',
    mode: 'FIPS', networkType: 'IPV4', createdAt: clock.t, backupRetentionDays: 90, vpcId: 'vpc-1', securityGroup: 'sg-1',
    subnetMapping: { 'us-east-1a': 'subnet-0a1b2c3d' }, hsms: [], tags: [], revision: 1, ...extra,
  });
  const put = (c: ClusterRecord) => m.storage.commit({ changes: [{ kind: 'putCluster', cluster: c }] });
  const get = async () => await m.clusters.getCluster('cluster-aaaaaaaaaaa') as ClusterRecord;
  return { m, jobs, clock, hsm, cluster, put, get, pins, secrets };
}

test('CREATE_IN_PROGRESS → UNINITIALIZED; HSMs → ACTIVE with their token; the first makes the identity key and the CSR in its token', async () => {
  const module = openMemoryHsmModule();
  const s = setup(module);
  await s.put(s.cluster());
  await s.jobs.run();
  assert.equal((await s.get()).state, 'UNINITIALIZED');
  await s.put({ ...await s.get(), hsms: [s.hsm('hsm-aaaaaaaaaaa'), s.hsm('hsm-bbbbbbbbbbb')] });
  assert.ok(await s.jobs.run() >= 2);
  const c = await s.get();
  assert.deepEqual(c.hsms.map((h) => h.state), ['ACTIVE', 'ACTIVE']);
  assert.equal(c.identityHsmId, 'hsm-aaaaaaaaaaa');
  const tokens = await module.tokens();
  for (const h of c.hsms) {
    const t = tokens.find((x) => x.serial === h.tokenSerial);
    assert.equal(t?.label, tokenLabelOf(h.hsmId));
    assert.equal(t?.userPinInitialized, true);
  }
  // The system PIN opens the first token, where the identity key is; the CSR is over its public key.
  const first = c.hsms[0] as HsmRecord;
  const session = await module.openSession(first.tokenSerial as string, s.pins.get(first.hsmId)?.system as string);
  assert.deepEqual(csrPublicKey(c.clusterCsr as string), await session.rsaPublicKey(IDENTITY_KEY_ID));
  const second = await module.openSession(c.hsms[1]?.tokenSerial as string, s.pins.get('hsm-bbbbbbbbbbb')?.system as string);
  assert.equal(await second.has(IDENTITY_KEY_ID), false);
  assert.equal(await s.jobs.run(), 0, 'nothing left to do');
});

test('after a crash between the token and the commit, the job finds the token by its label and makes no second one', async () => {
  const module = openMemoryHsmModule();
  const s = setup(module);
  const h = s.hsm('hsm-aaaaaaaaaaa');
  await s.put(s.cluster({ state: 'UNINITIALIZED', hsms: [h] }));
  // The step ran as far as C_InitToken, then the process was killed.
  const before = await module.initToken(tokenLabelOf(h.hsmId), s.pins.get(h.hsmId)?.so as string);
  await s.jobs.run();
  const c = await s.get();
  assert.equal(c.hsms[0]?.state, 'ACTIVE');
  assert.equal(c.hsms[0]?.tokenSerial, before.serial);
  assert.equal((await module.tokens()).filter((t) => t.label === tokenLabelOf(h.hsmId)).length, 1);
});

test('after a kill -9 inside the identity key generation (half a pair left in the token), the pair is made again and the HSM becomes ACTIVE', async () => {
  const module = openMemoryHsmModule();
  // The token holds a public key under the identity CKA_ID but no private key (SoftHSM writes the
  // public key's object first): signing answers COFFER_OBJECT_NOT_FOUND until that id is destroyed.
  let half = true;
  const halfPair: HsmModule = {
    ...module,
    openSession: async (serial, pin) => {
      const s = await module.openSession(serial, pin);
      return {
        ...s,
        has: async (id) => (half && id.equals(IDENTITY_KEY_ID)) || s.has(id),
        rsaPublicKey: async (id) => (half && id.equals(IDENTITY_KEY_ID) ? Buffer.from('a public key without its private half') : s.rsaPublicKey(id)),
        signRsaSha256: async (id, data) => {
          if (half && id.equals(IDENTITY_KEY_ID)) throw new HsmError('object-not-found', 'COFFER_OBJECT_NOT_FOUND', 'no private key');
          return s.signRsaSha256(id, data);
        },
        destroy: async (id) => {
          if (id.equals(IDENTITY_KEY_ID)) half = false;
          return s.destroy(id);
        },
      };
    },
  };
  const s = setup(halfPair);
  const h = s.hsm('hsm-aaaaaaaaaaa');
  await s.put(s.cluster({ state: 'UNINITIALIZED', hsms: [h] }));
  await s.jobs.run();
  const c = await s.get();
  assert.equal(c.hsms[0]?.state, 'ACTIVE', c.hsms[0]?.stateMessage);
  assert.equal(half, false, 'the half pair was destroyed');
  const session = await module.openSession(c.hsms[0]?.tokenSerial as string, s.pins.get(h.hsmId)?.system as string);
  assert.deepEqual(csrPublicKey(c.clusterCsr as string), await session.rsaPublicKey(IDENTITY_KEY_ID));
});

test('a module failure (no free slot) → DELETED with a StateMessage, shown for an hour, then dropped', async () => {
  const s = setup(openMemoryHsmModule({ slots: 1 }));
  await s.put(s.cluster({ state: 'UNINITIALIZED', hsms: [s.hsm('hsm-aaaaaaaaaaa'), s.hsm('hsm-bbbbbbbbbbb')] }));
  await s.jobs.run();
  const c = await s.get();
  assert.equal(c.hsms[0]?.state, 'ACTIVE');
  assert.equal(c.hsms[1]?.state, 'DELETED');
  assert.match(c.hsms[1]?.stateMessage ?? '', /no-free-slot/);
  s.clock.t += FAILED_HSM_VISIBLE_MS;
  await s.jobs.run();
  assert.deepEqual((await s.get()).hsms.map((h) => h.hsmId), ['hsm-aaaaaaaaaaa']);
});

test('without a module an HSM cannot be made: DELETED, said so', async () => {
  const s = setup('none');
  await s.put(s.cluster({ state: 'UNINITIALIZED', hsms: [s.hsm('hsm-aaaaaaaaaaa')] }));
  await s.jobs.run();
  assert.equal((await s.get()).hsms[0]?.stateMessage, 'No HSM module is configured.');
});

test('DeleteHsm: the token is wiped and the HSM dropped; losing the identity HSM while UNINITIALIZED makes a new CSR on another', async () => {
  const module = openMemoryHsmModule();
  const s = setup(module);
  await s.put(s.cluster({ state: 'UNINITIALIZED', hsms: [s.hsm('hsm-aaaaaaaaaaa'), s.hsm('hsm-bbbbbbbbbbb')] }));
  await s.jobs.run();
  const c = await s.get();
  const firstCsr = c.clusterCsr;
  const serial = c.hsms[0]?.tokenSerial;
  await s.put({ ...c, hsms: c.hsms.map((h, i) => (i === 0 ? { ...h, state: 'DELETE_IN_PROGRESS' as const } : h)) });
  await s.jobs.run();
  const after = await s.get();
  assert.deepEqual(after.hsms.map((h) => h.hsmId), ['hsm-bbbbbbbbbbb']);
  // Wiping re-initialises the token (C_InitToken): its serial stays, its label and objects go.
  assert.equal((await module.tokens()).find((t) => t.serial === serial)?.label, '', 'wiped');
  assert.equal(after.identityHsmId, 'hsm-bbbbbbbbbbb');
  assert.ok(after.clusterCsr !== undefined && after.clusterCsr !== firstCsr);
});

test('INITIALIZE_IN_PROGRESS → INITIALIZED; DELETE_IN_PROGRESS → DELETED, purged after 7 days', async () => {
  const s = setup();
  await s.put(s.cluster({ state: 'INITIALIZE_IN_PROGRESS', stateMessage: 'initializing' }));
  await s.jobs.run();
  const c = await s.get();
  assert.equal(c.state, 'INITIALIZED');
  assert.equal(c.stateMessage, undefined);
  await s.put({ ...c, state: 'DELETE_IN_PROGRESS' });
  await s.jobs.run();
  assert.equal((await s.get()).state, 'DELETED');
  s.clock.t += DELETED_VISIBLE_MS - 1;
  await s.jobs.run();
  assert.equal((await s.get()).state, 'DELETED');
  s.clock.t += 1;
  await s.jobs.run();
  assert.equal(await s.m.clusters.getCluster('cluster-aaaaaaaaaaa'), undefined);
});

test('a step that loses a race with a request is not committed; the next round does it on the new state', async () => {
  const s = setup();
  await s.put(s.cluster());
  const c = await s.get();
  const step = await s.jobs.step(c);
  // A request changes the cluster first (its revision moves on).
  await s.m.storage.commit({ changes: [{ kind: 'putCluster', cluster: { ...c, backupRetentionDays: 30, revision: 2 }, expectRevision: 1 }] });
  await assert.rejects(s.m.storage.commit({ changes: step ?? [] }));
  await s.jobs.run();
  const after = await s.get();
  assert.equal(after.state, 'UNINITIALIZED');
  assert.equal(after.backupRetentionDays, 30);
});
