/**
 * Verification of an audit trail: walks the records in order checking each one's hash, its
 * link to its predecessor and that its lookup columns say what it says (index-check.ts), then
 * checks every digest's signature (by the pinned public key when one is given, whatever the
 * database's key table says), their own chain, and that each digest's last record is still the
 * one it signed. Needs only the public key. Stops at the first problem and names the record:
 * changed, removed, inserted, reordered, or indexed under what it does not say.
 */
import type { KeyObject } from 'node:crypto';
import type { AuditAnchor, AuditDigest, AuditRow } from '../ports/audit.ts';
import { chainHash, digestHash, GENESIS, verifyDigestSignature } from './chain.ts';
import { indexMismatch } from './index-check.ts';

/**
 * `index`: a lookup column disagrees with its record; `key`: the database's signing key is not the
 * pinned one; `log`: a digest log disagrees with the database; `cut`: the trail stops short of what
 * a digest log recorded (digest-log-check.ts).
 */
export type ProblemKind = 'changed' | 'removed' | 'inserted' | 'reordered' | 'digest' | 'index' | 'key' | 'log' | 'cut';

export interface VerifyProblem {
  readonly kind: ProblemKind;
  /** The first bad record's seq (for `removed`, the first missing one). */
  readonly seq: number;
  readonly eventId?: string | undefined;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly records: number;
  readonly firstSeq: number | undefined;
  readonly lastSeq: number | undefined;
  readonly digests: number;
  /** Records after the last signed digest (protected by the chain only, until the next digest). */
  readonly uncovered: number;
  readonly problem?: VerifyProblem;
}

export interface VerifyInput {
  /** Every stored record, in seq order. */
  readonly rows: Iterable<AuditRow>;
  /** Every digest, oldest first. */
  readonly digests: readonly AuditDigest[];
  readonly anchor: AuditAnchor | undefined;
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  /** When set, every digest must carry this key's signature, whatever key id it names. */
  readonly pinnedKey?: KeyObject | undefined;
}

const LOOKAHEAD = 64;
const eventIdOf = (r: AuditRow): string | undefined => r.eventId;

function checkDigests(input: VerifyInput): VerifyProblem | undefined {
  let prevHash = GENESIS;
  let prevTo = 0;
  for (const d of input.digests) {
    const key = input.pinnedKey ?? input.publicKeys.get(d.keyId);
    if (!key || !verifyDigestSignature(d, key)) {
      const whose = input.pinnedKey ? 'is not signed by the pinned public key' : 'does not carry a valid signature of the audit signing key';
      return { kind: 'digest', seq: d.seqTo, message: `the digest of records ${d.seqFrom}..${d.seqTo} ${whose}` };
    }
    if (d.prevDigestHash !== prevHash || d.seqFrom !== prevTo + 1) {
      return { kind: 'digest', seq: d.seqFrom, message: `the digest of records ${d.seqFrom}..${d.seqTo} does not follow the previous digest (a digest was removed or changed)` };
    }
    prevHash = digestHash(d);
    prevTo = d.seqTo;
  }
  const a = input.anchor;
  if (a !== undefined && !input.digests.some((d) => d.seqTo === a.seq && d.lastHash === a.hash)) {
    return { kind: 'digest', seq: a.seq, message: `the prune anchor (record ${a.seq}) is not the last record of any signed digest` };
  }
  return undefined;
}

export function verifyTrail(input: VerifyInput): VerifyReport {
  const digestProblem = checkDigests(input);
  const bySeqTo = new Map(input.digests.map((d) => [d.seqTo, d]));
  const lastDigest = input.digests.at(-1);
  let records = 0;
  let firstSeq: number | undefined;
  let lastSeq: number | undefined;
  let uncovered = 0;
  const report = (problem?: VerifyProblem): VerifyReport => ({
    ok: problem === undefined, records, firstSeq, lastSeq, digests: input.digests.length, uncovered,
    ...(problem !== undefined ? { problem } : {}),
  });
  if (digestProblem) return report(digestProblem);

  let prev = { seq: input.anchor?.seq ?? 0, hash: input.anchor?.hash ?? GENESIS };
  let beforePrev: { seq: number; hash: string } | undefined;
  let indexQueued: VerifyProblem | undefined;
  const it = input.rows[Symbol.iterator]();
  const ahead: AuditRow[] = [];
  const fill = (): void => {
    while (ahead.length < LOOKAHEAD) {
      const n = it.next();
      if (n.done) return;
      ahead.push(n.value);
    }
  };
  for (fill(); ahead.length > 0; fill()) {
    const r = ahead.shift() as AuditRow;
    records++;
    firstSeq ??= r.seq;
    lastSeq = r.seq;
    if (lastDigest === undefined || r.seq > lastDigest.seqTo) uncovered++;
    if (chainHash(r.prevHash, r.record) !== r.hash) {
      return report({ kind: 'changed', seq: r.seq, eventId: eventIdOf(r), message: `record ${r.seq} was changed: its content no longer matches its hash` });
    }
    if (r.prevHash !== prev.hash) {
      if (ahead.some((x) => x.hash === r.prevHash)) {
        return report({ kind: 'reordered', seq: r.seq, eventId: eventIdOf(r), message: `record ${r.seq} is out of order: it follows a record stored after it` });
      }
      if (ahead[0]?.prevHash === prev.hash) {
        return report({ kind: 'inserted', seq: r.seq, eventId: eventIdOf(r), message: `record ${r.seq} was inserted: the chain goes from record ${prev.seq} to record ${ahead[0].seq}` });
      }
      if (beforePrev !== undefined && r.prevHash === beforePrev.hash) {
        return report({ kind: 'inserted', seq: prev.seq, message: `record ${prev.seq} was inserted: the chain goes from record ${beforePrev.seq} to record ${r.seq}` });
      }
      if (r.seq > prev.seq + 1) {
        const missing = r.seq - prev.seq - 1;
        return report({
          kind: 'removed', seq: prev.seq + 1,
          message: `${missing === 1 ? `record ${prev.seq + 1} was` : `records ${prev.seq + 1}..${r.seq - 1} were`} removed (record ${r.seq} follows record ${prev.seq})`,
        });
      }
      const bad = prev.seq > (input.anchor?.seq ?? 0) ? prev.seq : r.seq;
      return report({ kind: 'changed', seq: bad, message: `record ${bad} was changed: record ${r.seq} does not follow it` });
    }
    const d = bySeqTo.get(r.seq);
    if (d !== undefined) {
      bySeqTo.delete(r.seq);
      if (d.lastHash !== r.hash) {
        return report({ kind: 'changed', seq: r.seq, eventId: eventIdOf(r), message: `record ${r.seq} is not the record its signed digest covers (the chain was rewritten)` });
      }
    }
    const wrongIndex = indexQueued === undefined ? indexMismatch(r) : undefined;
    if (wrongIndex !== undefined) {
      // Reported after the walk: a record that breaks the chain (an inserted one) is named as such first.
      indexQueued = {
        kind: 'index', seq: r.seq, eventId: wrongIndex.eventId,
        message: `record ${r.seq}'s indexed column ${wrongIndex.column} ${wrongIndex.detail} (LookupEvents would list it under what it does not say)`,
      };
    }
    beforePrev = prev;
    prev = { seq: r.seq, hash: r.hash };
  }
  const anchorSeq = input.anchor?.seq ?? 0;
  const lost = [...bySeqTo.values()].filter((d) => d.seqTo > anchorSeq).sort((a, b) => a.seqTo - b.seqTo)[0];
  if (lost !== undefined) {
    const from = Math.max(prev.seq + 1, lost.seqFrom);
    return report({ kind: 'removed', seq: from, message: `records up to ${lost.seqTo}, which a signed digest covers, were removed (the trail ends at record ${prev.seq})` });
  }
  return report(indexQueued);
}
