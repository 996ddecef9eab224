/**
 * PostgreSQL stopped for 10 seconds under load, then started again: while it is away the nodes'
 * errors are retryable (HTTP 5xx: KMSInternalException or DependencyTimeoutException), no request
 * hangs, /health says the database cannot be reached; once it is back both nodes serve again
 * within seconds, without a restart. A private cluster of this test's own (never the shared one).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { newDataDir, removeDataDir, startCoffer, type Coffer } from './harness.ts';
import { postgresSkip, privateCluster, type PrivateCluster } from '../support/postgres.ts';

const skip = await postgresSkip();
let cluster: PrivateCluster | undefined;
const nodes: Coffer[] = [];
after(async () => {
  for (const n of nodes) { await n.stop(); removeDataDir(n.dataDir); }
  cluster?.destroySync();
});

const RETRYABLE = new Set(['KMSInternalException', 'DependencyTimeoutException']);

test('PostgreSQL away for 10 s under load: retryable errors, no hang, /health tells, and service again within seconds of its return', { skip, timeout: 120_000 }, async () => {
  cluster = await privateCluster();
  assert.ok(cluster, 'a private PostgreSQL cluster');
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE coffer');
  await admin.end();
  const url = cluster.adminUrl.replace(/\/postgres$/, '/coffer');
  const a = await startCoffer({ env: { COFFER_DATABASE_URL: url, COFFER_NODE_ID: 'outage-a' } });
  nodes.push(a);
  const dirB = newDataDir();
  copyFileSync(join(a.dataDir, 'root.key'), join(dirB, 'root.key'));
  const b = await startCoffer({ dataDir: dirB, env: { COFFER_DATABASE_URL: url, COFFER_NODE_ID: 'outage-b' } });
  nodes.push(b);
  const { KeyMetadata } = await a.client().send(new CreateKeyCommand({}));
  const keyId = KeyMetadata?.KeyId ?? '';

  const errors = new Map<string, number>();
  let slowest = 0;
  let stop = false;
  const acknowledged: Uint8Array[] = [];
  const load = async (c: KMSClient, write: boolean): Promise<void> => {
    while (!stop) {
      const started = performance.now();
      try {
        if (write) await c.send(new CreateKeyCommand({}));
        else {
          const r = await c.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('outage') }));
          if (r.CiphertextBlob) acknowledged.push(r.CiphertextBlob);
        }
      } catch (e) {
        const err = e as Error & { $metadata?: { httpStatusCode?: number } };
        const status = err.$metadata?.httpStatusCode ?? 0;
        const kind = `${err.name} ${status}`;
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        slowest = Math.max(slowest, performance.now() - started);
      }
    }
  };
  // A node that stopped answering (it died) fails the test with its own last words.
  const health = async (n: Coffer) => (await fetch(`${n.endpoint}/health`).catch((e: Error) => {
    throw new Error(`the node at ${n.endpoint} did not answer /health (${e.message}); its output ends:\n${n.output().slice(-3000)}`);
  })).status;
  const running = [load(a.client(), false), load(b.client(), false), load(a.client(), true), load(b.client(), true)];
  let unhealthy = false;
  let recovered: number[] = [];
  try {
    await new Promise((r) => setTimeout(r, 1_000));

    cluster.stop();
    const stoppedAt = performance.now();
    while (performance.now() - stoppedAt < 10_000) {
      if (await health(a) === 503 && await health(b) === 503) unhealthy = true;
      await new Promise((r) => setTimeout(r, 250));
    }
    await cluster.start();
    const startedAt = performance.now();
    // Both nodes make keys again (a write: database, audit and caches all working).
    recovered = await Promise.all([a, b].map(async (n) => {
      const c = n.client();
      for (;;) {
        try {
          await c.send(new CreateKeyCommand({}));
          return performance.now() - startedAt;
        } catch {
          assert.ok(performance.now() - startedAt < 30_000, 'the node serves again without a restart');
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }));
  } finally {
    // Also when an assertion failed: the load loops must end, or the file never would.
    stop = true;
    await Promise.all(running);
  }
  // /health rechecks the database every 2 s: healthy again within that of the first write.
  const healthyAgain = await Promise.all([a, b].map(async (n) => {
    for (let i = 0; i < 25 && await health(n) !== 200; i++) await new Promise((r) => setTimeout(r, 200));
    return health(n);
  }));
  console.log(`outage: errors ${JSON.stringify(Object.fromEntries(errors))}; slowest request ${Math.round(slowest)} ms; writes again after ${recovered.map((ms) => Math.round(ms)).join(' / ')} ms`);

  assert.ok(unhealthy, '/health answered 503 on both nodes while the database was away');
  assert.deepEqual(healthyAgain, [200, 200]);
  assert.ok(errors.size > 0, 'the outage was seen');
  for (const [kind, n] of errors) {
    const [name, status] = kind.split(' ');
    assert.ok(RETRYABLE.has(name ?? '') && Number(status) >= 500, `${n} error(s) of ${kind}: every error is a retryable 5xx`);
  }
  assert.ok(slowest < 15_000, `no request hung (slowest ${Math.round(slowest)} ms)`);
  for (const ms of recovered) assert.ok(ms < 10_000, `served again ${Math.round(ms)} ms after the database returned`);
  const c = b.client();
  for (const blob of acknowledged.slice(-50)) await c.send(new DecryptCommand({ CiphertextBlob: blob }));
});
