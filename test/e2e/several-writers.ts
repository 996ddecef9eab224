/**
 * The cases every deployment with several writers on one storage must pass (COFFER_WORKERS on one
 * data folder; nodes on one PostgreSQL database): a change made through one writer takes effect
 * through every other within the coherence bound, and writers racing on one key or name never lose
 * an update, never duplicate one, and the loser gets AWS's answer. `clients` are KMS clients each
 * with its own connection: for workers, connections are dealt to the workers in turn, so clients
 * made one after another reach different workers; for nodes, each client names one node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand,
  EncryptCommand, ListKeyRotationsCommand, PutKeyPolicyCommand, RevokeGrantCommand, RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand, KMSClient, GetKeyPolicyCommand, DecryptCommand,
} from '@aws-sdk/client-kms';
import { ACCOUNT_ID, REGION, type Coffer, type Credentials } from './harness.ts';

/** The consistency bound the README states: a change made through one writer is in force everywhere within this. */
export const COHERENCE_BOUND_MS = 1_000;

export interface Writers {
  /** Where changes are made. */
  readonly writer: Coffer;
  /** The others: each a server (a node) or, for workers, the same server reached over another connection. */
  readonly others: readonly Coffer[];
}

/** Polls `check` on every client until it holds on all; resolves with the milliseconds that took. */
async function untilEverywhere(clients: readonly KMSClient[], check: (c: KMSClient) => Promise<boolean>, limitMs = 5_000): Promise<number> {
  const started = performance.now();
  const pending = new Set(clients);
  while (pending.size > 0) {
    for (const c of [...pending]) if (await check(c)) pending.delete(c);
    if (pending.size === 0) break;
    if (performance.now() - started > limitMs) throw new Error(`${pending.size} client(s) did not see the change within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - started;
}

const fails = async (p: Promise<unknown>, name: string): Promise<boolean> => {
  try {
    await p;
    return false;
  } catch (e) {
    return (e as Error).name === name;
  }
};

/** A signed IAM Query call (for identity changes and a user's access key). */
async function iam(c: Coffer, action: string, params: Record<string, string>, creds?: Credentials): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString();
  const r = await c.raw({ service: 'iam', region: 'us-east-1', body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, ...(creds ? { credentials: creds } : {}) });
  if (r.status !== 200) throw new Error(`IAM ${action} answered ${r.status}: ${r.body}`);
  return r.body;
}
const tag = (xml: string, name: string): string => {
  const open = `<${name}>`;
  const i = xml.indexOf(open);
  const j = xml.indexOf(`</${name}>`, i);
  if (i < 0 || j < 0) throw new Error(`no <${name}> in ${xml.slice(0, 300)}`);
  return xml.slice(i + open.length, j);
};

/** Registers the cases; `get` gives the running writers (started by the file's before hook). */
export function severalWritersCases(get: () => Writers, figures: (name: string, ms: number) => void): void {
  const clients = (): { a: KMSClient; others: KMSClient[] } => {
    const w = get();
    // For workers, `others` name the same server: each client is one more connection, dealt to the next worker.
    return { a: w.writer.client(), others: [...w.others.map((o) => o.client()), ...w.others.map((o) => o.client())] };
  };

  test('a key made through one writer is used through every other at once', async () => {
    const { a, others } = clients();
    const { KeyMetadata } = await a.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata?.KeyId ?? '';
    for (const c of others) {
      const { CiphertextBlob } = await c.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
      const { Plaintext } = await a.send(new DecryptCommand({ CiphertextBlob }));
      assert.equal(Buffer.from(Plaintext ?? []).toString(), 'x');
    }
  });

  test(`DisableKey, EnableKey, PutKeyPolicy, ScheduleKeyDeletion and a rotation take effect through every writer within ${COHERENCE_BOUND_MS} ms`, async () => {
    const { a, others } = clients();
    const { KeyMetadata } = await a.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata?.KeyId ?? '';
    const encrypt = (c: KMSClient) => c.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
    for (const c of others) await encrypt(c); // every writer has the key cached

    await a.send(new DisableKeyCommand({ KeyId: keyId }));
    const disabled = await untilEverywhere(others, (c) => fails(encrypt(c), 'DisabledException'));
    await a.send(new EnableKeyCommand({ KeyId: keyId }));
    const enabled = await untilEverywhere(others, async (c) => !await fails(encrypt(c), 'DisabledException'));

    const { Policy } = await a.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
    const denyEncrypt = JSON.parse(Policy ?? '{}') as { Statement: unknown[] };
    denyEncrypt.Statement.push({ Sid: 'deny', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Encrypt', Resource: '*' });
    await a.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(denyEncrypt) }));
    const policy = await untilEverywhere(others, (c) => fails(encrypt(c), 'AccessDeniedException'));
    await a.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: Policy ?? '' }));
    await untilEverywhere(others, async (c) => !await fails(encrypt(c), 'AccessDeniedException'));

    await a.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    const rotated = await untilEverywhere(others, async (c) => ((await c.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? []).length === 1);

    await a.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const deletion = await untilEverywhere(others, (c) => fails(encrypt(c), 'KMSInvalidStateException'));
    for (const [name, ms] of Object.entries({ DisableKey: disabled, EnableKey: enabled, PutKeyPolicy: policy, RotateKeyOnDemand: rotated, ScheduleKeyDeletion: deletion })) {
      figures(name, ms);
      assert.ok(ms < COHERENCE_BOUND_MS, `${name} took ${Math.round(ms)} ms to reach every writer`);
    }
  });

  test(`an IAM access key made inactive, and a grant revoked, stop working through every writer within ${COHERENCE_BOUND_MS} ms`, async () => {
    const w = get();
    const { a } = clients();
    const name = `writer-${randomUUID().slice(0, 8)}`;
    await iam(w.writer, 'CreateUser', { UserName: name });
    const created = await iam(w.writer, 'CreateAccessKey', { UserName: name });
    const user: Credentials = { accessKeyId: tag(created, 'AccessKeyId'), secretAccessKey: tag(created, 'SecretAccessKey') };
    const { KeyMetadata } = await a.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata?.KeyId ?? '';
    const { GrantId } = await a.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: `arn:aws:iam::${ACCOUNT_ID}:user/${name}`, Operations: ['Encrypt'] }));
    const userClients = [...w.others, ...w.others].map((o) => o.client(REGION, user));
    const encrypt = (c: KMSClient) => c.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
    for (const c of userClients) await encrypt(c);

    await a.send(new RevokeGrantCommand({ KeyId: keyId, GrantId }));
    const revoked = await untilEverywhere(userClients, (c) => fails(encrypt(c), 'AccessDeniedException'));
    await iam(w.writer, 'UpdateAccessKey', { UserName: name, AccessKeyId: user.accessKeyId, Status: 'Inactive' });
    const inactive = await untilEverywhere(userClients, async (c) => {
      try {
        await c.send(new DescribeKeyCommand({ KeyId: keyId }));
        return false;
      } catch (e) {
        return (e as Error).name !== 'AccessDeniedException';
      }
    });
    figures('RevokeGrant', revoked);
    figures('UpdateAccessKey', inactive);
    assert.ok(revoked < COHERENCE_BOUND_MS, `RevokeGrant took ${Math.round(revoked)} ms`);
    assert.ok(inactive < COHERENCE_BOUND_MS, `UpdateAccessKey took ${Math.round(inactive)} ms`);
  });

  test('racing writers: two CreateAlias of one name (one wins, one AlreadyExistsException), rotate + rotate (two rotations), DisableKey + PutKeyPolicy (both kept)', async () => {
    const { a, others } = clients();
    const b = others[0] as KMSClient;
    for (let round = 0; round < 5; round++) {
      const { KeyMetadata } = await a.send(new CreateKeyCommand({}));
      const keyId = KeyMetadata?.KeyId ?? '';
      await b.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('warm') }));
      const alias = `alias/race-${randomUUID()}`;
      const results = await Promise.allSettled([
        a.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId })),
        b.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId })),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one CreateAlias wins');
      const lost = results.find((r) => r.status === 'rejected');
      assert.equal(lost?.status === 'rejected' ? (lost.reason as Error).name : '', 'AlreadyExistsException');

      await Promise.all([a.send(new RotateKeyOnDemandCommand({ KeyId: keyId })), b.send(new RotateKeyOnDemandCommand({ KeyId: keyId }))]);
      // What each writer reads is in force everywhere within the bound: wait for it, then it must be both.
      const rotations = async (c: KMSClient) => ((await c.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? []).length;
      await untilEverywhere([a, b], async (c) => await rotations(c) >= 2).catch(() => undefined);
      assert.equal(await rotations(a), 2, 'two rotations, none lost');
      assert.equal(await rotations(b), 2, 'two rotations, none lost');

      const { Policy } = await a.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));
      const changed = JSON.stringify({ ...JSON.parse(Policy ?? '{}') as object, Id: `round-${round}` });
      await Promise.all([
        a.send(new DisableKeyCommand({ KeyId: keyId })),
        b.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: changed })),
      ]);
      const both = async (c: KMSClient) => (await c.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState === 'Disabled'
        && (await c.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy === changed;
      await untilEverywhere([a, b], both, COHERENCE_BOUND_MS).catch(() => undefined);
      for (const c of [a, b]) {
        assert.equal((await c.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, 'Disabled', 'the DisableKey is kept');
        assert.equal((await c.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy, changed, 'the PutKeyPolicy is kept');
      }
    }
  });
}
