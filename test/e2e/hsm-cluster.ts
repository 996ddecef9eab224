/**
 * A Coffer HSM cluster on SoftHSM2, built end to end as a CloudHSM user builds one: create-cluster,
 * two HSMs in two zones, the CSR signed with OpenSSL, initialize-cluster, `coffer hsm cluster
 * activate`, `coffer hsm user create` for kmsuser. Shared by the suites that need such a cluster
 * (custom-key-store.test.ts, hsm-kill9.test.ts), in steps, so that a suite can act between them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudHSMV2Client, CreateClusterCommand, CreateHsmCommand, DescribeClustersCommand, InitializeClusterCommand, type Cluster } from '@aws-sdk/client-cloudhsm-v2';
import { REGION, REPO_ROOT, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { softhsmModulePath, softhsmTokenDir } from '../support/softhsm.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

export const KMSUSER_PASSWORD = 'kmsuser-pass-1';
export const ADMIN_PASSWORD = 'admin-password-1';
/** `coffer hsm` as the activated admin (CLOUDHSM_ROLE, CLOUDHSM_PIN). */
export const ADMIN = { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: `admin:${ADMIN_PASSWORD}` };

/**
 * The environment of a Coffer server whose HSMs are this process's SoftHSM tokens (the token folder
 * is made now, with its SOFTHSM2_CONF). The health probe and the jobs run often, so tests are quick.
 */
export function softhsmServerEnv(): Record<string, string> {
  softhsmTokenDir();
  return {
    SOFTHSM2_CONF: process.env.SOFTHSM2_CONF ?? '', COFFER_PKCS11_MODULE: softhsmModulePath(), COFFER_LOG_LEVEL: process.env.HSM_TEST_LOG ?? 'warn',
    COFFER_HSM_PROBE_MS: '300', COFFER_SCHEDULER_INTERVAL_MS: '500',
  };
}

/** A Coffer on this process's SoftHSM tokens and a CloudHSMv2 client of it: a suite's before/after. */
export interface HsmServer {
  readonly coffer: Coffer;
  readonly hsm: CloudHSMV2Client;
  /** Stops the server and removes its data folder. */
  stop(): Promise<void>;
}

/** `again`: the data folder and credentials of a server stopped before (a restart). */
export async function startHsmServer(env: Record<string, string> = {}, again?: Pick<Coffer, 'dataDir' | 'credentials'>): Promise<HsmServer> {
  const coffer = await startCoffer({ ...(again ? { dataDir: again.dataDir, credentials: again.credentials } : {}), env: { ...softhsmServerEnv(), ...env } });
  const hsm = new CloudHSMV2Client({ endpoint: coffer.endpoint, region: REGION, credentials: coffer.credentials, maxAttempts: 1 });
  return {
    coffer, hsm,
    stop: async () => {
      hsm.destroy();
      await coffer.stop();
      removeDataDir(coffer.dataDir);
    },
  };
}

/** `coffer hsm …` (cloudhsm-cli shape) against `coffer` with its credentials (and `extra` env: CLOUDHSM_ROLE, CLOUDHSM_PIN): its JSON answer. */
export function cofferHsm(coffer: Coffer, args: string[], extra: Record<string, string> = {}): { error_code: number; data: unknown } {
  return cofferHsmRun(coffer, args, extra).json;
}

/** cofferHsm with the exit status too. */
export function cofferHsmRun(coffer: Coffer, args: string[], extra: Record<string, string> = {}): { status: number | null; json: { error_code: number; data: unknown } } {
  const r = spawnSync(process.execPath, [...cofferArgs('cli'), 'hsm', ...args, '--endpoint-url', coffer.endpoint], {
    cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? '', HOME: '/nonexistent',
      AWS_ACCESS_KEY_ID: coffer.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: coffer.credentials.secretAccessKey, AWS_REGION: REGION,
      ...extra,
    },
  });
  let json: { error_code: number; data: unknown };
  try { json = JSON.parse(r.stdout) as typeof json; } catch { assert.fail(`coffer hsm ${args.join(' ')}: not JSON: ${r.stdout}${r.stderr}`); }
  return { status: r.status, json };
}

/** Reads until `ready`, every 150 ms; fails with the last value read after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, ready: (t: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const t = await read();
    if (ready(t)) return t;
    if (Date.now() - started > timeoutMs) assert.fail(`${what}: still ${JSON.stringify(t)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export async function describeCluster(hsm: CloudHSMV2Client, id: string): Promise<Cluster> {
  const c = (await hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [id] } }))).Clusters?.[0];
  assert.ok(c, `cluster ${id} is described`);
  return c;
}

/** Two HSMs, both ACTIVE, and the CSR: what create-hsm ×2 leads to. */
export const hsmsReady = (c: Cluster): boolean =>
  c.State === 'UNINITIALIZED' && c.Hsms?.length === 2 && c.Hsms.every((h) => h.State === 'ACTIVE') && c.Certificates?.ClusterCsr !== undefined;

/** create-cluster with two subnets (two zones), until UNINITIALIZED; answers its id. */
export async function createCluster(hsm: CloudHSMV2Client): Promise<string> {
  const created = await hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3e'] }));
  const id = created.Cluster?.ClusterId as string;
  await until(() => describeCluster(hsm, id), (c) => c.State === 'UNINITIALIZED', 'UNINITIALIZED');
  return id;
}

/** create-hsm in zones a and b (answered CREATE_IN_PROGRESS: the job makes them ACTIVE); answers their ids. */
export async function createTwoHsms(hsm: CloudHSMV2Client, clusterId: string): Promise<string[]> {
  const ids: string[] = [];
  for (const zone of ['a', 'b']) {
    const made = await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: `${REGION}${zone}` }));
    ids.push(made.Hsm?.HsmId as string);
  }
  return ids;
}

export interface SignedCluster {
  /** The trust anchor that signed the cluster certificate, and another one (a wrong anchor). */
  readonly anchorFile: string;
  readonly otherAnchorFile: string;
  /** initialize-cluster's input. */
  readonly signedCert: string;
  readonly trustAnchor: string;
}

/** Signs the cluster's CSR with a fresh OpenSSL CA in `dir` (files named after `name`). */
export function signClusterCsr(dir: string, name: string, csr: string): SignedCluster {
  const f = (n: string) => join(dir, `${name}-${n}`);
  writeFileSync(f('cluster.csr'), csr);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('anchor.key'), '-out', f('anchor.crt'), '-days', '30', '-subj', '/CN=Coffer test anchor');
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('other.key'), '-out', f('other.crt'), '-days', '30', '-subj', '/CN=Another anchor');
  ssl('x509', '-req', '-in', f('cluster.csr'), '-CA', f('anchor.crt'), '-CAkey', f('anchor.key'), '-CAcreateserial', '-out', f('cluster.crt'), '-days', '30');
  return { anchorFile: f('anchor.crt'), otherAnchorFile: f('other.crt'), signedCert: readFileSync(f('cluster.crt'), 'utf8'), trustAnchor: readFileSync(f('anchor.crt'), 'utf8') };
}

/** initialize-cluster with the signed certificate (answered INITIALIZE_IN_PROGRESS: the job makes it INITIALIZED). */
export async function initializeCluster(hsm: CloudHSMV2Client, clusterId: string, signed: SignedCluster): Promise<void> {
  await hsm.send(new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: signed.signedCert, TrustAnchor: signed.trustAnchor }));
}

/** `coffer hsm cluster activate` then `coffer hsm user create` of kmsuser (a partition on each HSM), both asserted to succeed. */
export function activateWithKmsUser(coffer: Coffer, clusterId: string): void {
  assert.deepEqual(cofferHsm(coffer, ['cluster', 'activate', '--cluster-id', clusterId, '--password', ADMIN_PASSWORD]), { error_code: 0, data: 'Cluster activation successful' });
  assert.deepEqual(cofferHsm(coffer, ['user', 'create', '--cluster-id', clusterId, '--username', 'kmsuser', '--role', 'crypto-user', '--password', KMSUSER_PASSWORD], ADMIN),
    { error_code: 0, data: { username: 'kmsuser', role: 'crypto-user' } });
}

/** One `coffer hsm` answer as the suites read it: cloudhsm-cli's error_code, the exit status, the data. */
export interface HsmCliResult<D> { readonly code: number; readonly status: number | null; readonly data: D }

/**
 * The two checks every `coffer hsm` suite makes, over its own runner: `ok` (error_code 0, exit 0:
 * the data) and `fail` (error_code 1, a non-zero exit, the data matching `message`).
 */
export function hsmCliChecks<D>(cli: (args: string[], env: Record<string, string>) => HsmCliResult<D>): {
  ok: (args: string[], env?: Record<string, string>) => D;
  fail: (args: string[], env: Record<string, string>, message: RegExp) => void;
} {
  return {
    ok: (args, env = {}) => {
      const r = cli(args, env);
      assert.equal(r.code, 0, `coffer hsm ${args.join(' ')}: ${JSON.stringify(r.data)}`);
      assert.equal(r.status, 0);
      return r.data;
    },
    fail: (args, env, message) => {
      const r = cli(args, env);
      assert.equal(r.code, 1, `coffer hsm ${args.join(' ')} should fail: ${JSON.stringify(r.data)}`);
      assert.notEqual(r.status, 0);
      assert.match(String(r.data), message);
    },
  };
}
