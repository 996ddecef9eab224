/**
 * Pruning the whole trail: every chain (each writer's) up to the end of its last signed digest
 * that ends before the date (writer.ts `pruneBefore`), so verification starts at that digest's
 * last record and still checks everything kept. One rule for the offline `coffer audit prune`
 * (cli/audit.ts) and the admin API's PruneAuditTrail (operations/coffer/admin-audit.ts).
 */
import type { AuditStore } from '../ports/audit.ts';
import { pruneBefore } from './writer.ts';

export interface ChainPruned {
  readonly chain: string;
  /** Records removed from this chain. */
  readonly pruned: number;
  /** The chain's prune anchor after (the last removed record's seq), when it has one. */
  readonly anchorSeq: number | undefined;
}

/** Prunes each chain before `beforeMs`; answers what each chain lost (chains that lost nothing too). */
export async function pruneTrail(chains: readonly string[], store: (chain: string) => AuditStore, beforeMs: number): Promise<ChainPruned[]> {
  const out: ChainPruned[] = [];
  for (const chain of chains) {
    const s = store(chain);
    const pruned = await pruneBefore(s, beforeMs);
    out.push({ chain, pruned, anchorSeq: (await s.anchor())?.seq });
  }
  return out;
}
