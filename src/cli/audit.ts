/**
 * `npm run coffer -- audit …`: verify, export, prune the audit trail and print its public key, over
 * every chain of an AuditSource: the data folder's SQLite database (its server stopped: the server
 * holds the owner lock) or a PostgreSQL database (nodes may be serving).
 * Verification needs only the public key, not the root key; it pins the key exported outside the
 * database (or one the operator names) and checks the digest logs kept outside it, since whoever
 * can write the database can also rewrite its key table and cut its tail.
 */
import { writeFileSync, openSync, writeSync, closeSync, existsSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { join, resolve } from 'node:path';
import { chainLogPath, digestLogFileOf, readDigestLog } from '../adapters/audit/digest-log.ts';
import { PUBLIC_KEY_FILE, readPublicKeyFile } from '../adapters/audit/public-key-file.ts';
import { publicKeysOf } from '../audit/signing-key.ts';
import { verifyTrail, type VerifyProblem } from '../audit/verify.ts';
import { checkDigestLog } from '../audit/digest-log-check.ts';
import { pruneBefore } from '../audit/writer.ts';
import type { AuditRow, AuditStore } from '../ports/audit.ts';

export interface AuditCommandResult { readonly exitCode: number; readonly lines: readonly string[] }

export interface VerifyOptions {
  /** The data folder: its exported public key and digest log are the defaults. */
  readonly dataDir: string;
  /** `--public-key FILE`: the key to pin, ideally a copy kept away from the machine. */
  readonly publicKeyFile?: string | undefined;
  /** `--digest-log FILE`…; when none, the data folder's log and COFFER_AUDIT_DIGEST_LOG's. */
  readonly digestLogs?: readonly string[] | undefined;
  /** COFFER_AUDIT_DIGEST_LOG. */
  readonly configuredDigestLog?: string | undefined;
}

const spki = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });

/** The key to check digests with, and what the report says about where it came from. */
function pinnedKey(o: VerifyOptions): { key: KeyObject | undefined; line: string } {
  if (o.publicKeyFile !== undefined) return { key: readPublicKeyFile(o.publicKeyFile), line: `Public key: pinned to ${o.publicKeyFile} (--public-key).` };
  const exported = join(o.dataDir, PUBLIC_KEY_FILE);
  if (existsSync(exported)) {
    return {
      key: readPublicKeyFile(exported),
      line: `Public key: pinned to ${exported}, exported by the server at its first start (in the data folder, so whoever can replace the database may replace it too: pin a copy kept elsewhere with --public-key).`,
    };
  }
  return {
    key: undefined,
    line: `WARNING: no public key is pinned (no --public-key, no ${exported}): the digests are checked with the key stored in the database itself, which whoever rewrites the database can replace.`,
  };
}

/**
 * The digest logs to check for one chain: those named (the first chain's only), else the data
 * folder's log of that chain (if present) and the configured one's (required).
 */
function digestLogs(o: VerifyOptions, chain: string): { path: string; required: boolean }[] {
  const named = chain === '' ? o.digestLogs ?? [] : [];
  const logs = named.length > 0
    ? named.map((p) => ({ path: resolve(p), required: true }))
    : [
      { path: resolve(o.dataDir, digestLogFileOf(chain)), required: false },
      ...(o.configuredDigestLog !== undefined ? [{ path: chainLogPath(resolve(o.configuredDigestLog), chain), required: true }] : []),
    ];
  return logs.filter((l, i) => logs.findIndex((x) => x.path === l.path) === i);
}

function failed(problem: VerifyProblem, context: readonly string[]): AuditCommandResult {
  return {
    exitCode: 1,
    lines: [
      `Audit trail FAILED verification: ${problem.message}.`,
      problem.seq > 0 ? `First bad record: ${problem.seq}${problem.eventId ? ` (eventID ${problem.eventId})` : ''}; kind: ${problem.kind}.` : `Kind: ${problem.kind}.`,
      ...context,
    ],
  };
}

/** The audit trail as verification reads it: its chains, each chain's store, and its records in seq order. */
export interface AuditSource {
  chains(): Promise<string[]>;
  store(chain: string): AuditStore;
  rows(chain: string): Iterable<AuditRow> | Promise<Iterable<AuditRow>>;
}

/**
 * Verifies every chain of the trail (each writer's: a worker's, a node's) against its digests,
 * the pinned key and its digest logs; the first chain that fails is named.
 */
export async function auditVerify(src: AuditSource, o: VerifyOptions): Promise<AuditCommandResult> {
  const chains = await src.chains();
  if (chains.length === 0) chains.push('');
  const lines: string[] = [];
  for (const chain of chains) {
    const r = await verifyChain(src.store(chain), await src.rows(chain), o, chain);
    const named = chains.length > 1 ? r.lines.map((l, i) => (i === 0 ? `Chain '${chain}': ${l}` : `  ${l}`)) : r.lines;
    if (r.exitCode !== 0) return { exitCode: r.exitCode, lines: named };
    lines.push(...named);
  }
  return { exitCode: 0, lines };
}

async function verifyChain(store: AuditStore, rows: Iterable<AuditRow>, o: VerifyOptions, chain: string): Promise<AuditCommandResult> {
  let pin: { key: KeyObject | undefined; line: string };
  try {
    pin = pinnedKey(o);
  } catch (e) {
    return { exitCode: 1, lines: [`Audit trail not verified: ${e instanceof Error ? e.message : String(e)}.`] };
  }
  const context = [pin.line];
  const dbKey = await store.signingKey();
  const dbPublicKey = dbKey ? createPublicKey({ key: dbKey.publicKey, format: 'der', type: 'spki' }) : undefined;
  const keyReplaced = pin.key !== undefined && dbKey !== undefined && !spki(pin.key).equals(dbKey.publicKey);
  if (keyReplaced) context.push(`The database's audit signing key (id ${dbKey.id}) is not the pinned key: the database was replaced, or its signing key made anew.`);

  const digests = await store.digests();
  const anchor = await store.anchor();
  const r = verifyTrail({ rows, digests, anchor, publicKeys: await publicKeysOf(store), pinnedKey: pin.key });
  if (!r.ok && r.problem) return failed(r.problem, context);
  if (keyReplaced) return failed({ kind: 'key', seq: 0, message: `the database's audit signing key (id ${dbKey.id}) is not the pinned public key` }, context.slice(0, 1));

  const checkKey = pin.key ?? dbPublicKey;
  for (const log of digestLogs(o, chain)) {
    if (!existsSync(log.path)) {
      if (log.required) return failed({ kind: 'log', seq: 0, message: `the digest log ${log.path} does not exist` }, context);
      context.push(`No digest log at ${log.path}: a cut tail would not show (the server writes it from its first start on).`);
      continue;
    }
    let view: ReturnType<typeof readDigestLog>;
    try {
      view = readDigestLog(log.path);
    } catch (e) {
      return failed({ kind: 'log', seq: 0, message: `the digest log ${log.path} cannot be read (${e instanceof Error ? e.message : String(e)})` }, context);
    }
    if (checkKey === undefined) {
      if (view.entries.length > 0) return failed({ kind: 'key', seq: 0, message: `the digest log ${log.path} holds digests, but no key is pinned and the database holds none` }, context);
      continue;
    }
    const keyName = pin.key ? 'the pinned public key' : 'the audit signing key the database holds (nothing is pinned)';
    const c = checkDigestLog({ name: log.path, ...view }, digests, checkKey, { lastSeq: r.lastSeq, anchorSeq: anchor?.seq ?? 0 }, keyName);
    if (c.problem) return failed(c.problem, context);
    context.push(...c.notes);
  }

  const range = r.firstSeq === undefined ? 'no records' : `records ${r.firstSeq}..${r.lastSeq}`;
  return {
    exitCode: 0,
    lines: [
      `Audit trail verified: ${r.records} record${r.records === 1 ? '' : 's'} (${range}), ${r.digests} signed digest${r.digests === 1 ? '' : 's'}${anchor ? `, pruned through record ${anchor.seq}` : ''}.`,
      ...(r.uncovered > 0 ? [`${r.uncovered} newest record${r.uncovered === 1 ? ' is' : 's are'} chained but not yet covered by a signed digest (the server signs one every COFFER_AUDIT_DIGEST_INTERVAL_S and at shutdown).`] : []),
      ...context,
    ],
  };
}

/**
 * Writes the records of every chain, chain by chain in seq order, one JSON line each: the record
 * itself, or with `chain` its chain, seq and hashes too (what `audit verify` checks).
 */
export async function auditExport(source: AuditSource, out: string, opts: { chain: boolean; since?: number | undefined; before?: number | undefined }): Promise<AuditCommandResult> {
  const fd = openSync(out, 'w', 0o600);
  let n = 0;
  try {
    for (const chain of await source.chains()) {
      for (const r of await source.rows(chain)) {
        if (opts.since !== undefined && r.eventTime < opts.since) continue;
        if (opts.before !== undefined && r.eventTime >= opts.before) continue;
        writeSync(fd, `${opts.chain ? JSON.stringify({ chain, seq: r.seq, prevHash: r.prevHash, hash: r.hash, record: r.record }) : r.record}\n`);
        n++;
      }
    }
  } finally {
    closeSync(fd);
  }
  return { exitCode: 0, lines: [`Exported ${n} record${n === 1 ? '' : 's'} to ${out}.`] };
}

/** The newest audit signing key's public half (one key table for every chain). */
export async function auditPublicKey(source: AuditSource, out: string | undefined): Promise<AuditCommandResult> {
  const chains = await source.chains();
  const k = await source.store(chains[0] ?? '').signingKey();
  if (!k) return { exitCode: 1, lines: ['No audit signing key yet: start the server once to create it.'] };
  const pem = createPublicKey({ key: k.publicKey, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();
  if (out !== undefined) {
    writeFileSync(out, pem);
    return { exitCode: 0, lines: [`Wrote the audit signing key ${k.id} (Ed25519, public half) to ${out}.`] };
  }
  return { exitCode: 0, lines: [`# audit signing key ${k.id} (Ed25519)`, pem.trimEnd()] };
}

/** Prunes every chain before `before`, each up to the end of its last signed digest that ends before then. */
export async function auditPrune(source: AuditSource, before: number): Promise<AuditCommandResult> {
  const chains = await source.chains();
  const lines: string[] = [];
  let total = 0;
  for (const chain of chains) {
    const store = source.store(chain);
    const n = await pruneBefore(store, before);
    total += n;
    if (n === 0) continue;
    const anchor = await store.anchor();
    const named = chains.length > 1 ? `Chain '${chain}': p` : 'P';
    lines.push(`${named}runed ${n} record${n === 1 ? '' : 's'} (through record ${anchor?.seq ?? '?'}, the end of a signed digest); verification starts there.`);
  }
  if (total === 0) return { exitCode: 0, lines: [`Nothing pruned: no records covered by a signed digest end before ${new Date(before).toISOString()}.`] };
  return { exitCode: 0, lines };
}
