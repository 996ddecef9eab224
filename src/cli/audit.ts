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
import { verifyTrail, type VerifyProblem } from '../audit/verify.ts';
import { countingRows, type ProgressSink } from './verify-progress.ts';
import { checkDigestLog } from '../audit/digest-log-check.ts';
import { pruneTrail } from '../audit/prune.ts';
import { publicKeysOf as keysOf, type PublicKeySource } from '../audit/signing-key.ts';
import type { AuditAnchor, AuditDigest, AuditRow, AuditStore } from '../ports/audit.ts';

export interface AuditCommandResult { readonly exitCode: number; readonly lines: readonly string[] }

export interface VerifyOptions {
  /**
   * The data folder: its exported public key and digest log are the defaults. Undefined when the
   * trail comes from the server's API: then only --public-key and --digest-log are checked, and
   * without --public-key the key the server answered is used.
   */
  readonly dataDir?: string | undefined;
  /** `--public-key FILE`: the key to pin, ideally a copy kept away from the machine. */
  readonly publicKeyFile?: string | undefined;
  /** `--digest-log FILE`…; when none, the data folder's log and COFFER_AUDIT_DIGEST_LOG's. */
  readonly digestLogs?: readonly string[] | undefined;
  /** COFFER_AUDIT_DIGEST_LOG. */
  readonly configuredDigestLog?: string | undefined;
  /** Told of the records read so far, at most every PROGRESS_EVERY_MS and at each chain's end (verify-progress.ts). */
  readonly progress?: ProgressSink | undefined;
}

/** How often a long verification reports progress. */
const PROGRESS_EVERY_MS = 500;

const spki = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' });

/** The key to check digests with, and what the report says about where it came from. */
function pinnedKey(o: VerifyOptions): { key: KeyObject | undefined; line: string } {
  if (o.publicKeyFile !== undefined) return { key: readPublicKeyFile(o.publicKeyFile), line: `Public key: pinned to ${o.publicKeyFile} (--public-key).` };
  if (o.dataDir === undefined) {
    return {
      key: undefined,
      line: 'WARNING: no public key is pinned (no --public-key): the digests are checked with the key the server answered, which whoever controls the server can replace.',
    };
  }
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
  if (o.dataDir === undefined) return named.map((p) => ({ path: resolve(p), required: true }));
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

/** What verification reads of one chain besides its records: its signing key, digests and prune anchor. */
export interface ChainView extends PublicKeySource {
  digests(): Promise<AuditDigest[]>;
  anchor(): Promise<AuditAnchor | undefined>;
}

/**
 * The audit trail as verification reads it: its chains, each chain's view, and its records in seq
 * order; the storage itself (backend.ts) or what the server's admin API answered (audit-api.ts).
 */
export interface AuditSource {
  chains(): Promise<string[]>;
  store(chain: string): ChainView;
  rows(chain: string): Iterable<AuditRow> | Promise<Iterable<AuditRow>>;
}

/** The trail on the storage itself: its chains' stores, which prune writes to. */
export interface StoredAuditSource extends AuditSource {
  store(chain: string): AuditStore;
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
    const rows = await src.rows(chain);
    const r = await verifyChain(src.store(chain), o.progress ? countingRows(rows, chain, o.progress, PROGRESS_EVERY_MS) : rows, o, chain);
    const named = chains.length > 1 ? r.lines.map((l, i) => (i === 0 ? `Chain '${chain}': ${l}` : `  ${l}`)) : r.lines;
    if (r.exitCode !== 0) return { exitCode: r.exitCode, lines: named };
    lines.push(...named);
  }
  return { exitCode: 0, lines };
}

async function verifyChain(store: ChainView, rows: Iterable<AuditRow>, o: VerifyOptions, chain: string): Promise<AuditCommandResult> {
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
  const r = verifyTrail({ rows, digests, anchor, publicKeys: await keysOf(store), pinnedKey: pin.key });
  if (!r.ok && r.problem) return failed(r.problem, context);
  if (keyReplaced) return failed({ kind: 'key', seq: 0, message: `the database's audit signing key (id ${dbKey.id}) is not the pinned public key` }, context.slice(0, 1));

  const checkKey = pin.key ?? dbPublicKey;
  const logs = digestLogs(o, chain);
  if (logs.length === 0 && o.dataDir === undefined && chain === '') {
    context.push('No digest log checked (name a copy of the server\'s with --digest-log): a cut tail would not show.');
  }
  for (const log of logs) {
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

/** One exported record: its chain fields, and the record (CloudTrail JSON). */
export type ExportedRow = Pick<AuditRow, 'seq' | 'prevHash' | 'hash' | 'record'> & { readonly chain: string };

/** The line `audit export` writes: the record itself, or with `chain` its chain, seq and hashes too (what `audit verify` checks). */
export const exportLine = (r: ExportedRow, chain: boolean): string =>
  `${chain ? JSON.stringify({ chain: r.chain, seq: r.seq, prevHash: r.prevHash, hash: r.hash, record: r.record }) : r.record}\n`;

/** Writes `rows` to `out` (mode 0600), one JSON line each. */
export async function writeExport(out: string, rows: AsyncIterable<ExportedRow>, chain: boolean): Promise<AuditCommandResult> {
  const fd = openSync(out, 'w', 0o600);
  let n = 0;
  try {
    for await (const r of rows) {
      writeSync(fd, exportLine(r, chain));
      n++;
    }
  } finally {
    closeSync(fd);
  }
  return { exitCode: 0, lines: [`Exported ${n} record${n === 1 ? '' : 's'} to ${out}.`] };
}

async function* sourceRows(source: AuditSource, since: number | undefined, before: number | undefined): AsyncIterable<ExportedRow> {
  for (const chain of await source.chains()) {
    for (const r of await source.rows(chain)) {
      if (since !== undefined && r.eventTime < since) continue;
      if (before !== undefined && r.eventTime >= before) continue;
      yield { chain, seq: r.seq, prevHash: r.prevHash, hash: r.hash, record: r.record };
    }
  }
}

/** Writes the records of every chain, chain by chain in seq order (exportLine). */
export function auditExport(source: AuditSource, out: string, opts: { chain: boolean; since?: number | undefined; before?: number | undefined }): Promise<AuditCommandResult> {
  return writeExport(out, sourceRows(source, opts.since, opts.before), opts.chain);
}

/** How `audit public-key` answers a key: printed as PEM with its id, or written to `out`. */
export function publicKeyResult(keyId: string, pem: string, out: string | undefined): AuditCommandResult {
  if (out !== undefined) {
    writeFileSync(out, pem);
    return { exitCode: 0, lines: [`Wrote the audit signing key ${keyId} (Ed25519, public half) to ${out}.`] };
  }
  return { exitCode: 0, lines: [`# audit signing key ${keyId} (Ed25519)`, pem.trimEnd()] };
}

const NO_SIGNING_KEY = 'No audit signing key yet: start the server once to create it.';

/** The newest audit signing key's public half (one key table for every chain). */
export async function auditPublicKey(source: AuditSource, out: string | undefined): Promise<AuditCommandResult> {
  const chains = await source.chains();
  const k = await source.store(chains[0] ?? '').signingKey();
  if (!k) return { exitCode: 1, lines: [NO_SIGNING_KEY] };
  return publicKeyResult(k.id, createPublicKey({ key: k.publicKey, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString(), out);
}

/** What `audit prune` says of each chain pruned (the server's PruneAuditTrail answers the same). */
export function pruneResult(chains: readonly { chain: string; pruned: number; anchorSeq: number | undefined }[], before: number): AuditCommandResult {
  const lines: string[] = [];
  let total = 0;
  for (const c of chains) {
    total += c.pruned;
    if (c.pruned === 0) continue;
    const named = chains.length > 1 ? `Chain '${c.chain}': p` : 'P';
    lines.push(`${named}runed ${c.pruned} record${c.pruned === 1 ? '' : 's'} (through record ${c.anchorSeq ?? '?'}, the end of a signed digest); verification starts there.`);
  }
  if (total === 0) return { exitCode: 0, lines: [`Nothing pruned: no records covered by a signed digest end before ${new Date(before).toISOString()}.`] };
  return { exitCode: 0, lines };
}

/** Prunes every chain before `before`, each up to the end of its last signed digest that ends before then (audit/prune.ts). */
export async function auditPrune(source: StoredAuditSource, before: number): Promise<AuditCommandResult> {
  return pruneResult(await pruneTrail(await source.chains(), (c) => source.store(c), before), before);
}
