/**
 * HSM users of a Coffer cluster (design/hsm-tier.md §3.1, §3.2; HSM.md Part 1a): the unactivated
 * admin InitializeCluster makes (CloudHSM's PRECO), admins and crypto users, their scrypt password
 * hashes, and the pure rules the data plane (CofferHsmService) checks. A crypto user's password is
 * also the USER PIN of its partition (one token per crypto user per HSM), so it is kept sealed as
 * well; an admin's only as a hash. Passwords are never kept in the clear.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export type HsmUserRole = 'admin' | 'crypto-user';
export const HSM_USER_ROLES: readonly HsmUserRole[] = ['admin', 'crypto-user'];

export interface HsmUserRecord {
  readonly username: string;
  readonly role: HsmUserRole;
  /** `scrypt$N$r$p$salt$hash` (base64); absent for the unactivated admin until ActivateCluster. */
  readonly passwordHash?: string;
  /** Crypto users only: the password (their partitions' PIN), sealed under pinSealOfUser. */
  readonly pinSealed?: string;
  /** Crypto users only: hsmId → serial of the user's partition token on that HSM. */
  readonly partitions: Readonly<Record<string, string>>;
  /** Failed logins in a row (design §3.2 lockout); locked at COFFER_HSM_LOGIN_ATTEMPTS. */
  readonly failedLogins?: number;
  /** The user's registered quorum (token-sign) public key: RSA-2048 SPKI DER, base64 (domain/hsm-quorum.ts). */
  readonly quorumPublicKey?: string;
}

/** The first admin before ActivateCluster sets its password (CloudHSM calls it PRECO while unactivated). */
export const FIRST_ADMIN = 'admin';

/** The SecretBox id a crypto user's sealed PIN opens under (bound to cluster and user). */
export const pinSealOfUser = (clusterId: string, username: string): string => `cloudhsm:${clusterId}:user:${username}`;
/** The SecretBox id the cluster key (CK) is sealed under. */
export const clusterKeySealId = (clusterId: string): string => `cloudhsm:${clusterId}:ck`;
/** The SecretBox id of the SO PIN of a crypto user's partition on one HSM. */
export const partitionSoSealId = (hsmId: string, username: string): string => `cloudhsm:${hsmId}:partition-so:${username}`;

/** The CKA_ID (and label) of the cluster key in every partition. */
export const CLUSTER_KEY_ID = Buffer.from('coffer-ck', 'utf8');
export const CLUSTER_KEY_LABEL = 'coffer-ck';

/** Why a password is refused (CloudHSM: 8–32 characters), or undefined. */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'A password is required.';
  if (password.length < 8 || password.length > 32) return 'A password must have 8 to 32 characters.';
  // A PIN goes to C_Login as UTF-8 bytes; control characters are refused so no terminal or log mangles it.
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'A password cannot contain control characters.';
  return undefined;
}

/** Why a username is refused, or undefined: 1–31 characters (it is a token label), CloudHSM's alphabet. */
export function usernameProblem(username: unknown): string | undefined {
  if (typeof username !== 'string' || !/^[a-zA-Z0-9_][a-zA-Z0-9_-]{0,30}$/.test(username)) {
    return 'A username has 1 to 31 characters: letters, digits, underscore and hyphen, not starting with a hyphen.';
  }
  if (username.toLowerCase().startsWith('coffer')) return 'Usernames starting with coffer are reserved.';
  return undefined;
}

export const isRole = (r: unknown): r is HsmUserRole => r === 'admin' || r === 'crypto-user';

const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32 } as const;

const scryptAsync = (password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT.keyLength, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (e, key) => (e ? reject(e) : resolve(key)));
  });

/** The scrypt hash of a password with a fresh 16-byte salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` matches `hash` (constant-time on the derived key); a malformed or absent hash never matches. */
export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  // A dummy derivation when there is no hash, so an unknown user costs the same time as a wrong password.
  const parts = (hash ?? '').split('$');
  const ok = parts.length === 6 && parts[0] === 'scrypt';
  const n = ok ? Number(parts[1]) : SCRYPT.N;
  const r = ok ? Number(parts[2]) : SCRYPT.r;
  const p = ok ? Number(parts[3]) : SCRYPT.p;
  if (!Number.isInteger(n) || n < 2 || n > 1 << 20 || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return false;
  const salt = ok ? Buffer.from(parts[4] as string, 'base64') : Buffer.alloc(16);
  const expected = ok ? Buffer.from(parts[5] as string, 'base64') : Buffer.alloc(SCRYPT.keyLength);
  const key = await scryptAsync(password, salt, n, r, p);
  return ok && expected.length === key.length && timingSafeEqual(key, expected);
}

/** The user with this name (usernames are case-sensitive, as CloudHSM's). */
export const userOf = (users: readonly HsmUserRecord[] | undefined, username: string): HsmUserRecord | undefined =>
  (users ?? []).find((u) => u.username === username);

/**
 * What a caller presenting HSM credentials `auth` may do (design §3.2): 'admin' when it is an
 * activated admin whose password matches, else why not. One message for every wrong part, so the
 * answer never tells which one was wrong.
 */
export async function checkAdmin(users: readonly HsmUserRecord[] | undefined, auth: { Username?: unknown; Role?: unknown; Password?: unknown } | undefined):
  Promise<{ ok: true; user: HsmUserRecord } | { ok: false; reason: string }> {
  const denied = { ok: false as const, reason: 'The HSM credentials are not valid for an admin of this cluster.' };
  const username = typeof auth?.Username === 'string' ? auth.Username : '';
  const password = typeof auth?.Password === 'string' ? auth.Password : '';
  const user = userOf(users, username);
  const matches = await verifyPassword(password, user?.passwordHash);
  if (!matches || user === undefined || user.role !== 'admin' || auth?.Role !== 'admin') return denied;
  return { ok: true, user };
}
