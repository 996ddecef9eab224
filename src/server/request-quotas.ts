/**
 * AWS KMS's request quotas: each account has, in each region, one token bucket per quota (the
 * shared cryptographic-operations quota, CreateKey's, each management operation's); a call with its
 * bucket empty is answered ThrottlingException. The caller's account is throttled, also when it
 * uses another account's key, as AWS does. Checked after authentication (the account must be
 * known) and before the body is parsed. The buckets are bounded by the authenticated accounts times
 * the served regions times the quotas.
 */
import { TokenBucket } from '../core/token-bucket.ts';
import { ThrottlingException } from '../errors/common-errors.ts';

/** One operation's quota: the bucket it draws from (shared by name) and the bucket's rate. */
export interface QuotaRule {
  readonly bucket: string;
  readonly perSecond: number;
}

/** Throws ThrottlingException when the call is over its quota; takes its token otherwise. */
export type QuotaCheck = (accountId: string, region: string, operation: string) => void;

export function createRequestQuotas(rules: ReadonlyMap<string, QuotaRule>, nowMs: () => number = () => performance.now()): QuotaCheck {
  const buckets = new Map<string, TokenBucket>();
  return (accountId, region, operation) => {
    const rule = rules.get(operation);
    if (rule === undefined) return;
    const key = `${accountId}\n${region}\n${rule.bucket}`;
    const now = nowMs();
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(rule.perSecond, now);
      buckets.set(key, bucket);
    }
    if (!bucket.take(now)) throw new ThrottlingException();
  };
}
