/**
 * The audit trail over Coffer's admin API (CofferAdminService; who may call: operations/coffer/admin.ts),
 * so that `coffer audit …` works while the server runs:
 *
 * - GetAuditPublicKey {} → {KeyId, PublicKey}: the audit signing key's public half (PEM, SPKI), as
 *   the offline `audit public-key` prints it. NotFoundException when there is none yet.
 * - ExportAuditRecords {StartTime?, EndTime?, NextToken?, Limit?} → {Records, NextToken?}: every
 *   chain's records, chain by chain in seq order, each with its chain fields (Chain, Seq, PrevHash,
 *   Hash, Record: what the offline `audit export --chain` writes). At most Limit (1–1000, default
 *   1000) stored records are read per call, so a call whose window holds none of them may answer
 *   an empty page with a NextToken: go on until no NextToken is answered. StartTime includes,
 *   EndTime excludes (the offline --since/--before). The first page flushes the records queued for
 *   the group commit, so the export holds every call answered before it.
 * - ListAuditDigests {NextToken?, Limit?} → {Digests, Anchors, NextToken?}: the signed digests of
 *   every chain (their times in epoch milliseconds, as signed) and each chain's prune anchor.
 * - PruneAuditTrail {Before} → {Pruned, Chains}: every chain pruned up to the end of its last
 *   signed digest that ends before the date (audit/prune.ts, the offline prune's rule), so the kept
 *   trail still verifies from that digest on.
 *
 * There is no server-side VerifyAuditTrail on purpose: verification stays in one place, the
 * client's (cli/audit.ts `auditVerify` over audit/verify.ts), fed by these calls. That keeps the
 * work of each request bounded (a page), and lets the operator check the trail against a public
 * key and digest logs kept away from the server, instead of trusting the server's own verdict.
 */
import { createPublicKey } from 'node:crypto';
import { ValidationException } from '../../errors/common-errors.ts';
import { NotFoundException } from '../../errors/kms-errors.ts';
import type { AuditRow, AuditStore } from '../../ports/audit.ts';
import { authorize, type AdminOperation } from './admin.ts';

/** What the admin API reads and prunes of the trail (wired in serve.ts). */
export interface AdminAudit {
  /** Every chain the storage holds (at least the server's own). */
  chains(): Promise<string[]>;
  store(chain: string): AuditStore;
  /** Writes the records queued for the group commit. */
  flush(): Promise<void>;
  /** audit/prune.ts `pruneTrail` over every chain. */
  prune(beforeMs: number): Promise<readonly { chain: string; pruned: number; anchorSeq: number | undefined }[]>;
}

const DEFAULT_PAGE = 1000;

/** A page's place: the chain and the seq to read from; its kind so one list's token is not taken by another. */
interface Position { readonly chain: string; readonly seq: number }

const encodeToken = (kind: 'r' | 'd', p: Position): string => Buffer.from(JSON.stringify({ k: kind, c: p.chain, s: p.seq })).toString('base64url');

function decodeToken(kind: 'r' | 'd', token: string, chains: readonly string[]): Position {
  const bad = (): never => { throw new ValidationException('NextToken is not one this API answered.'); };
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return bad();
  }
  if (typeof v !== 'object' || v === null) return bad();
  const { k, c, s } = v as { k?: unknown; c?: unknown; s?: unknown };
  if (k !== kind || typeof c !== 'string' || !chains.includes(c) || typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) return bad();
  return { chain: c, seq: s };
}

const sortedChains = async (audit: AdminAudit): Promise<string[]> => [...new Set(await audit.chains())].sort();
const limitOf = (input: Record<string, unknown>): number => (input.Limit as number | undefined) ?? DEFAULT_PAGE;

export const getAuditPublicKey: AdminOperation = {
  name: 'GetAuditPublicKey',
  async run(_input, ctx) {
    await authorize(ctx, 'GetAuditPublicKey');
    const chains = await sortedChains(ctx.audit);
    const k = await ctx.audit.store(chains[0] ?? '').signingKey();
    if (k === undefined) throw new NotFoundException('The audit trail has no signing key yet.');
    const pem = createPublicKey({ key: k.publicKey, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();
    return { KeyId: k.id, PublicKey: pem };
  },
};

const exported = (chain: string, r: AuditRow) => ({ Chain: chain, Seq: r.seq, PrevHash: r.prevHash, Hash: r.hash, Record: r.record });

export const exportAuditRecords: AdminOperation = {
  name: 'ExportAuditRecords',
  async run(input, ctx) {
    await authorize(ctx, 'ExportAuditRecords');
    const start = (input.StartTime as Date | undefined)?.getTime();
    const end = (input.EndTime as Date | undefined)?.getTime();
    if (start !== undefined && end !== undefined && end <= start) throw new ValidationException('EndTime must be later than StartTime.');
    const token = input.NextToken as string | undefined;
    if (token === undefined) await ctx.audit.flush();
    const chains = await sortedChains(ctx.audit);
    let { chain, seq } = token === undefined ? { chain: chains[0] ?? '', seq: 0 } : decodeToken('r', token, chains);
    let ci = chains.indexOf(chain);
    let budget = limitOf(input);
    const records: ReturnType<typeof exported>[] = [];
    while (ci >= 0 && ci < chains.length && budget > 0) {
      const rows = await ctx.audit.store(chain).scan(seq, budget);
      budget -= rows.length;
      for (const r of rows) {
        if ((start === undefined || r.eventTime >= start) && (end === undefined || r.eventTime < end)) records.push(exported(chain, r));
      }
      const last = rows.at(-1);
      if (last !== undefined && budget === 0) {
        seq = last.seq + 1;
      } else {
        ci++;
        chain = chains[ci] ?? '';
        seq = 0;
      }
    }
    return { Records: records, ...(ci >= 0 && ci < chains.length ? { NextToken: encodeToken('r', { chain, seq }) } : {}) };
  },
};

export const listAuditDigests: AdminOperation = {
  name: 'ListAuditDigests',
  async run(input, ctx) {
    await authorize(ctx, 'ListAuditDigests');
    const token = input.NextToken as string | undefined;
    const chains = await sortedChains(ctx.audit);
    let { chain, seq } = token === undefined ? { chain: chains[0] ?? '', seq: 0 } : decodeToken('d', token, chains);
    let ci = chains.indexOf(chain);
    const limit = limitOf(input);
    const digests: Record<string, unknown>[] = [];
    let next: Position | undefined;
    while (ci >= 0 && ci < chains.length && next === undefined) {
      const all = await ctx.audit.store(chain).digestsFrom(seq);
      for (const d of all) {
        if (digests.length === limit) { next = { chain, seq: d.seqTo }; break; }
        digests.push({
          Chain: chain, SeqFrom: d.seqFrom, SeqTo: d.seqTo, LastHash: d.lastHash, FirstTime: d.firstTime, LastTime: d.lastTime,
          CreatedAt: d.createdAt, PrevDigestHash: d.prevDigestHash, KeyId: d.keyId, Signature: d.signature,
        });
      }
      ci++;
      chain = chains[ci] ?? '';
      seq = 0;
      if (next === undefined && digests.length === limit && ci < chains.length) next = { chain, seq: 0 };
    }
    const anchors: Record<string, unknown>[] = [];
    for (const c of chains) {
      const a = await ctx.audit.store(c).anchor();
      if (a !== undefined) anchors.push({ Chain: c, Seq: a.seq, Hash: a.hash });
    }
    return { Digests: digests, Anchors: anchors, ...(next !== undefined ? { NextToken: encodeToken('d', next) } : {}) };
  },
};

export const pruneAuditTrail: AdminOperation = {
  name: 'PruneAuditTrail',
  async run(input, ctx) {
    await authorize(ctx, 'PruneAuditTrail');
    const before = (input.Before as Date).getTime();
    const chains = await ctx.audit.prune(before);
    return {
      Pruned: chains.reduce((n, c) => n + c.pruned, 0),
      Chains: chains.map((c) => ({ Chain: c.chain, Pruned: c.pruned, ...(c.anchorSeq !== undefined ? { AnchorSeq: c.anchorSeq } : {}) })),
    };
  },
};

export const AUDIT_ADMIN_OPERATIONS: readonly AdminOperation[] = [getAuditPublicKey, exportAuditRecords, listAuditDigests, pruneAuditTrail];
