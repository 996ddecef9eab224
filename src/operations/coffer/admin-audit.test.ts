/**
 * The admin API's audit operations over a small in-memory trail of two chains: pages cover every
 * record exactly once in chain then seq order, whatever the page size; a page never reads more
 * than Limit records; the time window filters; a NextToken this API did not answer (or one of the
 * other list) is ValidationException; digests and anchors are listed; only the home account calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { AuditAnchor, AuditDigest, AuditRow, AuditStore } from '../../ports/audit.ts';
import type { Caller } from '../context.ts';
import type { AdminContext } from './admin.ts';
import { exportAuditRecords, getAuditPublicKey, listAuditDigests, pruneAuditTrail, type AdminAudit } from './admin-audit.ts';

const HOME = '111122223333';
const row = (seq: number, eventTime: number): AuditRow => ({
  seq, eventTime, eventId: `e${seq}`, record: `{"n":${seq}}`, prevHash: `h${seq - 1}`, hash: `h${seq}`,
  eventName: 'Encrypt', eventSource: 'kms.amazonaws.com', readOnly: true, username: 'root', accessKeyId: undefined, accountId: HOME, ownerAccountId: undefined, resources: [],
});
const digest = (seqFrom: number, seqTo: number): AuditDigest => ({
  seqFrom, seqTo, lastHash: `h${seqTo}`, firstTime: seqFrom, lastTime: seqTo, createdAt: seqTo, prevDigestHash: '0', keyId: 'k', signature: 's',
});
const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });

/** A chain's store over arrays; counts the rows `scan` hands out. */
function store(rows: AuditRow[], digests: AuditDigest[], anchor: AuditAnchor | undefined, read: { rows: number }): AuditStore {
  const unused = (): never => { throw new Error('not used here'); };
  return {
    head: unused, lookup: unused, lastDigest: unused, putDigest: unused, prune: unused, putSigningKey: unused, count: unused, chains: unused,
    scan: (from, limit) => { const page = rows.filter((r) => r.seq >= from).slice(0, limit); read.rows += page.length; return Promise.resolve(page); },
    digests: () => Promise.resolve(digests),
    digestsFrom: (seqTo) => Promise.resolve(digests.filter((d) => d.seqTo >= seqTo)),
    anchor: () => Promise.resolve(anchor),
    signingKey: () => Promise.resolve({ id: 'k', publicKey, domainKeyId: 'd', wrapped: Buffer.alloc(0), createdAt: 0 }),
  };
}

function context(accountId = HOME): { ctx: AdminContext; read: { rows: number }; flushed: { n: number } } {
  const read = { rows: 0 };
  const flushed = { n: 0 };
  const stores: Record<string, AuditStore> = {
    '': store([3, 4, 5, 6, 7].map((s) => row(s, s * 1000)), [digest(1, 4), digest(5, 6)], { seq: 2, hash: 'h2' }, read),
    'node-b': store([1, 2, 3].map((s) => row(s, s * 1000)), [digest(1, 3)], undefined, read),
  };
  const audit: AdminAudit = {
    chains: () => Promise.resolve(['node-b', '']),
    store: (c) => stores[c] ?? assert.fail(`no chain ${c}`),
    flush: () => { flushed.n++; return Promise.resolve(); },
    prune: (before) => Promise.resolve([{ chain: '', pruned: before > 0 ? 2 : 0, anchorSeq: 4 }, { chain: 'node-b', pruned: 0, anchorSeq: undefined }]),
  };
  const caller = { accountId, arn: `arn:aws:iam::${accountId}:root` } as Caller;
  const ctx = {
    caller, request: {} as AdminContext['request'], homeAccountId: HOME, audit, now: () => 0, uow: { changes: [] } as unknown as AdminContext['uow'],
    accounts: { getAccount: () => Promise.resolve(undefined), listAccounts: () => Promise.resolve([]) },
    authorizeAccount: () => Promise.resolve(),
  } satisfies AdminContext;
  return { ctx, read, flushed };
}

interface Page { Records: { Chain: string; Seq: number }[]; NextToken?: string }

async function exportAll(ctx: AdminContext, input: Record<string, unknown>): Promise<{ seen: string[]; pages: number }> {
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await exportAuditRecords.run({ ...input, ...(token !== undefined ? { NextToken: token } : {}) }, ctx) as Page;
    seen.push(...page.Records.map((r) => `${r.Chain}/${r.Seq}`));
    token = page.NextToken;
    pages++;
    assert.ok(pages < 50, 'pagination ends');
  } while (token !== undefined);
  return { seen, pages };
}

test('ExportAuditRecords: every record once, chain then seq order, for any page size; a page reads at most Limit records', async () => {
  const all = ['/3', '/4', '/5', '/6', '/7', 'node-b/1', 'node-b/2', 'node-b/3'];
  for (const limit of [1, 2, 3, 5, 8, 1000]) {
    const { ctx, read, flushed } = context();
    const { seen, pages } = await exportAll(ctx, { Limit: limit });
    assert.deepEqual(seen, all, `Limit ${limit}`);
    assert.ok(read.rows <= pages * limit, `Limit ${limit}: ${read.rows} rows read in ${pages} pages`);
    assert.equal(flushed.n, 1, 'only the first page flushes');
  }
});

test('ExportAuditRecords: StartTime includes, EndTime excludes; pages outside the window may be empty yet go on', async () => {
  const { ctx } = context();
  const { seen } = await exportAll(ctx, { Limit: 2, StartTime: new Date(2000), EndTime: new Date(4000) });
  assert.deepEqual(seen, ['/3', 'node-b/2', 'node-b/3']);
  await assert.rejects(exportAuditRecords.run({ StartTime: new Date(5000), EndTime: new Date(5000) }, ctx), { name: 'ValidationException' });
});

test('a NextToken this API did not answer, or one of the other list, is ValidationException', async () => {
  const { ctx } = context();
  const digestsPage = await listAuditDigests.run({ Limit: 1 }, ctx) as { NextToken?: string };
  const recordsPage = await exportAuditRecords.run({ Limit: 1 }, ctx) as { NextToken?: string };
  assert.ok(digestsPage.NextToken !== undefined && recordsPage.NextToken !== undefined);
  await assert.rejects(exportAuditRecords.run({ NextToken: digestsPage.NextToken }, ctx), { name: 'ValidationException' });
  await assert.rejects(listAuditDigests.run({ NextToken: recordsPage.NextToken }, ctx), { name: 'ValidationException' });
  for (const bad of ['x', Buffer.from('{"k":"r","c":"nope","s":0}').toString('base64url'), Buffer.from('{"k":"r","c":"","s":-1}').toString('base64url'), Buffer.from('[]').toString('base64url')]) {
    await assert.rejects(exportAuditRecords.run({ NextToken: bad }, ctx), { name: 'ValidationException' }, bad);
  }
});

test('ListAuditDigests: every chain\'s digests once, in pages, with the anchors; GetAuditPublicKey answers PEM', async () => {
  const { ctx } = context();
  const seen: string[] = [];
  let token: string | undefined;
  let anchors: unknown;
  do {
    const page = await listAuditDigests.run({ Limit: 1, ...(token !== undefined ? { NextToken: token } : {}) }, ctx) as { Digests: { Chain: string; SeqTo: number }[]; Anchors: unknown; NextToken?: string };
    seen.push(...page.Digests.map((d) => `${d.Chain}/${d.SeqTo}`));
    anchors = page.Anchors;
    token = page.NextToken;
  } while (token !== undefined);
  assert.deepEqual(seen, ['/4', '/6', 'node-b/3']);
  assert.deepEqual(anchors, [{ Chain: '', Seq: 2, Hash: 'h2' }]);
  const key = await getAuditPublicKey.run({}, ctx) as { KeyId: string; PublicKey: string };
  assert.equal(key.KeyId, 'k');
  assert.match(key.PublicKey, /^-----BEGIN PUBLIC KEY-----\n/);
});

test('PruneAuditTrail sums the chains; another account\'s principal is refused before anything is read', async () => {
  const { ctx } = context();
  assert.deepEqual(await pruneAuditTrail.run({ Before: new Date(10_000) }, ctx), {
    Pruned: 2, Chains: [{ Chain: '', Pruned: 2, AnchorSeq: 4 }, { Chain: 'node-b', Pruned: 0 }],
  });
  const { ctx: other, read, flushed } = context('444455556666');
  for (const op of [exportAuditRecords, listAuditDigests, getAuditPublicKey, pruneAuditTrail]) {
    await assert.rejects(op.run({ Before: new Date(1) }, other), { name: 'AccessDeniedException', message: new RegExp(`coffer:${op.name}: only principals of the home account`) });
  }
  assert.equal(read.rows + flushed.n, 0);
});
