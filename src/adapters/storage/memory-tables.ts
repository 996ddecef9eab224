/**
 * The in-memory adapters' tables and their transactions. Every table is a Map or a Set of
 * immutable values; a snapshot of all of them is what readers see. A commit works on a draft that
 * copies a table the first time it writes to it, and replaces the snapshot only when every change
 * and record has been applied, so a commit that throws leaves nothing behind (SQLite's rollback).
 * Copy-on-write costs a table's size per commit that touches it: fine for tests and as a
 * reference, never meant for production.
 */
import type { KeyRecord, MaterialRecord } from '../../domain/key.ts';
import type { GrantRecord } from '../../domain/grant.ts';
import type {
  AccessKeyRecord, AccountRecord, GroupRecord, InlinePolicyRecord, ManagedPolicyRecord, RoleRecord, SessionRecord, UserRecord,
} from '../../domain/identity.ts';
import type { AliasRecord, DomainKeyRecord, KeyUsageRecord } from '../../ports/key-repository.ts';
import type { ClusterRecord } from '../../domain/cluster.ts';
import type { CustomKeyStoreRecord } from '../../domain/custom-key-store.ts';
import type { AuditAnchor, AuditDigest, AuditRow, AuditSigningKeyRecord } from '../../ports/audit.ts';

export interface Tables {
  meta: Map<string, string>;
  domainKeys: Map<string, DomainKeyRecord>;
  /** Insertion order is SQLite's rowid order (keysWithKeyId, ties of the due lists). */
  keys: Map<string, KeyRecord>;
  /** By key ARN, each list in insertion order (replaced, never changed in place). */
  materials: Map<string, readonly MaterialRecord[]>;
  /** By `aliasId(account, region, name)`. */
  aliases: Map<string, AliasRecord>;
  grants: Map<string, GrantRecord>;
  usage: Map<string, KeyUsageRecord>;

  accounts: Map<string, AccountRecord>;
  users: Map<string, UserRecord>;
  accessKeys: Map<string, AccessKeyRecord>;
  roles: Map<string, RoleRecord>;
  groups: Map<string, GroupRecord>;
  /** `pair(groupId, userId)`. */
  members: Set<string>;
  /** By `pair(principalId, lower-case name)`. */
  inlinePolicies: Map<string, InlinePolicyRecord>;
  managedPolicies: Map<string, ManagedPolicyRecord>;
  /** `pair(principalId, policyArn)`. */
  attachments: Set<string>;
  sessions: Map<string, SessionRecord>;
  /** HSM clusters by id. */
  clusters: Map<string, ClusterRecord>;
  /** AWS_CLOUDHSM custom key stores by id. */
  customKeyStores: Map<string, CustomKeyStoreRecord>;

  /** By seq, in seq order. */
  records: Map<number, AuditRow>;
  /** By seqTo. */
  digests: Map<number, AuditDigest>;
  signingKeys: Map<string, AuditSigningKeyRecord>;
  anchor: Map<'anchor', AuditAnchor>;
}

export function emptyTables(): Tables {
  return {
    meta: new Map(), domainKeys: new Map(), keys: new Map(), materials: new Map(), aliases: new Map(), grants: new Map(), usage: new Map(),
    accounts: new Map(), users: new Map(), accessKeys: new Map(), roles: new Map(), groups: new Map(), members: new Set(),
    inlinePolicies: new Map(), managedPolicies: new Map(), attachments: new Set(), sessions: new Map(), clusters: new Map(), customKeyStores: new Map(),
    records: new Map(), digests: new Map(), signingKeys: new Map(), anchor: new Map(),
  };
}

/** What SQLite refuses (a foreign key, a unique or primary key): the transaction is rolled back. */
export class ConstraintError extends Error {
  override readonly name = 'ConstraintError';
}

const copy = <T extends Map<unknown, unknown> | Set<unknown>>(t: T): T => (t instanceof Map ? new Map(t) : new Set(t)) as T;

/** One transaction: reads see its own writes; `tables()` is the new snapshot once it succeeded. */
export class Draft {
  private readonly t: Tables;
  private readonly copied = new Set<keyof Tables>();

  constructor(base: Tables) {
    this.t = { ...base };
  }

  get read(): Tables {
    return this.t;
  }

  write<K extends keyof Tables>(name: K): Tables[K] {
    if (!this.copied.has(name)) {
      this.t[name] = copy(this.t[name]);
      this.copied.add(name);
    }
    return this.t[name];
  }

  tables(): Tables {
    return this.t;
  }
}

/** The snapshot readers see and the one writer that replaces it. */
export class MemoryDatabase {
  private current: Tables = emptyTables();

  get tables(): Tables {
    return this.current;
  }

  /** Runs `fn` on a draft and keeps its result only when it returns. */
  transaction<T>(fn: (d: Draft) => T): T {
    const d = new Draft(this.current);
    const result = fn(d);
    this.current = d.tables();
    return result;
  }
}

/** SQLite's BINARY collation (UTF-8 byte order, i.e. code-point order); `<` on UTF-16 units differs above U+FFFF. */
export function compareBinary(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (code points above U+FFFF) rank above U+E000..U+FFFF. */
const codePointRank = (unit: number): number => (unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800);

/** A compound key of two identifiers (neither contains a newline). */
export const pair = (a: string, b: string): string => `${a}\n${b}`;

/** A JSON document's copy, as a stored document reads back (undefined members dropped, nothing shared). */
export const doc = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
