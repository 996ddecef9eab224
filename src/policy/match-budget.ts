/**
 * How much matching one authorization decision may do. Each match is linear (glob.ts), but one
 * decision can meet tens of thousands of patterns — a user's IAM policies (its own and its ten
 * groups', inline and attached) may hold 700,000 characters — and each condition pattern may scan
 * an 8 KiB encryption-context value: 6 s for one request, which any account's administrator could
 * set up. So a decision counts the code units it touches (request values read by each clause,
 * patterns and texts matched, substituted variables) and, past MATCH_BUDGET, is denied: fail
 * closed, after about 60 ms of work. Real policy sets stay far below: a maximal IAM policy set
 * made only of Resource ARN patterns (15,000 of them) uses 1.8 million against a key ARN.
 */

/** Code units one decision may touch. */
export const MATCH_BUDGET = 8_000_000;

/** Thrown through the evaluation when a decision runs out; the decision catches it and denies. */
export class MatchBudgetExceeded extends Error {
  constructor() {
    super('the matching budget of one authorization decision is spent');
  }
}

export class MatchBudget {
  #left: number;

  constructor(units: number = MATCH_BUDGET) {
    this.#left = units;
  }

  /** Takes `units` (code units about to be touched); throws MatchBudgetExceeded when none are left. */
  charge(units: number): void {
    this.#left -= units;
    if (this.#left < 0) throw new MatchBudgetExceeded();
  }
}

/** Runs `decide` with a fresh budget; `exceeded()` answers instead when it runs out. */
export function withMatchBudget<T>(decide: (budget: MatchBudget) => T, exceeded: () => T, units: number = MATCH_BUDGET): T {
  try {
    return decide(new MatchBudget(units));
  } catch (e) {
    if (e instanceof MatchBudgetExceeded) return exceeded();
    throw e;
  }
}
