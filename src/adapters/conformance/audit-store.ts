/**
 * The conformance suite of the AuditStore port and of how `Storage.commit` appends records: every
 * adapter (SQLite, PostgreSQL, memory) runs these cases, so that the audit writer, the
 * verifier and LookupEvents rely on one behaviour: records chained from the head found inside
 * the commit, read in seq order, looked up newest first by one attribute within an account and a
 * time range, digests by their last record, pruning up to an anchor that then heads the chain.
 * The hashes here are computed as the writer does, but storage only orders and stores them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AuditDigest, AuditRow, AuditStore, ChainHead } from '../../ports/audit.ts';
import type { Storage } from '../../ports/storage.ts';
import type { Change } from '../../ports/changes.ts';

/** A fresh, empty store of one adapter, and how to dispose of it. */
export interface AuditStoreFixture {
  readonly audit: AuditStore;
  readonly storage: Storage;
  /** The chain `audit` and `storage` write ('' when absent). */
  readonly chain?: string;
  /**
   * Another writer's store and storage on the same database, on chain `chain` (adapters that
   * several writers share: SQLite for workers, PostgreSQL for nodes); absent for the memory adapter.
   */
  readonly otherChain?: ((chain: string) => Promise<{ readonly audit: AuditStore; readonly storage: Storage }>) | undefined;
  close(): Promise<void> | void;
}

/** The chain of the case running (rows read back name it). */
let currentChain = '';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const GENESIS = '0'.repeat(64);

/** What a case says of a record; the rest is filled in (every member present, as a store reads one back). */
interface Spec {
  readonly eventName?: string;
  readonly eventSource?: string;
  readonly readOnly?: boolean;
  readonly username?: string;
  readonly accessKeyId?: string;
  readonly accountId?: string;
  readonly ownerAccountId?: string;
  readonly resources?: AuditRow['resources'];
  readonly eventTime?: number;
}

/** The rows of `specs`, chained after `head` as the audit writer chains them. */
function chained(head: ChainHead | undefined, specs: readonly Spec[], chain = currentChain): AuditRow[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS;
  return specs.map((s) => {
    seq++;
    const record = JSON.stringify({ eventID: `event-${seq}`, eventName: s.eventName ?? 'Encrypt' });
    const hash = createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(record).digest('hex');
    const row: AuditRow = {
      seq, eventTime: s.eventTime ?? 1_000 + seq, eventId: `event-${seq}`, eventName: s.eventName ?? 'Encrypt',
      eventSource: s.eventSource ?? 'kms.amazonaws.com', readOnly: s.readOnly ?? true, username: s.username, accessKeyId: s.accessKeyId,
      accountId: s.accountId ?? ACCOUNT, ownerAccountId: s.ownerAccountId, resources: s.resources ?? [], record, prevHash, hash, chain,
    };
    prevHash = hash;
    return row;
  });
}

/**
 * Commits `specs` as one commit's records (with `changes`); resolves with the rows, the head the
 * commit handed to `records` (once: `seen` has one element) and the head it answered.
 */
async function append(storage: Storage, specs: readonly Spec[], changes: readonly Change[] = [], chain = currentChain) {
  const seen: (ChainHead | undefined)[] = [];
  const rows: AuditRow[] = [];
  const head = await storage.commit({ changes, records: (h) => { seen.push(h); rows.push(...chained(h, specs, chain)); return rows; } });
  return { rows, seen, head };
}

const digest = (seqFrom: number, seqTo: number, createdAt = seqTo): AuditDigest => ({
  seqFrom, seqTo, lastHash: seqTo.toString(16).padStart(64, '0'), firstTime: seqFrom, lastTime: seqTo, createdAt,
  prevDigestHash: GENESIS, keyId: 'signing-key-1', signature: `signature-${seqTo}`,
});

const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/k1`;

export interface AuditStoreOptions {
  /** Why the adapter cannot run here (its server is not installed): every case is reported skipped. */
  readonly skip?: string | undefined;
  /** Whether one database holds several writers' chains (otherChain): SQLite and PostgreSQL; not the memory adapter. */
  readonly chains?: boolean;
}

/** Registers the suite for one adapter; `open` makes a fresh, empty store (of one chain, where the adapter has several) for each case. */
export function auditStoreConformance(adapter: string, open: () => Promise<AuditStoreFixture>, options: AuditStoreOptions = {}): void {
  const run = (name: string, body: (audit: AuditStore, storage: Storage, f: AuditStoreFixture) => Promise<void>): void => {
    test(name, async () => {
      const f = await open();
      currentChain = f.chain ?? '';
      try {
        await body(f.audit, f.storage, f);
      } finally {
        await f.close();
      }
    });
  };

  describe(`AuditStore conformance: ${adapter}`, options.skip === undefined ? {} : { skip: options.skip }, () => {
    run('an empty trail: no head, record, digest, anchor or signing key', async (audit) => {
      assert.equal(await audit.head(), undefined);
      assert.deepEqual(await audit.scan(0, 10), []);
      assert.equal(await audit.count(), 0);
      assert.deepEqual(await audit.digests(), []);
      assert.equal(await audit.lastDigest(), undefined);
      assert.equal(await audit.anchor(), undefined);
      assert.equal(await audit.signingKey(), undefined);
    });

    run('a commit\'s records are chained from the head found inside it; the next commit continues from its last row', async (audit, storage) => {
      const first = await append(storage, [{ eventName: 'CreateKey', readOnly: false }, {}]);
      assert.deepEqual(first.seen, [undefined], 'an empty trail has no head');
      assert.deepEqual(first.head, { seq: 2, hash: first.rows[1]?.hash });
      assert.deepEqual(await audit.head(), first.head);
      const second = await append(storage, [{}, {}, {}]);
      assert.deepEqual(second.seen, [first.head]);
      assert.deepEqual(second.rows.map((r) => r.seq), [3, 4, 5]);
      assert.equal(second.rows[0]?.prevHash, first.rows[1]?.hash);
      assert.deepEqual(await audit.head(), { seq: 5, hash: second.rows[2]?.hash });
      assert.deepEqual(await audit.scan(0, 100), [...first.rows, ...second.rows], 'rows read back as appended, every member');
      assert.equal(await audit.count(), 5);
    });

    run('a commit without records answers no head and moves none; one whose records are none answers the head before it', async (audit, storage) => {
      const first = await append(storage, [{}, {}]);
      assert.equal(await storage.commit({ changes: [] }), undefined);
      assert.deepEqual(await storage.commit({ changes: [], records: () => [] }), first.head);
      assert.deepEqual(await audit.head(), first.head);
      assert.equal(await audit.count(), 2);
    });

    run('a failing commit appends none of its rows and leaves the head', async (audit, storage) => {
      const first = await append(storage, [{}, {}]);
      const missingKey: Change = { kind: 'putMaterial', material: { keyArn: KEY_ARN, materialId: GENESIS, domainKeyId: 'dk', wrapped: Buffer.alloc(8), createdAt: 1 } };
      await assert.rejects(append(storage, [{ eventName: 'ImportKeyMaterial' }], [missingKey]));
      // A repeated position fails the whole commit, the rows before it included.
      await assert.rejects(storage.commit({ changes: [], records: (h) => [...chained(h, [{}]), ...chained(undefined, [{}])] }));
      assert.equal(await audit.count(), 2);
      assert.deepEqual(await audit.head(), first.head);
      const next = await append(storage, [{}]);
      assert.deepEqual(next.seen, [first.head]);
    });

    run('scan: from a position on, in seq order, in pages', async (audit, storage) => {
      const { rows } = await append(storage, [{}, {}, {}, {}, {}]);
      const seqs = async (from: number, limit: number) => (await audit.scan(from, limit)).map((r) => r.seq);
      assert.deepEqual(await seqs(0, 2), [1, 2]);
      assert.deepEqual(await seqs(3, 2), [3, 4]);
      assert.deepEqual(await seqs(5, 2), [5]);
      assert.deepEqual(await seqs(6, 2), []);
      assert.deepEqual(await audit.scan(4, 1), [rows[3]]);
    });

    run('lookup by each attribute: newest first, within the account or as the resource\'s owner', async (audit, storage) => {
      const { rows } = await append(storage, [
        /* 1 */ { eventName: 'CreateKey', readOnly: false, username: 'alice', accessKeyId: 'AKIAALICE', resources: [{ type: 'AWS::KMS::Key', name: KEY_ARN }] },
        /* 2 */ { eventName: 'Encrypt', username: 'bob', accessKeyId: 'AKIABOB', resources: [{ type: 'AWS::KMS::Key', name: KEY_ARN }] },
        /* 3 */ { eventName: 'CreateUser', eventSource: 'iam.amazonaws.com', readOnly: false, username: 'alice', accessKeyId: 'AKIAALICE' },
        /* 4 */ { eventName: 'Encrypt', accountId: OTHER, username: 'eve', accessKeyId: 'AKIAEVE', ownerAccountId: ACCOUNT, resources: [{ type: 'AWS::KMS::Key', name: KEY_ARN }] },
        /* 5 */ { eventName: 'Encrypt', accountId: OTHER, username: 'eve', accessKeyId: 'AKIAEVE' },
        /* 6 */ { eventName: 'Decrypt', resources: [{ type: 'AWS::KMS::Alias', name: 'alias/a' }, { type: 'AWS::KMS::Key', name: `${KEY_ARN}2` }] },
      ]);
      const seqs = async (key: string | undefined, value: string, accountId = ACCOUNT) =>
        (await audit.lookup({ accountId, attribute: key === undefined ? undefined : { key, value }, limit: 50 })).map((r) => r.seq);
      assert.deepEqual(await seqs(undefined, ''), [6, 4, 3, 2, 1], 'an account sees its records and those on its resources');
      assert.deepEqual(await seqs(undefined, '', OTHER), [5, 4]);
      assert.deepEqual(await seqs('EventName', 'Encrypt'), [4, 2]);
      assert.deepEqual(await seqs('EventId', 'event-3'), [3]);
      assert.deepEqual(await seqs('EventId', 'event-5'), [], 'another account\'s record');
      assert.deepEqual(await seqs('EventSource', 'iam.amazonaws.com'), [3]);
      assert.deepEqual(await seqs('ReadOnly', 'true'), [6, 4, 2]);
      assert.deepEqual(await seqs('ReadOnly', 'false'), [3, 1]);
      assert.deepEqual(await seqs('Username', 'alice'), [3, 1]);
      assert.deepEqual(await seqs('AccessKeyId', 'AKIAEVE'), [4]);
      assert.deepEqual(await seqs('AccessKeyId', 'AKIAEVE', OTHER), [5, 4]);
      assert.deepEqual(await seqs('ResourceName', KEY_ARN), [4, 2, 1], 'a resource name matches exactly');
      assert.deepEqual(await seqs('ResourceName', 'alias/a'), [6]);
      assert.deepEqual(await seqs('ResourceType', 'AWS::KMS::Alias'), [6]);
      assert.deepEqual(await seqs('ResourceType', 'AWS::KMS::Key'), [6, 4, 2, 1]);
      assert.deepEqual(await seqs('NoSuchAttribute', 'x'), []);
      assert.deepEqual(await audit.lookup({ accountId: ACCOUNT, attribute: { key: 'EventId', value: 'event-1' }, limit: 5 }), [rows[0]]);
    });

    run('lookup with changesOnly (the state changes\' index): the same records as without it, pages and time ranges included', async (audit, storage) => {
      await append(storage, [
        /* 1 */ { eventName: 'CreateKey', readOnly: false, eventTime: 10 },
        /* 2 */ { eventName: 'Encrypt', eventTime: 20 },
        /* 3 */ { eventName: 'CreateKey', readOnly: false, eventTime: 30 },
        /* 4 */ { eventName: 'PutKeyPolicy', readOnly: false, eventTime: 40 },
        /* 5 */ { eventName: 'Encrypt', eventTime: 50 },
        /* 6 */ { eventName: 'CreateKey', readOnly: false, eventTime: 60, accountId: OTHER },
      ]);
      for (const attribute of [{ key: 'EventName', value: 'CreateKey' }, { key: 'ReadOnly', value: 'false' }]) {
        for (const q of [{ limit: 50 }, { limit: 1 }, { limit: 50, startTime: 20, endTime: 60 }, { limit: 50, before: { eventTime: 30, chain: currentChain, seq: 3 } }]) {
          const plain = (await audit.lookup({ accountId: ACCOUNT, attribute, ...q })).map((r) => r.seq);
          const hinted = (await audit.lookup({ accountId: ACCOUNT, attribute, ...q, changesOnly: true })).map((r) => r.seq);
          assert.deepEqual(hinted, plain, `${attribute.key}=${attribute.value} ${JSON.stringify(q)}`);
        }
      }
      assert.deepEqual((await audit.lookup({ accountId: ACCOUNT, attribute: { key: 'EventName', value: 'CreateKey' }, limit: 50, changesOnly: true })).map((r) => r.seq), [3, 1]);
      assert.deepEqual((await audit.lookup({ accountId: ACCOUNT, attribute: { key: 'ReadOnly', value: 'false' }, limit: 50, changesOnly: true })).map((r) => r.seq), [4, 3, 1]);
    });

    run('lookup: a time range with both ends included, a cursor for the next page, limit', async (audit, storage) => {
      await append(storage, [10, 20, 30, 40, 50, 60].map((eventTime) => ({ eventTime })));
      const seqs = async (q: { startTime?: number; endTime?: number; beforeSeq?: number; limit: number }) => {
        const { beforeSeq, ...rest } = q;
        const before = beforeSeq === undefined ? undefined : { eventTime: beforeSeq * 10, chain: currentChain, seq: beforeSeq };
        return (await audit.lookup({ accountId: ACCOUNT, ...rest, before })).map((r) => r.seq);
      };
      assert.deepEqual(await seqs({ startTime: 20, endTime: 50, limit: 10 }), [5, 4, 3, 2]);
      assert.deepEqual(await seqs({ startTime: 45, limit: 10 }), [6, 5]);
      assert.deepEqual(await seqs({ endTime: 15, limit: 10 }), [1]);
      assert.deepEqual(await seqs({ limit: 2 }), [6, 5]);
      assert.deepEqual(await seqs({ beforeSeq: 5, limit: 2 }), [4, 3]);
      assert.deepEqual(await seqs({ beforeSeq: 3, startTime: 20, limit: 2 }), [2]);
      assert.deepEqual(await seqs({ beforeSeq: 1, limit: 2 }), []);
      const eventName = { key: 'EventName', value: 'Encrypt' };
      assert.deepEqual((await audit.lookup({ accountId: ACCOUNT, attribute: eventName, startTime: 30, endTime: 40, limit: 5 })).map((r) => r.seq), [4, 3]);
    });

    run('lookup: records of one time are newest first by position', async (audit, storage) => {
      await append(storage, [{ eventTime: 5 }, { eventTime: 5 }]);
      await append(storage, [{ eventTime: 5 }]);
      assert.deepEqual((await audit.lookup({ accountId: ACCOUNT, limit: 10 })).map((r) => r.seq), [3, 2, 1]);
      assert.deepEqual((await audit.lookup({ accountId: ACCOUNT, startTime: 5, endTime: 5, before: { eventTime: 5, chain: currentChain, seq: 3 }, limit: 1 })).map((r) => r.seq), [2]);
    });

    run('digests: in order of their last record, the last one, and those ending at or after a record', async (audit) => {
      for (const d of [digest(4, 6), digest(1, 3), digest(7, 9)]) await audit.putDigest(d);
      assert.deepEqual(await audit.digests(), [digest(1, 3), digest(4, 6), digest(7, 9)]);
      assert.deepEqual(await audit.lastDigest(), digest(7, 9));
      assert.deepEqual(await audit.digestsFrom(6), [digest(4, 6), digest(7, 9)]);
      assert.deepEqual(await audit.digestsFrom(7), [digest(7, 9)]);
      assert.deepEqual(await audit.digestsFrom(10), []);
      await assert.rejects(audit.putDigest({ ...digest(7, 9), signature: 'another' }), 'one digest per last record');
      assert.deepEqual(await audit.lastDigest(), digest(7, 9));
    });

    run('prune: removes the records up to the anchor and keeps it; the trail heads from its newest record, else from the anchor', async (audit, storage) => {
      const { rows } = await append(storage, [{}, {}, {}, {}, {}]);
      const anchorAt = (seq: number) => ({ seq, hash: rows[seq - 1]?.hash ?? '' });
      assert.equal(await audit.prune(anchorAt(3)), 3);
      assert.deepEqual(await audit.anchor(), anchorAt(3));
      assert.equal(await audit.count(), 2);
      assert.deepEqual((await audit.scan(0, 10)).map((r) => r.seq), [4, 5]);
      assert.deepEqual((await audit.lookup({ accountId: ACCOUNT, limit: 10 })).map((r) => r.seq), [5, 4]);
      assert.deepEqual(await audit.head(), anchorAt(5), 'the newest record still heads the trail');
      assert.equal(await audit.prune(anchorAt(5)), 2);
      assert.equal(await audit.count(), 0);
      assert.deepEqual(await audit.head(), anchorAt(5), 'an emptied trail heads from the anchor');
      const next = await append(storage, [{}]);
      assert.deepEqual(next.seen, [anchorAt(5)]);
      assert.deepEqual(next.rows.map((r) => [r.seq, r.prevHash]), [[6, rows[4]?.hash]]);
      assert.deepEqual(await audit.head(), { seq: 6, hash: next.rows[0]?.hash });
      assert.equal(await audit.prune(anchorAt(5)), 0, 'nothing left up to the anchor');
    });

    run('the signing key: stored with its wrapped private half and read back; the newest is the one in use', async (audit) => {
      const first = { id: 'a'.repeat(64), publicKey: Buffer.from('public-1'), domainKeyId: 'dk-1', wrapped: Buffer.from('wrapped-1'), createdAt: 100 };
      await audit.putSigningKey(first);
      assert.deepEqual(await audit.signingKey(), first);
      const second = { ...first, id: 'b'.repeat(64), publicKey: Buffer.from('public-2'), wrapped: Buffer.from('wrapped-2'), createdAt: 200 };
      await audit.putSigningKey(second);
      assert.deepEqual(await audit.signingKey(), second);
    });

    if (options.chains === true) run('several chains in one database: each its own head, seqs, digests and anchor; lookup merges them newest first by time', async (audit, storage, f) => {
      assert.ok(f.otherChain, 'an adapter with chains gives otherChain');
      const b = await f.otherChain('node-b');
      const a1 = await append(storage, [{ eventTime: 10 }, { eventTime: 30 }]);
      const b1 = await append(b.storage, [{ eventTime: 20 }, { eventTime: 30 }, { eventTime: 40 }], [], 'node-b');
      assert.deepEqual(b1.seen, [undefined], 'the other chain starts empty');
      assert.deepEqual(await audit.head(), { seq: 2, hash: a1.rows[1]?.hash });
      assert.deepEqual(await b.audit.head(), { seq: 3, hash: b1.rows[2]?.hash });
      assert.deepEqual(await b.audit.scan(0, 10), b1.rows);
      assert.equal(await audit.count(), 2);
      assert.deepEqual((await audit.chains()).sort(), [currentChain, 'node-b'].sort());
      await b.audit.putDigest(digest(1, 3));
      assert.deepEqual(await audit.digests(), []);
      assert.equal((await b.audit.lastDigest())?.seqTo, 3);
      const order = async (before?: { eventTime: number; chain: string; seq: number }) =>
        (await audit.lookup({ accountId: ACCOUNT, limit: 2, before })).map((r) => [r.chain, r.seq, r.eventTime]);
      // Time 30 in both chains: the chain names order them, then seq; pages continue from a cursor.
      const page1 = await order();
      assert.equal(page1.length, 2);
      assert.deepEqual(page1[0], ['node-b', 3, 40]);
      const tie = [['node-b', 2, 30], [currentChain, 2, 30]].sort((x, y) => (x[0] as string) < (y[0] as string) ? 1 : -1);
      assert.deepEqual(page1[1], tie[0]);
      const last = page1[1] as [string, number, number];
      const page2 = await order({ eventTime: last[2], chain: last[0], seq: last[1] });
      assert.deepEqual(page2, [tie[1], ['node-b', 1, 20]]);
      const page3 = await order({ eventTime: 20, chain: 'node-b', seq: 1 });
      assert.deepEqual(page3, [[currentChain, 1, 10]]);
      // Pruning one chain leaves the other whole.
      await b.audit.prune({ seq: 3, hash: b1.rows[2]?.hash ?? '' });
      assert.equal(await b.audit.count(), 0);
      assert.equal(await audit.count(), 2);
      assert.deepEqual(await b.audit.head(), { seq: 3, hash: b1.rows[2]?.hash });
      assert.equal(await audit.anchor(), undefined);
    });
  });
}
