/**
 * `npm run coffer -- audit …`: verify, export, prune the audit trail and print its public key, on
 * a data folder whose server is stopped (the server holds the data folder's owner lock).
 * Verification needs only the public key kept beside the records, not the root key.
 */
import { writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import type Database from 'better-sqlite3';
import { createSqliteAuditStore } from '../adapters/audit/sqlite-audit.ts';
import { publicKeysOf } from '../audit/signing-key.ts';
import { verifyTrail } from '../audit/verify.ts';
import { pruneBefore } from '../audit/writer.ts';
import type { AuditRow, AuditStore } from '../ports/audit.ts';

const PAGE = 1000;

function* allRows(store: AuditStore): Generator<AuditRow> {
  for (let from = 0; ;) {
    const page = store.scan(from, PAGE);
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < PAGE) return;
    from = last.seq + 1;
  }
}

export interface AuditCommandResult { readonly exitCode: number; readonly lines: readonly string[] }

export function auditVerify(db: Database.Database): AuditCommandResult {
  const store = createSqliteAuditStore(db);
  const r = verifyTrail({ rows: allRows(store), digests: store.digests(), anchor: store.anchor(), publicKeys: publicKeysOf(store) });
  const range = r.firstSeq === undefined ? 'no records' : `records ${r.firstSeq}..${r.lastSeq}`;
  if (!r.ok && r.problem) {
    return {
      exitCode: 1,
      lines: [`Audit trail FAILED verification: ${r.problem.message}.`, `First bad record: ${r.problem.seq}${r.problem.eventId ? ` (eventID ${r.problem.eventId})` : ''}; kind: ${r.problem.kind}.`],
    };
  }
  const anchor = store.anchor();
  return {
    exitCode: 0,
    lines: [
      `Audit trail verified: ${r.records} record${r.records === 1 ? '' : 's'} (${range}), ${r.digests} signed digest${r.digests === 1 ? '' : 's'}${anchor ? `, pruned through record ${anchor.seq}` : ''}.`,
      ...(r.uncovered > 0 ? [`${r.uncovered} newest record${r.uncovered === 1 ? ' is' : 's are'} chained but not yet covered by a signed digest (the server signs one every COFFER_AUDIT_DIGEST_INTERVAL_S and at shutdown).`] : []),
    ],
  };
}

export function auditExport(db: Database.Database, out: string, opts: { chain: boolean; since?: number | undefined; before?: number | undefined }): AuditCommandResult {
  const store = createSqliteAuditStore(db);
  const fd = openSync(out, 'w', 0o600);
  let n = 0;
  try {
    for (const r of allRows(store)) {
      if (opts.since !== undefined && r.eventTime < opts.since) continue;
      if (opts.before !== undefined && r.eventTime >= opts.before) continue;
      writeSync(fd, `${opts.chain ? JSON.stringify({ seq: r.seq, prevHash: r.prevHash, hash: r.hash, record: r.record }) : r.record}\n`);
      n++;
    }
  } finally {
    closeSync(fd);
  }
  return { exitCode: 0, lines: [`Exported ${n} record${n === 1 ? '' : 's'} to ${out}.`] };
}

export function auditPublicKey(db: Database.Database, out: string | undefined): AuditCommandResult {
  const k = createSqliteAuditStore(db).signingKey();
  if (!k) return { exitCode: 1, lines: ['No audit signing key yet: start the server once to create it.'] };
  const pem = createPublicKey({ key: k.publicKey, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();
  if (out !== undefined) {
    writeFileSync(out, pem);
    return { exitCode: 0, lines: [`Wrote the audit signing key ${k.id} (Ed25519, public half) to ${out}.`] };
  }
  return { exitCode: 0, lines: [`# audit signing key ${k.id} (Ed25519)`, pem.trimEnd()] };
}

export function auditPrune(db: Database.Database, before: number): AuditCommandResult {
  const store = createSqliteAuditStore(db);
  const n = pruneBefore(store, before);
  const anchor = store.anchor();
  if (n === 0) return { exitCode: 0, lines: [`Nothing pruned: no records covered by a signed digest end before ${new Date(before).toISOString()}.`] };
  return { exitCode: 0, lines: [`Pruned ${n} record${n === 1 ? '' : 's'} (through record ${anchor?.seq ?? '?'}, the end of a signed digest); verification starts there.`] };
}
