/**
 * IAM's checks of identity policies (inline and managed) and role trust policies: the grammar
 * (MalformedPolicyDocument with IAM's messages where IAM's are known, then everything the policy
 * engine refuses: condition operators, principals, …) and the size quotas, which IAM counts in
 * characters without whitespace.
 */
import { LimitExceededError, MalformedPolicyDocumentError } from '../../errors/query-errors.ts';
import { isPolicyEngineError, parseCached } from '../identity-authorization.ts';

export type DocumentKind = 'identity' | 'trust';

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_KEYS = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const ACTION = /^(\*|[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+)$/;
const TRUST_ACTIONS = /^(sts:(AssumeRole|AssumeRoleWithSAML|AssumeRoleWithWebIdentity|TagSession|SetSourceIdentity|SetContext|\*)|\*)$/i;

const bad = (message: string): never => {
  throw new MalformedPolicyDocumentError(message);
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringList = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;

/** The size IAM measures quotas in: characters other than whitespace. */
export const policySize = (text: string): number => text.replace(/\s/g, '').length;

/** Throws MalformedPolicyDocument unless `text` is a well-formed policy of `kind`. */
export function validatePolicyDocument(text: string, kind: DocumentKind): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return bad('This policy contains invalid Json');
  }
  if (!isObject(doc)) return bad('Syntax errors in policy.');
  for (const k of Object.keys(doc)) if (!['Version', 'Id', 'Statement'].includes(k)) bad(`Syntax errors in policy.`);
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') bad('The policy failed legacy parsing');
  if (doc.Id !== undefined && typeof doc.Id !== 'string') bad('Syntax errors in policy.');
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? bad('Syntax errors in policy.') : [doc.Statement];
  if (statements.length === 0) bad('Syntax errors in policy.');
  for (const st of statements) {
    if (!isObject(st)) return bad('Syntax errors in policy.');
    for (const k of Object.keys(st)) if (!STATEMENT_KEYS.has(k)) bad(`Syntax errors in policy.`);
    if (st.Sid !== undefined && typeof st.Sid !== 'string') bad('Syntax errors in policy.');
    if (st.Effect === undefined) bad('Missing required field Effect');
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') bad('Syntax errors in policy.');
    if (st.Action !== undefined && st.NotAction !== undefined) bad('Syntax errors in policy.');
    const actions = st.Action ?? st.NotAction;
    if (actions === undefined) bad(kind === 'trust' ? 'Missing required field Action' : 'Policy statement must contain actions.');
    const list = stringList(actions) ?? bad('Syntax errors in policy.');
    for (const a of list) {
      if (a !== '*' && !a.includes(':')) bad('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
      if (!ACTION.test(a)) bad('Syntax errors in policy.');
      if (kind === 'trust' && st.Action !== undefined && !TRUST_ACTIONS.test(a)) bad('AssumeRole policy may only specify STS AssumeRole actions.');
    }
    if (kind === 'identity') {
      if (st.Principal !== undefined || st.NotPrincipal !== undefined) bad('Policy document should not specify a principal.');
      if (st.Resource !== undefined && st.NotResource !== undefined) bad('Syntax errors in policy.');
      const resources = st.Resource ?? st.NotResource;
      if (resources === undefined) bad('Policy statement must contain resources.');
      if (stringList(resources) === undefined) bad('Syntax errors in policy.');
    } else {
      if (st.Resource !== undefined) bad('Has prohibited field Resource');
      if (st.NotResource !== undefined) bad('Has prohibited field NotResource');
      if (st.Principal !== undefined && st.NotPrincipal !== undefined) bad('Syntax errors in policy.');
      const principal = st.Principal ?? st.NotPrincipal;
      if (principal === undefined) bad('Missing required field Principal');
      if (principal !== '*') {
        if (!isObject(principal) || Object.keys(principal).length === 0) return bad('Invalid principal in policy');
        for (const [k, v] of Object.entries(principal)) {
          if (!PRINCIPAL_KEYS.has(k) || stringList(v) === undefined) bad(`Invalid principal in policy: "${k}":${JSON.stringify(v)}`);
        }
      }
    }
    if (st.Condition !== undefined) {
      if (!isObject(st.Condition)) return bad('Syntax errors in policy.');
      for (const block of Object.values(st.Condition)) if (!isObject(block)) bad('Syntax errors in policy.');
    }
  }
  try {
    parseCached(text, kind);
  } catch (e) {
    if (isPolicyEngineError(e)) bad(e.message);
    throw e;
  }
}

/** Throws LimitExceeded when `text` (or the aggregate of inline policies) exceeds `max` characters. */
export function checkPolicySize(size: number, max: number, what: string): void {
  if (size > max) throw new LimitExceededError(`Maximum policy size of ${max} bytes exceeded for ${what}`);
}
