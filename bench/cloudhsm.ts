/**
 * The CloudHSM cells of `npm run bench` (BENCH_ONLY=cloudhsm runs them alone): one Coffer process
 * whose HSM tier is SoftHSM2 (a token folder of this run), a 2-HSM cluster initialised with an
 * OpenSSL-signed certificate and activated, `kmsuser`, an AWS_CLOUDHSM custom key store connected
 * to it and a KMS key in it; beside it, in the same process, a software key. Encrypt and
 * GenerateDataKey at concurrency 16 on each, in the same run: the target is the CloudHSM-backed
 * key at ≥ 50% of the software key's rate (the token does tens of thousands of AES-GCM a second,
 * so the HTTP, SigV4 and audit path, not the token, should set the rate).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult } from './loadgen.ts';

export interface CloudHsmCell {
  readonly key: 'software' | 'AWS_CLOUDHSM';
  readonly operation: 'Encrypt' | 'GenerateDataKey';
  readonly concurrency: number;
  readonly rps: number;
  readonly p99Ms: number;
}

export interface CloudHsmResult { readonly cells: readonly CloudHsmCell[]; readonly skipped?: string }

export interface CloudHsmDeps {
  /** Starts Coffer with these settings (over the bench's own) on a fresh data folder. */
  readonly startCoffer: (env: Record<string, string>) => Promise<{ readonly port: number; readonly dataDir: string; readonly stop: () => Promise<void> }>;
  /** One signed JSON 1.1 call: `target` is the full X-Amz-Target, `service` the SigV4 scope. */
  readonly call: (port: number, service: string, target: string, body: object) => Promise<Record<string, unknown>>;
  readonly load: (port: number, target: string, body: string, concurrency: number) => LoadResult;
  readonly plaintext: string;
}

const MODULE = process.env.COFFER_PKCS11_MODULE ?? '/usr/lib/softhsm/libsofthsm2.so';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T>, ready: (v: T) => boolean): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await read();
    if (ready(v)) return v;
    if (Date.now() - started > 60_000) throw new Error(`${what}: not ready after 60 s: ${JSON.stringify(v).slice(0, 400)}`);
    await sleep(200);
  }
}

export async function runCloudHsmBench(d: CloudHsmDeps): Promise<CloudHsmResult> {
  if (!existsSync(MODULE)) return { cells: [], skipped: 'SoftHSM2 not installed: apt-get install softhsm2 opensc' };
  const root = mkdtempSync(join(tmpdir(), 'coffer-bench-hsm-'));
  const tokens = join(root, 'tokens');
  mkdirSync(tokens, { mode: 0o700 });
  const conf = join(root, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const s = await d.startCoffer({ SOFTHSM2_CONF: conf, COFFER_PKCS11_MODULE: MODULE });
  try {
    const hsm = (op: string, body: object) => d.call(s.port, 'cloudhsm', `BaldrApiService.${op}`, body);
    const data = (op: string, body: object) => d.call(s.port, 'cloudhsm', `CofferHsmService.${op}`, body);
    const kms = (op: string, body: object) => d.call(s.port, 'kms', `TrentService.${op}`, body);
    const clusterOf = async (id: string) => ((await hsm('DescribeClusters', { Filters: { clusterIds: [id] } })).Clusters as Record<string, unknown>[])[0] ?? {};

    const id = ((await hsm('CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3e'] })).Cluster as { ClusterId: string }).ClusterId;
    await until('cluster', () => clusterOf(id), (c) => c.State === 'UNINITIALIZED');
    await hsm('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1a' });
    await hsm('CreateHsm', { ClusterId: id, AvailabilityZone: 'us-east-1b' });
    const active = await until('HSMs', () => clusterOf(id), (c) => {
      const hsms = c.Hsms as { State: string }[] | undefined;
      return hsms?.length === 2 && hsms.every((h) => h.State === 'ACTIVE') && (c.Certificates as { ClusterCsr?: string } | undefined)?.ClusterCsr !== undefined;
    });
    const f = (n: string) => join(root, n);
    writeFileSync(f('cluster.csr'), (active.Certificates as { ClusterCsr: string }).ClusterCsr);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '30', '-subj', '/CN=bench-ca');
    ssl('x509', '-req', '-in', f('cluster.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('cluster.crt'), '-days', '30');
    const anchor = readFileSync(f('ca.crt'), 'utf8');
    await hsm('InitializeCluster', { ClusterId: id, SignedCert: readFileSync(f('cluster.crt'), 'utf8'), TrustAnchor: anchor });
    await until('INITIALIZED', () => clusterOf(id), (c) => c.State === 'INITIALIZED');
    await data('ActivateCluster', { ClusterId: id, Password: 'bench-admin-pw' });
    await data('CreateUser', { ClusterId: id, Username: 'kmsuser', Role: 'crypto-user', Password: 'bench-kmsuser-pw', Auth: { Username: 'admin', Role: 'admin', Password: 'bench-admin-pw' } });
    const store = (await kms('CreateCustomKeyStore', { CustomKeyStoreName: 'bench', CloudHsmClusterId: id, TrustAnchorCertificate: anchor, KeyStorePassword: 'bench-kmsuser-pw' })).CustomKeyStoreId as string;
    await kms('ConnectCustomKeyStore', { CustomKeyStoreId: store });
    await until('store CONNECTED', async () => ((await kms('DescribeCustomKeyStores', { CustomKeyStoreId: store })).CustomKeyStores as { ConnectionState: string }[])[0], (e) => e?.ConnectionState === 'CONNECTED');
    const hsmKey = ((await kms('CreateKey', { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: store })).KeyMetadata as { Arn: string }).Arn;
    const softKey = ((await kms('CreateKey', {})).KeyMetadata as { Arn: string }).Arn;

    const cells: CloudHsmCell[] = [];
    const ops = [
      ['Encrypt', (k: string) => JSON.stringify({ KeyId: k, Plaintext: d.plaintext })],
      ['GenerateDataKey', (k: string) => JSON.stringify({ KeyId: k, KeySpec: 'AES_256' })],
    ] as const;
    for (const [op, body] of ops) for (const k of [softKey, hsmKey]) d.load(s.port, `TrentService.${op}`, body(k), 16); // warm-up
    for (const [op, body] of ops) {
      for (const [key, arn] of [['software', softKey], ['AWS_CLOUDHSM', hsmKey]] as const) {
        const r = d.load(s.port, `TrentService.${op}`, body(arn), 16);
        cells.push({ key, operation: op, concurrency: 16, rps: r.rps, p99Ms: r.p99Ms });
        console.log(`${key.padEnd(13)} ${op.padEnd(16)} c=16  ${r.rps.toFixed(0).padStart(6)} req/s  p99 ${r.p99Ms.toFixed(2)} ms`);
      }
    }
    return { cells };
  } finally {
    await s.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

export function cloudHsmMarkdown(r: CloudHsmResult): { lines: string[]; targets: { target: string; value: string; met: boolean }[] } {
  if (r.skipped !== undefined) return { lines: [`CloudHSM cells skipped: ${r.skipped}`, ''], targets: [] };
  const rps = (key: string, op: string) => r.cells.find((c) => c.key === key && c.operation === op)?.rps ?? Number.NaN;
  const targets = (['Encrypt', 'GenerateDataKey'] as const).map((op) => {
    const ratio = rps('AWS_CLOUDHSM', op) / rps('software', op);
    return { target: `${op} on an AWS_CLOUDHSM key ≥ 50% of a software key's rate (c=16, same run)`, value: `${(ratio * 100).toFixed(0)}%`, met: ratio >= 0.5 };
  });
  return {
    lines: [
      '| Key | Operation | Concurrency | req/s | p99 ms |', '|---|---|---:|---:|---:|',
      ...r.cells.map((c) => `| ${c.key} | ${c.operation} | ${c.concurrency} | ${c.rps.toFixed(0)} | ${c.p99Ms.toFixed(2)} |`), '',
    ],
    targets,
  };
}
