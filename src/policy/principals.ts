/**
 * The Principal / NotPrincipal element: parsed into sets once, matched against the caller.
 * AWS principals: "*", account ids and account root ARNs (delegate to the account), user, role,
 * assumed-role session and federated-user ARNs, unique ids (AIDA…/AROA…); no partial wildcards.
 * A role session is matched by its session ARN or by its role's ARN.
 */

export type PrincipalType = 'Root' | 'IAMUser' | 'AssumedRole' | 'Service';

export interface PrincipalInfo {
  /** arn:aws:iam::111122223333:root | …:user/path/alice | arn:aws:sts::111122223333:assumed-role/App/session; for Service: the service principal name. */
  readonly arn: string;
  readonly accountId: string;
  readonly type: PrincipalType;
  /** aws:userid */
  readonly userId: string;
  /** aws:username (IAM users) */
  readonly username?: string;
  /** AssumedRole: arn:aws:iam::<acct>:role/<path><name>; it is aws:PrincipalArn for role sessions. */
  readonly roleArn?: string;
  /** aws:PrincipalTag/<k> */
  readonly tags?: Readonly<Record<string, string>>;
}

/** For resource policies: matched the caller itself (or its role, or '*'), or only its account. */
export type PrincipalMatch = 'principal' | 'account';

export interface PrincipalSet {
  /** `"Principal": "*"` — everyone, services included. */
  readonly any: boolean;
  /** `{"AWS": "*"}` — every AWS principal (not service principals). */
  readonly anyAws: boolean;
  /** Account ids named by id or root ARN. */
  readonly accounts: ReadonlySet<string>;
  /** User, role, session and federated-user ARNs. */
  readonly arns: ReadonlySet<string>;
  readonly uniqueIds: ReadonlySet<string>;
  readonly services: ReadonlySet<string>;
  /** Federated and CanonicalUser principals: valid, never match a Coffer caller. */
  readonly other: readonly string[];
}

const ACCOUNT = /^\d{12}$/;
const ROOT_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;
const IAM_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/;
const STS_ARN = /^arn:aws[a-z-]*:sts::\d{12}:(assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+|federated-user\/[\w+=,.@-]+)$/;
const UNIQUE_ID = /^(AIDA|AROA)[A-Z0-9]{12,}$/;
const SERVICE = /^[a-z0-9][a-z0-9.-]*$/;
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);

const strings = (v: unknown): readonly string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** The parsed element, or undefined when it is not a valid principal element. */
export function parsePrincipal(p: unknown): PrincipalSet | undefined {
  const empty = { anyAws: false, accounts: new Set<string>(), arns: new Set<string>(), uniqueIds: new Set<string>(), services: new Set<string>(), other: [] };
  if (p === '*') return { ...empty, any: true };
  if (!p || typeof p !== 'object' || Array.isArray(p)) return undefined;
  const entries = Object.entries(p);
  if (entries.length === 0) return undefined;
  let anyAws = false;
  const accounts = new Set<string>();
  const arns = new Set<string>();
  const uniqueIds = new Set<string>();
  const services = new Set<string>();
  const other: string[] = [];
  for (const [type, value] of entries) {
    const list = strings(value);
    if (!PRINCIPAL_TYPES.has(type) || !list) return undefined;
    for (const v of list) {
      if (type === 'AWS') {
        let m: RegExpExecArray | null;
        if (v === '*') anyAws = true;
        else if (ACCOUNT.test(v)) accounts.add(v);
        else if ((m = ROOT_ARN.exec(v))) accounts.add(m[1] as string);
        else if (IAM_ARN.test(v) || STS_ARN.test(v)) arns.add(v);
        else if (UNIQUE_ID.test(v)) uniqueIds.add(v);
        else return undefined;
      } else if (type === 'Service') {
        if (!SERVICE.test(v)) return undefined;
        services.add(v);
      } else {
        if (v === '' || /\s/.test(v)) return undefined;
        other.push(v);
      }
    }
  }
  return { any: false, anyAws, accounts, arns, uniqueIds, services, other };
}

/** How the element names the caller, or undefined when it does not. */
export function matchPrincipal(s: PrincipalSet, p: PrincipalInfo): PrincipalMatch | undefined {
  if (s.any) return 'principal';
  if (p.type === 'Service') return s.services.has(p.arn) ? 'principal' : undefined;
  if (s.anyAws || s.arns.has(p.arn) || (p.roleArn !== undefined && s.arns.has(p.roleArn))) return 'principal';
  if (s.uniqueIds.size > 0) {
    const colon = p.userId.indexOf(':');
    if (s.uniqueIds.has(colon < 0 ? p.userId : p.userId.slice(0, colon))) return 'principal';
  }
  if (s.accounts.has(p.accountId)) return p.type === 'Root' ? 'principal' : 'account';
  return undefined;
}
