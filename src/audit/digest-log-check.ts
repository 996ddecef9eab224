/**
 * A digest log (kept outside the database) checked against the database, as CloudTrail's
 * validation checks its digest files against the log files: every logged digest must carry the
 * pinned key's signature and be in the database exactly as logged. The trail must still reach
 * the last logged digest: a database that lacks the log's last digests, and the records they
 * covered, had its tail cut, and one whose digests differ from the log's was rewritten or
 * replaced. The database may be ahead of a log (a crash between a commit and its append, or a log
 * that could not be written): noted, not failed, since the server appends those at its next start.
 */
import type { KeyObject } from 'node:crypto';
import type { AuditDigest } from '../ports/audit.ts';
import { verifyDigestSignature } from './chain.ts';
import type { VerifyProblem } from './verify.ts';

export interface DigestLogView {
  /** The log's path, as the report names it. */
  readonly name: string;
  readonly entries: readonly { readonly line: number; readonly digest: AuditDigest }[];
  readonly badLines: readonly number[];
  readonly torn: boolean;
}

export interface TrailEnd {
  /** The last stored record, if any. */
  readonly lastSeq: number | undefined;
  /** Where pruning left off (0 when nothing was pruned). */
  readonly anchorSeq: number;
}

export interface DigestLogCheck {
  readonly problem?: VerifyProblem;
  /** What the operator should know though nothing failed (always at least a summary line). */
  readonly notes: readonly string[];
}

const FIELDS = ['seqFrom', 'seqTo', 'lastHash', 'firstTime', 'lastTime', 'createdAt', 'prevDigestHash', 'keyId', 'signature'] as const;
const differing = (a: AuditDigest, b: AuditDigest): string | undefined => FIELDS.find((f) => a[f] !== b[f]);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const seqs = (from: number, to: number): string => (from === to ? `${from}` : `${from}..${to}`);
const span = (from: number, to: number): string => `${from === to ? 'record' : 'records'} ${seqs(from, to)}`;
const range = (d: AuditDigest): string => span(d.seqFrom, d.seqTo);

/** `keyName` says in a failure which key `key` is (the pinned one, unless nothing was pinned). */
export function checkDigestLog(
  log: DigestLogView, dbDigests: readonly AuditDigest[], key: KeyObject, end: TrailEnd, keyName = 'the pinned public key',
): DigestLogCheck {
  const fail = (kind: VerifyProblem['kind'], seq: number, message: string): DigestLogCheck => ({ problem: { kind, seq, message }, notes: [] });
  const badLine = log.badLines[0];
  if (badLine !== undefined) return fail('log', 0, `line ${badLine} of the digest log ${log.name} is not a digest (the log was edited)`);
  for (const { line, digest } of log.entries) {
    if (!verifyDigestSignature(digest, key)) {
      return fail('log', digest.seqTo, `the digest of ${range(digest)} on line ${line} of the digest log ${log.name} is not signed by ${keyName}`);
    }
  }
  const held = new Map(dbDigests.map((d) => [d.seqTo, d]));
  const newestHeld = dbDigests.at(-1)?.seqTo ?? 0;
  for (const [i, { line, digest }] of log.entries.entries()) {
    const d = held.get(digest.seqTo);
    if (d === undefined) {
      const missing = log.entries.slice(i);
      const cut = missing.every((e) => !held.has(e.digest.seqTo)) && newestHeld < digest.seqFrom;
      if (!cut) {
        const instead = dbDigests.find((x) => x.seqFrom <= digest.seqTo && x.seqTo >= digest.seqFrom);
        return fail('log', digest.seqFrom, `the digest of ${range(digest)} on line ${line} of the digest log ${log.name} is missing from the database` +
          (instead !== undefined ? `, which has a digest of ${range(instead)} instead (the trail was rewritten from there on)` : ''));
      }
      const lastLogged = missing.at(-1)?.digest ?? digest;
      const trailEnd = Math.max(end.lastSeq ?? 0, end.anchorSeq);
      const lostRecords = Math.max(0, lastLogged.seqTo - trailEnd);
      const digests = `the last ${plural(missing.length, 'digest')} of the digest log ${log.name} (${span(digest.seqFrom, lastLogged.seqTo)})`;
      return fail('cut', trailEnd + 1, lostRecords > 0
        ? `the trail was cut: the database lacks ${digests} and its trail ends at record ${trailEnd}, so ${plural(lostRecords, 'record')} (${seqs(trailEnd + 1, lastLogged.seqTo)}) and ${plural(missing.length, 'signed digest')} are missing`
        : `the database lacks ${digests}, though its records are still there: the digests were removed`);
    }
    const field = differing(d, digest);
    if (field !== undefined) {
      return fail('log', digest.seqFrom, `the database's digest of ${range(digest)} differs from line ${line} of the digest log ${log.name} (its ${field})`);
    }
  }
  const notes: string[] = [];
  const lastLogged = log.entries.at(-1)?.digest;
  const behind = dbDigests.filter((d) => d.seqTo > (lastLogged?.seqTo ?? 0));
  const firstLogged = log.entries[0]?.digest;
  notes.push(lastLogged === undefined
    ? `Digest log ${log.name}: no digests yet.`
    : `Digest log ${log.name}: ${plural(log.entries.length, 'digest')} (up to record ${lastLogged.seqTo}), each in the database as logged.`);
  if (firstLogged !== undefined && dbDigests[0] !== undefined && firstLogged.seqTo !== dbDigests[0].seqTo) {
    notes.push(`  It begins at the digest of ${range(firstLogged)}: the database's earlier digests are not in this log.`);
  }
  const firstBehind = behind[0];
  if (firstBehind !== undefined) {
    notes.push(`  It lacks the database's ${plural(behind.length, 'newest digest')} (${span(firstBehind.seqFrom, behind.at(-1)?.seqTo ?? firstBehind.seqTo)}): ` +
      'the server appends them at its next start (a crash came between a commit and its append, or the log could not be written).');
  }
  if (log.torn) notes.push('  It ends in a partial line, an append cut short by a crash: the server drops it at its next start.');
  return { notes };
}
