/**
 * Key policy documents: AWS's default key policy, and the structural validation every stored
 * policy passes (MalformedPolicyDocumentException with a reason). Evaluation comes with the
 * authorization issue; what is stored now is already a well-formed policy.
 */
import { LimitExceededException, MalformedPolicyDocumentException } from '../errors/kms-errors.ts';

/** AWS KMS quota: 32 KB per key policy (the model's 131072-character maximum is the shape limit). */
export const MAX_POLICY_BYTES = 32_768;

export function defaultKeyPolicy(partition: string, accountId: string): string {
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    },
    null,
    2,
  );
}

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

const isStringOrList = (v: unknown): boolean =>
  typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));

function checkPrincipal(p: unknown): boolean {
  if (p === '*') return true;
  if (!p || typeof p !== 'object' || Array.isArray(p)) return false;
  const entries = Object.entries(p);
  return entries.length > 0 && entries.every(([k, v]) => ['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(k) && isStringOrList(v));
}

export function validatePolicyDocument(text: string): void {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    throw new LimitExceededException(`Policy document exceeds the maximum size of ${MAX_POLICY_BYTES} bytes.`);
  }
  const bad = (why: string): never => {
    throw new MalformedPolicyDocumentException(why);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return bad('The policy is not valid JSON.');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return bad('The policy must be a JSON object.');
  const d = doc as Record<string, unknown>;
  if (d.Version !== undefined && d.Version !== '2012-10-17' && d.Version !== '2008-10-17') {
    bad(`The policy Version '${String(d.Version)}' is not supported.`);
  }
  const statements = Array.isArray(d.Statement) ? d.Statement : d.Statement === undefined ? bad('The policy has no Statement.') : [d.Statement];
  if (statements.length === 0) bad('The policy has no Statement.');
  for (const [i, st] of statements.entries()) {
    if (!st || typeof st !== 'object' || Array.isArray(st)) bad(`Statement ${i + 1} is not an object.`);
    const s = st as Record<string, unknown>;
    for (const k of Object.keys(s)) if (!STATEMENT_KEYS.has(k)) bad(`Statement ${i + 1} has an unknown element '${k}'.`);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') bad(`Statement ${i + 1} must have an Effect of Allow or Deny.`);
    if (s.Principal === undefined && s.NotPrincipal === undefined) bad('Policy contains a statement with no principal.');
    if (s.Principal !== undefined && s.NotPrincipal !== undefined) bad(`Statement ${i + 1} has both Principal and NotPrincipal.`);
    if (!checkPrincipal(s.Principal ?? s.NotPrincipal)) bad('Policy contains a statement with one or more invalid principals.');
    if (s.Action !== undefined && s.NotAction !== undefined) bad(`Statement ${i + 1} has both Action and NotAction.`);
    if (s.Resource !== undefined && s.NotResource !== undefined) bad(`Statement ${i + 1} has both Resource and NotResource.`);
    for (const k of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
      if (s[k] !== undefined && !isStringOrList(s[k])) bad(`Statement ${i + 1} has an invalid ${k}.`);
    }
    if (s.Condition !== undefined && (!s.Condition || typeof s.Condition !== 'object' || Array.isArray(s.Condition))) {
      bad(`Statement ${i + 1} has an invalid Condition.`);
    }
  }
}
