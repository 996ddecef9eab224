/**
 * What a record is indexed by (LookupEvents' attributes), read from the record itself. The writer
 * stores exactly this beside each record and `audit verify` recomputes it from the stored body, so
 * the lookup columns cannot drift from the record, and an edited column (a CreateUser filed under
 * EventName=ListUsers) is found. Takes a parsed record of unknown shape: a missing or mistyped
 * field reads as absent, which then disagrees with any column that says otherwise.
 */
import type { RecordIndex } from '../ports/audit.ts';

type Json = Readonly<Record<string, unknown>>;

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const object = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** LookupEvents' Username: `root`, the IAM user's name, or the role session's name (the ARN's last part). */
function usernameOf(who: Json): string | undefined {
  if (who.type === 'Root') return 'root';
  if (who.type === 'IAMUser') return text(who.userName);
  const arn = text(who.arn);
  return arn === undefined ? undefined : arn.slice(arn.lastIndexOf('/') + 1);
}

export function recordIndexOf(record: Json): RecordIndex {
  const who = object(record.userIdentity);
  const accountId = text(record.recipientAccountId) ?? '';
  const entries = Array.isArray(record.resources) ? record.resources.map(object) : [];
  // The owner account of a resource of another account than the record's (a cross-account call).
  let ownerAccountId: string | undefined;
  for (const e of entries) {
    const a = text(e.accountId);
    if (a !== undefined && a !== accountId) { ownerAccountId = a; break; }
  }
  return {
    eventName: text(record.eventName) ?? '',
    eventSource: text(record.eventSource) ?? '',
    readOnly: record.readOnly === true,
    username: usernameOf(who),
    accessKeyId: text(who.accessKeyId),
    accountId,
    ownerAccountId,
    resources: entries.map((e) => ({ type: text(e.type) ?? '', name: text(e.ARN) ?? '' })),
  };
}
