/**
 * The HSM jobs are idempotent and safe after kill -9 at any step (services/cluster-jobs.ts, the
 * custom key stores' connect job in services/custom-key-stores.ts): a real Coffer on SoftHSM2 is
 * killed with SIGKILL a random 0–400 ms (half of them within 100 ms) after a request started a job
 * (seeded: COFFER_KILL9_SEED reproduces a run), started again on the same data folder and the same
 * SoftHSM token folder, and must converge within 60 s, with every token made once:
 *
 * 1. create-hsm ×2 on a new cluster → both ACTIVE, the cluster UNINITIALIZED with a CSR, exactly
 *    one initialised token `coffer:<hsmId>` per HSM and no other new token; the identity key pair
 *    in one of them only, once.
 * 2. initialize-cluster → INITIALIZED, the cluster key once in each HSM's system token, then
 *    activation and kmsuser's creation work. (Both keys are counted by their public objects, which
 *    pkcs11-tool lists without a login: the system PIN is sealed inside Coffer.)
 * 3. connect-custom-key-store (kmsuser exists) → CONNECTED without a second call, then a key made
 *    in the store encrypts and decrypts. Connect is asynchronous, as AWS's: it answers once
 *    CONNECTING is committed and the job makes the store CONNECTED (or FAILED). The kill comes after
 *    the answer, so the store must come back CONNECTING and the restarted job finish it; a store
 *    found DISCONNECTED would be a lost commit. (Calling Connect again is right only for a client
 *    whose call got no answer: on a CONNECTING or CONNECTED store it answers success and does nothing.)
 * 4. delete-hsm → the HSM leaves DescribeClusters; its token no longer listed as `coffer:<hsmId>`
 *    and its kmsuser partition wiped; the key still works on the HSM left.
 *
 * Each kill's moment is reported with the state the database held then (read from the SQLite
 * file while no server runs), so a run shows which kills landed inside a job. The cases run in
 * order on one data folder, each on the clusters the one before left (three: the HSM quota is six).
 * A token.object that SoftHSM itself lost to the kill (it rewrites it in place at every login) is
 * put back from a copy and reported: see copyTokenObjects.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { CloudHSMV2Client, DeleteHsmCommand, type Cluster } from '@aws-sdk/client-cloudhsm-v2';
import {
  ConnectCustomKeyStoreCommand, CreateCustomKeyStoreCommand, CreateKeyCommand, DecryptCommand, DescribeCustomKeyStoresCommand, EncryptCommand,
  type CustomKeyStoresListEntry, type KMSClient,
} from '@aws-sdk/client-kms';
import { REGION, bytes, newDataDir, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import {
  KMSUSER_PASSWORD, activateWithKmsUser, createCluster, createTwoHsms, describeCluster, hsmsReady, initializeCluster, signClusterCsr,
  softhsmServerEnv, until, type SignedCluster,
} from './hsm-cluster.ts';
import { pkcs11Tool, pkcs11ToolSkip, pkcs11Tokens, softhsmSkip, softhsmTokenDir, softhsmTokenFolder } from '../support/softhsm.ts';
import { prng } from '../support/prng.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const skip = softhsmSkip() ?? pkcs11ToolSkip() ?? (process.env.CI !== 'true' && !hasOpenssl ? 'openssl is not installed' : undefined);

const ROUNDS = 3;
const MAX_DELAY_MS = 400;
const SETTLE_MS = 60_000;
const seed = Number(process.env.COFFER_KILL9_SEED ?? Date.now() % 1_000_000);
const random = prng(seed);

const dataDir = newDataDir();
let coffer: Coffer | undefined;
let hsm: CloudHSMV2Client;
let kms: KMSClient;
/** What the last server killed wrote (its warnings explain a round that does not settle). */
let killedOutput = '';

async function start(): Promise<void> {
  coffer = await startCoffer({ dataDir, env: softhsmServerEnv() });
  hsm = new CloudHSMV2Client({ endpoint: coffer.endpoint, region: REGION, credentials: coffer.credentials, maxAttempts: 1 });
  kms = coffer.client();
}

const server = (): Coffer => {
  assert.ok(coffer, 'a server runs');
  return coffer;
};

before(async () => {
  if (skip !== undefined) return;
  console.log(`# hsm-kill9 seed ${seed} (COFFER_KILL9_SEED=${seed} repeats these kill moments)`);
  await start();
});
after(async () => {
  if (skip === undefined) {
    hsm.destroy();
    await coffer?.stop();
  }
  removeDataDir(dataDir);
});

/** The cluster (and store) as the database holds them now: read while no server runs. */
function storedState(clusterId: string, storeId?: string): string {
  const file = join(dataDir, 'coffer.db');
  if (!existsSync(file)) return 'not on SQLite';
  const db = new Database(file, { readonly: true });
  try {
    const row = db.prepare<[string], { doc: string }>('SELECT doc FROM hsm_clusters WHERE cluster_id = ?').get(clusterId);
    if (row === undefined) return 'no cluster';
    const c = JSON.parse(row.doc) as { state: string; clusterCsr?: string; ckSealed?: string; hsms: { state: string }[] };
    const parts = [`cluster ${c.state}`, `hsms [${c.hsms.map((h) => h.state).join(',')}]`, `csr ${c.clusterCsr !== undefined ? 'yes' : 'no'}`, `ck ${c.ckSealed !== undefined ? 'yes' : 'no'}`];
    if (storeId !== undefined) {
      const s = db.prepare<[string], { doc: string }>('SELECT doc FROM custom_key_stores WHERE id = ?').get(storeId);
      parts.push(`store ${s === undefined ? 'none' : (JSON.parse(s.doc) as { state: string }).state}`);
    }
    return parts.join(', ');
  } finally {
    db.close();
  }
}

/**
 * SoftHSM's file store rewrites a token's token.object (its label, serial, flags and PIN blobs) in
 * place, truncated then written, at every C_Login, and the server logs in all the time: at start,
 * in its health probe, in the jobs' steps. A kill during that write leaves token.object empty and
 * the token gone, its key objects intact but out of reach (here in about one run in seven, mostly
 * during the restarted server's first probe). No HSM loses its PINs when a client dies, so before
 * each trigger the suite copies every token.object, and after the kill puts back one the kill
 * emptied, from its copy, and says so. Nothing else in the token folders is ever touched.
 */
function copyTokenObjects(): Map<string, Buffer> {
  const copies = new Map<string, Buffer>();
  const dir = softhsmTokenDir();
  for (const name of readdirSync(dir)) {
    const object = join(dir, name, 'token.object');
    // Read until two reads agree (a running server may be rewriting it); an empty one is no copy.
    for (let i = 0, last: Buffer | undefined; i < 20 && existsSync(object); i++) {
      const now = readFileSync(object);
      if (last !== undefined && now.length > 0 && now.equals(last)) {
        copies.set(object, now);
        break;
      }
      last = now;
    }
  }
  return copies;
}

/** After a kill (no server running): the token.object files it emptied, put back from their copies; answers their tokens' serials. */
function restoreEmptied(copies: ReadonlyMap<string, Buffer>): string[] {
  const restored: string[] = [];
  for (const [object, bytes] of copies) {
    if (!existsSync(object) || statSync(object).size > 0) continue;
    writeFileSync(object, bytes);
    restored.push(basename(dirname(object)).replaceAll('-', '').slice(-16));
  }
  return restored;
}

/**
 * The kill: a random 0–400 ms after the job's request answered, SIGKILL; then the server starts
 * again on the same folders. Reports the delay, what the database and the tokens (`tokens`) held
 * at the kill, and the restart's time. `copies`: the token.object files copied before the trigger.
 */
async function killAndRestart(t: TestContext, what: string, copies: ReadonlyMap<string, Buffer>, tokens: () => string, clusterId: string, storeId?: string): Promise<void> {
  // Squared, so that half the kills come within the first 100 ms: the connect and delete-hsm jobs
  // take tens of milliseconds, create-hsm's (an RSA key generated in the token) a few hundred.
  const delay = Math.floor(random() ** 2 * (MAX_DELAY_MS + 1));
  await new Promise((r) => setTimeout(r, delay));
  hsm.destroy();
  await server().kill9();
  killedOutput = server().output();
  coffer = undefined;
  const restored = restoreEmptied(copies);
  if (restored.length > 0) t.diagnostic(`${what}: the kill emptied token.object of token(s) ${restored.join(', ')} (SoftHSM rewrites it at each login): put back`);
  const atKill = `${storedState(clusterId, storeId)}; ${tokens()}`;
  const started = Date.now();
  await start();
  t.diagnostic(`${what}: killed after ${delay} ms (stored then: ${atKill}); restarted in ${Date.now() - started} ms`);
}

/**
 * What may explain a round that does not settle: the seed, the warnings of the server killed and of
 * the one running, and the size of each token folder's token.object (an empty one: a token gone).
 */
function context(): string {
  const warnings = [killedOutput, coffer?.output() ?? ''].flatMap((o) => o.split('\n')).filter((l) => /"level":"(warn|error)"/.test(l));
  const dir = softhsmTokenDir();
  const sizes = readdirSync(dir).map((n) => {
    const object = join(dir, n, 'token.object');
    return `${n.slice(-16)}:${existsSync(object) ? statSync(object).size : 'none'}`;
  });
  return `seed ${seed}; server warnings: ${warnings.slice(-10).join(' | ') || 'none'}; token.object sizes (serial:bytes): ${sizes.join(' ')}`;
}

/** Runs `f`; should it fail, fails with its error, the cluster's HSMs as described, and the context. */
async function explained<T>(clusterId: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const c = await describe(clusterId).catch(() => undefined);
    assert.fail(`${e instanceof Error ? e.message : String(e)}\nHSMs: ${JSON.stringify(c?.Hsms?.map((h) => [h.HsmId, h.State, h.StateMessage]))}\n${context()}`);
  }
}

/** Polls until settled, within SETTLE_MS; says how long it took. */
async function settle<T>(t: TestContext, read: () => Promise<T>, ready: (x: T) => boolean, what: string): Promise<T> {
  const started = Date.now();
  try {
    const x = await until(read, ready, what, SETTLE_MS);
    t.diagnostic(`${what}: settled ${Date.now() - started} ms after the restart`);
    return x;
  } catch (e) {
    assert.fail(`${e instanceof Error ? e.message : String(e)}\n${context()}`);
  }
}

const describe = (id: string): Promise<Cluster> => describeCluster(hsm, id);

/** Waits `ms` (between pkcs11-tool runs, which are synchronous too). */
const pause = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

/** The serial each HSM's system token was last seen with (to say what became of a token that went). */
const seen = new Map<string, string>();

/** What became of the token an HSM's system partition was last seen as. */
function lostToken(hsmId: string): string {
  const serial = seen.get(hsmId);
  if (serial === undefined) return '';
  const folder = softhsmTokenFolder(serial);
  const files = readdirSync(folder).map((n) => `${n}:${statSync(join(folder, n)).size}`).join(' ');
  return ` (it was ${serial}: ${files}; listed now: ${JSON.stringify(pkcs11Tokens().find((t) => t.serial === serial) ?? 'no')})`;
}

/**
 * The serial of an HSM's system partition: the one initialised token labelled `coffer:<hsmId>`,
 * looked for during 2 s (a running server's logins rewrite token.object: see pkcs11Tokens).
 */
function systemToken(hsmId: string): string {
  let labelled: { serial: string }[] = [];
  for (let i = 0; i < 10; i++) {
    labelled = pkcs11Tokens().filter((t) => t.label === `coffer:${hsmId}`);
    if (labelled.length === 1) break;
    pause(200);
  }
  const [token] = labelled;
  if (labelled.length !== 1 || token === undefined) assert.fail(`${labelled.length} tokens coffer:${hsmId}, not one${lostToken(hsmId)}: ${JSON.stringify(labelled)}\n${context()}`);
  seen.set(hsmId, token.serial);
  return token.serial;
}

/**
 * The public objects of an HSM's system token by label, as pkcs11-tool lists them without a login:
 * the cluster key (`coffer-ck`, public on SoftHSM) and the identity key pair's public half. What a
 * kill left half-written in SoftHSM's files (an empty or cut object file) is no object: not listed.
 */
function publicObjects(hsmId: string): Record<string, number> {
  let out = '';
  for (let i = 0; ; i++) {
    const r = pkcs11Tool(['--token-label', `coffer:${hsmId}`, '-O']);
    out = r.output;
    if (r.status === 0) break;
    if (i >= 10) assert.fail(`pkcs11-tool -O on coffer:${hsmId}: ${out}${lostToken(hsmId)}\n${context()}`);
    pause(200);
  }
  const counts: Record<string, number> = {};
  for (const m of out.matchAll(/^\s*label:\s*(.*)$/gm)) {
    const label = (m[1] ?? '').trim();
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}
const ck = (hsmId: string): number => publicObjects(hsmId)['coffer-ck'] ?? 0;
const identity = (hsmId: string): number => publicObjects(hsmId)['coffer-cluster-identity'] ?? 0;

const serials = (): Set<string> => new Set(pkcs11Tokens().map((t) => t.serial));

interface Made {
  clusterId: string;
  hsmIds: string[];
  signed?: SignedCluster;
  storeId?: string;
  keyArn?: string;
}
/** What each case leaves for the next: a cluster per round. */
const made: Made[] = [];

test('kill -9 during create-hsm ×2: both HSMs ACTIVE, the cluster UNINITIALIZED with a CSR, one token per HSM', { skip, timeout: 300_000 }, async (t) => {
  for (let round = 0; round < ROUNDS; round++) {
    const clusterId = await createCluster(hsm);
    const known = serials();
    const copies = copyTokenObjects();
    const hsmIds = await createTwoHsms(hsm, clusterId);
    const tokensMade = () => `tokens made ${pkcs11Tokens().filter((x) => !known.has(x.serial)).map((x) => x.label).join(',') || 'none'}`;
    await killAndRestart(t, `create-hsm round ${round}`, copies, tokensMade, clusterId);
    const c = await settle(t, () => describe(clusterId), hsmsReady, `create-hsm round ${round}: both ACTIVE with a CSR`);
    assert.deepEqual((c.Hsms ?? []).map((h) => h.HsmId).sort(), [...hsmIds].sort());
    assert.ok((c.Hsms ?? []).every((h) => h.StateMessage === undefined), JSON.stringify(c.Hsms));
    // One token per HSM, and no other token made: a repeat initialised none of its own.
    const system = hsmIds.map(systemToken);
    const fresh = pkcs11Tokens().filter((x) => !known.has(x.serial));
    assert.deepEqual(fresh.map((x) => x.serial).sort(), [...system].sort(), `the tokens made are the HSMs' two (seed ${seed}): ${JSON.stringify(fresh)}`);
    // The cluster identity key pair in one token, once; no cluster key yet.
    assert.deepEqual(hsmIds.map(identity).sort(), [0, 1], `identity public keys in the system tokens (seed ${seed})`);
    assert.deepEqual(hsmIds.map(ck), [0, 0]);
    made.push({ clusterId, hsmIds });
  }
});

test('kill -9 during initialize-cluster: INITIALIZED, the cluster key once in each system token, then activation and kmsuser work', { skip, timeout: 300_000 }, async (t) => {
  assert.equal(made.length, ROUNDS, 'the create-hsm case left its clusters');
  for (const [round, m] of made.entries()) {
    const c = await describe(m.clusterId);
    const signed = signClusterCsr(dataDir, m.clusterId, c.Certificates?.ClusterCsr ?? '');
    const identities = m.hsmIds.map(identity);
    const copies = copyTokenObjects();
    await initializeCluster(hsm, m.clusterId, signed);
    await killAndRestart(t, `initialize-cluster round ${round}`, copies, () => `cluster keys in the system tokens ${m.hsmIds.map(ck).join(',')}`, m.clusterId);
    await settle(t, () => describe(m.clusterId), (x) => x.State === 'INITIALIZED', `initialize-cluster round ${round}: INITIALIZED`);
    m.hsmIds.forEach(systemToken);
    assert.deepEqual(m.hsmIds.map(ck), [1, 1], `the cluster key once per system token (seed ${seed})`);
    assert.deepEqual(m.hsmIds.map(identity), identities);
    activateWithKmsUser(server(), m.clusterId);
    m.signed = signed;
  }
});

const describeStore = async (id: string): Promise<CustomKeyStoresListEntry> => {
  const s = (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }))).CustomKeyStores?.[0];
  assert.ok(s, `store ${id} is described`);
  return s;
};

/** A round trip through a key of a store (its crypto in the tokens). */
async function roundTrip(keyArn: string, text: string): Promise<void> {
  const secret = Buffer.from(text);
  const blob = (await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: secret, EncryptionContext: { case: 'kill9' } }))).CiphertextBlob;
  assert.deepEqual(bytes((await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { case: 'kill9' } }))).Plaintext), secret);
}

test('kill -9 during connect-custom-key-store: CONNECTED without a second call, then a key in the store encrypts and decrypts', { skip, timeout: 300_000 }, async (t) => {
  assert.ok(made.length === ROUNDS && made.every((m) => m.signed !== undefined), 'the initialize-cluster case left its clusters');
  for (const [round, m] of made.entries()) {
    const anchor = (m.signed as SignedCluster).trustAnchor;
    const storeId = (await explained(m.clusterId, () => kms.send(new CreateCustomKeyStoreCommand({
      CustomKeyStoreName: `kill9-${round}`, CloudHsmClusterId: m.clusterId, TrustAnchorCertificate: anchor, KeyStorePassword: KMSUSER_PASSWORD,
    })))).CustomKeyStoreId as string;
    const copies = copyTokenObjects();
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await killAndRestart(t, `connect round ${round}`, copies, () => 'the job only logs in', m.clusterId, storeId);
    const s = await settle(t, () => describeStore(storeId), (x) => x.ConnectionState !== 'CONNECTING', `connect round ${round}: CONNECTED`);
    assert.equal(s.ConnectionState, 'CONNECTED', `seed ${seed}: ${JSON.stringify(s)}`);
    assert.equal(s.ConnectionErrorCode, undefined);
    const keyArn = (await explained(m.clusterId, () => kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId })))).KeyMetadata?.Arn as string;
    await explained(m.clusterId, () => roundTrip(keyArn, `round ${round}: made after a kill -9 during connect`));
    m.storeId = storeId;
    m.keyArn = keyArn;
  }
});

test('kill -9 during delete-hsm: the HSM gone from DescribeClusters, its token and partition wiped; the key still works', { skip, timeout: 300_000 }, async (t) => {
  assert.ok(made.length === ROUNDS && made.every((m) => m.keyArn !== undefined), 'the connect case left its stores');
  for (const [round, m] of made.entries()) {
    // Alternately the first HSM (the identity key's, most likely) and the second.
    const gone = m.hsmIds[round % 2] as string;
    const kept = m.hsmIds[(round + 1) % 2] as string;
    const system = systemToken(gone);
    const tokensBefore = pkcs11Tokens();
    const partitionsBefore = tokensBefore.filter((x) => x.label === 'kmsuser').map((x) => x.serial);
    const copies = copyTokenObjects();
    await hsm.send(new DeleteHsmCommand({ ClusterId: m.clusterId, HsmId: gone }));
    const wiped = () => `its system token ${pkcs11Tokens().find((x) => x.serial === system)?.label === `coffer:${gone}` ? 'not yet wiped' : 'wiped'}`;
    await killAndRestart(t, `delete-hsm round ${round}`, copies, wiped, m.clusterId, m.storeId);
    await settle(t, () => describe(m.clusterId), (c) => !(c.Hsms ?? []).some((h) => h.HsmId === gone), `delete-hsm round ${round}: HSM gone`);
    const c = await describe(m.clusterId);
    assert.deepEqual((c.Hsms ?? []).map((h) => [h.HsmId, h.State]), [[kept, 'ACTIVE']]);
    const tokensAfter = pkcs11Tokens();
    assert.equal(tokensAfter.filter((x) => x.label === `coffer:${gone}`).length, 0, `no token coffer:${gone} left (seed ${seed})`);
    assert.equal(tokensAfter.find((x) => x.serial === system)?.label ?? '', '', 'its system token wiped (re-initialised with no label)');
    // Its kmsuser partition wiped: exactly one partition less, no token made.
    const partitionsAfter = tokensAfter.filter((x) => x.label === 'kmsuser').map((x) => x.serial);
    assert.equal(partitionsAfter.length, partitionsBefore.length - 1, `one kmsuser partition wiped\n${context()}`);
    assert.ok(partitionsAfter.every((s) => partitionsBefore.includes(s)));
    assert.deepEqual(tokensAfter.map((x) => x.serial).filter((s) => !tokensBefore.some((b) => b.serial === s)), [], 'no token made');
    systemToken(kept);
    await explained(m.clusterId, () => roundTrip(m.keyArn as string, `round ${round}: on the HSM left after a kill -9 during delete-hsm`));
  }
});
