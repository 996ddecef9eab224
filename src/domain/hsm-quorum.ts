/**
 * Quorum authentication (token-sign, M of N) of a Coffer HSM cluster (design/hsm-tier.md §3.4;
 * HSM.md "Quorum authentication"): the quorum values per service, each user's registered quorum
 * public key (RSA-2048, SPKI), the tokens (random id, bound to the command they authorize and a
 * SHA-256 of its parameters, requester, created-at, expiry, single use) and the check of an
 * approval file. Pure: the caller passes `now` (ms) and the cluster's state.
 *
 * A token file is CloudHSM's shape: `{"version":"2.0","tokens":[{"username","approval_data",
 * "unsigned","signed"}]}`. `approval_data` is base64 of the canonical JSON that names the token,
 * the cluster, the service, the operation and the parameters' digest; `unsigned` is base64 of its
 * SHA-256; an approver puts in `signed` the base64 RSA PKCS#1 v1.5 SHA-256 signature made with
 * `openssl pkeyutl -sign -inkey key.pem -pkeyopt digest:sha256` over the decoded `unsigned`, and its
 * username in `username`. An approval file is that file with one entry per approver.
 */
import { createHash, createPublicKey, randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { HsmUserRecord, HsmUserRole } from './hsm-users.ts';

/** The services a quorum value protects (admin services; key services are per key). */
export type QuorumService = 'user' | 'quorum' | 'cluster';
export const QUORUM_SERVICES: readonly QuorumService[] = ['user', 'quorum', 'cluster'];
/** The per-key services (design §3.4): their M is the key's manage-/use-key-quorum-value (0 or 1: off). */
export type KeyQuorumService = 'key-management' | 'key-usage';

/** Why a key's manage- or use-key-quorum-value is refused, or undefined: 0–8 and at most the users associated with the key (owner + sharees). */
export function keyQuorumValueProblem(value: unknown, associatedUsers: number): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 8) return 'A key quorum value is an integer from 0 to 8.';
  if (value > associatedUsers) return `A key quorum value of ${value} is more than the ${associatedUsers} user(s) the key is associated with (owner and sharees).`;
  return undefined;
}

/** Who may approve a key service's token: the users associated with the key (owner first, then sharees, once each). */
export const keyApprovers = (owner: string, sharees: readonly string[]): string[] => [...new Set([owner, ...sharees])];

/** What a token may be generated for: a quorum service, or the registration of the caller's own key. */
export type TokenService = QuorumService | 'registration';
export const isQuorumService = (s: unknown): s is QuorumService => s === 'user' || s === 'quorum' || s === 'cluster';
export const isTokenService = (s: unknown): s is TokenService => isQuorumService(s) || s === 'registration';

/** Seconds a token is valid by default (CloudHSM: 10 minutes), and the bounds of set-timeout. */
export const DEFAULT_TOKEN_TIMEOUT_S = 600;
export const MIN_TOKEN_TIMEOUT_S = 60;
export const MAX_TOKEN_TIMEOUT_S = 86_400;
/** At most this many tokens per cluster (CloudHSM: 1024 per HSM), expired ones purged first. */
export const MAX_TOKENS = 1024;
/** An approval file is small: bounded in entries and bytes of each field. */
export const MAX_APPROVAL_ENTRIES = 16;
const MAX_FIELD = 4096;

export interface QuorumTokenRecord {
  readonly tokenId: string;
  readonly service: TokenService;
  /** The command it authorizes (a data-plane operation name, e.g. CreateUser; RegisterQuorumKey for registration). */
  readonly operation: string;
  /** SHA-256 (hex) of the operation's canonical parameters. */
  readonly paramsDigest: string;
  readonly requester: string;
  /** base64 of the canonical approval data; `unsigned` is derived from it. */
  readonly approvalData: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface QuorumState {
  /** service → M (1: off). */
  readonly values?: Readonly<Partial<Record<QuorumService, number>>>;
  /** Seconds a generated token is valid. */
  readonly timeoutSeconds?: number;
  /** Live tokens (a consumed token is removed, so it cannot be used twice). */
  readonly tokens?: readonly QuorumTokenRecord[];
}

export const quorumValue = (q: QuorumState | undefined, s: QuorumService): number => q?.values?.[s] ?? 1;
export const tokenTimeout = (q: QuorumState | undefined): number => q?.timeoutSeconds ?? DEFAULT_TOKEN_TIMEOUT_S;

/** Why M is refused for a service, or undefined: 1 (off) to 8, and never more than the admins who could approve. */
export function quorumValueProblem(value: unknown, approvers: number): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 8) return 'A quorum value is an integer from 1 (off) to 8.';
  if (value > approvers) return `A quorum value of ${value} needs at least ${value} admins with a registered quorum key (there are ${approvers}).`;
  return undefined;
}

export function timeoutProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_TOKEN_TIMEOUT_S || value > MAX_TOKEN_TIMEOUT_S) {
    return `A token timeout is an integer from ${MIN_TOKEN_TIMEOUT_S} to ${MAX_TOKEN_TIMEOUT_S} seconds.`;
  }
  return undefined;
}

/** JSON with object keys sorted (so the same parameters always give the same bytes). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** SHA-256 (hex) of an operation's parameters (never a password: callers pass only names, roles, values). */
export const paramsDigest = (params: Record<string, unknown>): string => createHash('sha256').update(canonicalJson(params)).digest('hex');

/** The quorum public key of a PEM, as SPKI DER base64, or why it is refused (RSA with a 2048-bit modulus only). */
export function quorumPublicKey(pem: unknown): { ok: true; spki: string } | { ok: false; reason: string } {
  if (typeof pem !== 'string' || pem.length > MAX_FIELD) return { ok: false, reason: 'PublicKey must be a PEM public key.' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return { ok: false, reason: 'PublicKey is not a PEM public key.' };
  }
  if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== 2048) return { ok: false, reason: 'A quorum key must be an RSA-2048 public key.' };
  return { ok: true, spki: key.export({ type: 'spki', format: 'der' }).toString('base64') };
}

/** A new token for `requester` to have `operation` with these parameters approved; valid `timeoutSeconds` from `now`. */
export function newToken(clusterId: string, service: TokenService, operation: string, params: Record<string, unknown>, requester: string, now: number, timeoutSeconds: number): QuorumTokenRecord {
  const tokenId = `qt-${randomBytes(16).toString('hex')}`;
  const digest = paramsDigest(params);
  const data = canonicalJson({ version: 1, tokenId, clusterId, service, operation, paramsDigest: digest, requester, createdAt: now });
  return { tokenId, service, operation, paramsDigest: digest, requester, approvalData: Buffer.from(data, 'utf8').toString('base64'), createdAt: now, expiresAt: now + timeoutSeconds * 1000 };
}

export const unsignedOf = (t: QuorumTokenRecord): string => createHash('sha256').update(Buffer.from(t.approvalData, 'base64')).digest('base64');

/** The token file `quorum token-sign generate` writes (CloudHSM's shape, `signed` empty). */
export const tokenFile = (t: QuorumTokenRecord) => ({ version: '2.0', tokens: [{ username: t.requester, approval_data: t.approvalData, unsigned: unsignedOf(t), signed: '' }] });

/**
 * The tokens kept after adding `t`: expired ones purged, the requester's earlier token for the same
 * service replaced (one active token per user per service), at most MAX_TOKENS (else undefined).
 */
export function withToken(q: QuorumState | undefined, t: QuorumTokenRecord, now: number): readonly QuorumTokenRecord[] | undefined {
  const kept = (q?.tokens ?? []).filter((x) => x.expiresAt > now && !(x.requester === t.requester && x.service === t.service));
  return kept.length >= MAX_TOKENS ? undefined : [...kept, t];
}

export const withoutToken = (q: QuorumState | undefined, tokenId: string): readonly QuorumTokenRecord[] => (q?.tokens ?? []).filter((t) => t.tokenId !== tokenId);

export interface ApprovalEntry { readonly username: string; readonly approvalData: string; readonly unsigned: string; readonly signed: string }

/** The entries of an approval (or signed token) file, or why it is malformed. */
export function parseApprovalFile(file: unknown): { ok: true; entries: ApprovalEntry[] } | { ok: false; reason: string } {
  const bad = (reason: string) => ({ ok: false as const, reason });
  if (typeof file !== 'object' || file === null || Array.isArray(file)) return bad('The approval must be a token file: {"version":"2.0","tokens":[…]}.');
  const f = file as Record<string, unknown>;
  if (f.version !== '2.0' || !Array.isArray(f.tokens)) return bad('The approval must be a token file: {"version":"2.0","tokens":[…]}.');
  if (f.tokens.length === 0 || f.tokens.length > MAX_APPROVAL_ENTRIES) return bad(`The approval file must hold 1 to ${MAX_APPROVAL_ENTRIES} tokens.`);
  const entries: ApprovalEntry[] = [];
  for (const t of f.tokens as unknown[]) {
    const e = typeof t === 'object' && t !== null ? t as Record<string, unknown> : {};
    const field = (n: string) => (typeof e[n] === 'string' && (e[n] as string).length <= MAX_FIELD ? e[n] as string : undefined);
    const username = field('username');
    const approvalData = field('approval_data');
    const unsigned = field('unsigned');
    const signed = field('signed');
    if (username === undefined || approvalData === undefined || unsigned === undefined || signed === undefined) {
      return bad('Each token of the approval file needs username, approval_data, unsigned and signed (strings).');
    }
    entries.push({ username, approvalData, unsigned, signed });
  }
  return { ok: true, entries };
}

/** Whether `signedB64` is the RSA PKCS#1 v1.5 SHA-256 signature of the token's `unsigned` under `spki`. */
export function signatureVerifies(t: QuorumTokenRecord, spkiB64: string, signedB64: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(spkiB64, 'base64'), format: 'der', type: 'spki' });
    // `unsigned` is the SHA-256 of the approval data; openssl pkeyutl -pkeyopt digest:sha256 signs it as that digest.
    return verifySignature('sha256', Buffer.from(t.approvalData, 'base64'), key, Buffer.from(signedB64, 'base64'));
  } catch {
    return false;
  }
}

/** What an approval file is checked against: the operation about to run and who may approve it. */
export interface ApprovalExpectation {
  readonly service: TokenService;
  readonly operation: string;
  readonly params: Record<string, unknown>;
  readonly requester: string;
  /** M: distinct approvers needed. */
  readonly required: number;
  /** The roles that may approve (admins for the admin services). */
  readonly approverRoles: readonly HsmUserRole[];
  /** When given, only these users may approve (a key's owner and sharees: keyApprovers). */
  readonly approverNames?: readonly string[];
}

/**
 * Checks an approval file for the operation about to run: it names one live token (not expired,
 * not used), generated by the requester for exactly this operation and these parameters, and holds
 * at least M valid signatures by distinct users of an approving role with a registered key. Answers
 * the token id to consume, or one clear reason.
 */
export function checkApproval(q: QuorumState | undefined, users: readonly HsmUserRecord[], file: unknown, x: ApprovalExpectation, now: number):
  { ok: true; tokenId: string; approvers: string[] } | { ok: false; reason: string } {
  const parsed = parseApprovalFile(file);
  if (!parsed.ok) return parsed;
  const datas = new Set(parsed.entries.map((e) => e.approvalData));
  if (datas.size !== 1) return { ok: false, reason: 'All tokens of an approval file must carry the same approval_data (one quorum token).' };
  const data = parsed.entries[0]?.approvalData ?? '';
  const token = (q?.tokens ?? []).find((t) => t.approvalData === data);
  if (token === undefined) return { ok: false, reason: 'The approval names no live quorum token: it was never generated, was used already, or was replaced or purged.' };
  if (token.expiresAt <= now) return { ok: false, reason: `The quorum token ${token.tokenId} expired (tokens are valid ${Math.round((token.expiresAt - token.createdAt) / 1000)} s): generate a new one.` };
  if (token.service !== x.service || token.operation !== x.operation || token.paramsDigest !== paramsDigest(x.params)) {
    return { ok: false, reason: `The quorum token ${token.tokenId} was generated for another command (${token.service} service, ${token.operation}): generate one for this command.` };
  }
  if (token.requester !== x.requester) return { ok: false, reason: `The quorum token ${token.tokenId} belongs to ${token.requester}: only the user who generated it can use it.` };
  const unsigned = unsignedOf(token);
  const approvers = new Set<string>();
  for (const e of parsed.entries) {
    if (e.signed === '') continue;
    if (e.unsigned !== unsigned) return { ok: false, reason: `The approval by ${e.username} has an unsigned value that does not match its approval_data.` };
    const u = users.find((v) => v.username === e.username);
    if (u === undefined || !x.approverRoles.includes(u.role)) {
      return { ok: false, reason: `${e.username} may not approve ${x.service} service tokens (approvers: ${x.approverRoles.join(', ')}s with a registered quorum key).` };
    }
    if (x.approverNames !== undefined && !x.approverNames.includes(u.username)) {
      return { ok: false, reason: `${e.username} may not approve this token: only the users associated with the key (${x.approverNames.join(', ')}) may.` };
    }
    if (u.quorumPublicKey === undefined) return { ok: false, reason: `${e.username} has no registered quorum key (user change-quorum token-sign register).` };
    if (!signatureVerifies(token, u.quorumPublicKey, e.signed)) return { ok: false, reason: `The signature of ${e.username} does not verify with its registered quorum key.` };
    approvers.add(u.username);
  }
  if (approvers.size < x.required) {
    return { ok: false, reason: `Quorum approval is required for this operation: ${x.required} distinct approvers needed, ${approvers.size} valid approval(s) given.` };
  }
  return { ok: true, tokenId: token.tokenId, approvers: [...approvers].sort() };
}
