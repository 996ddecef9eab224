/**
 * Grants (reference §3.15): allow-only, per key, with optional encryption-context constraints.
 * Which grant operations a key accepts depends on its key usage. Grant tokens are opaque but
 * self-describing: they name the grant, so a token is usable the moment CreateGrant answers.
 */
import { randomBytes } from 'node:crypto';
import type { KeyRecord } from './key.ts';
import { capabilitiesOf } from './key-specs.ts';

export interface GrantConstraints {
  readonly EncryptionContextEquals?: Readonly<Record<string, string>>;
  readonly EncryptionContextSubset?: Readonly<Record<string, string>>;
}

export interface GrantRecord {
  readonly grantId: string;
  readonly keyArn: string;
  readonly name?: string;
  readonly creationDate: number;
  readonly granteePrincipal: string;
  readonly retiringPrincipal?: string;
  /** arn:aws:iam::<account>:root of the account that created the grant. */
  readonly issuingAccount: string;
  readonly operations: readonly string[];
  readonly constraints?: GrantConstraints;
}

const COMMON = ['CreateGrant', 'RetireGrant', 'DescribeKey'];
const BY_USAGE: Readonly<Record<string, readonly string[]>> = {
  SYMMETRIC: ['Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo',
    'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', ...COMMON],
  ENCRYPT_DECRYPT: ['Decrypt', 'Encrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey', ...COMMON],
  SIGN_VERIFY: ['Sign', 'Verify', 'GetPublicKey', ...COMMON],
  GENERATE_VERIFY_MAC: ['GenerateMac', 'VerifyMac', ...COMMON],
  KEY_AGREEMENT: ['DeriveSharedSecret', 'GetPublicKey', ...COMMON],
};

/** The grant operations a grant on `key` may allow. */
export function grantOperationsFor(key: Pick<KeyRecord, 'keySpec' | 'keyUsage'>): readonly string[] {
  return BY_USAGE[capabilitiesOf(key.keySpec).keyType === 'SYMMETRIC' ? 'SYMMETRIC' : key.keyUsage] ?? COMMON;
}

export const newGrantId = (): string => randomBytes(32).toString('hex');

const TOKEN_BYTES = 48;

/** A grant token: the grant id and a random nonce, so each CreateGrant answer carries a new token. */
export function newGrantToken(grantId: string): string {
  return Buffer.concat([Buffer.from(grantId, 'hex'), randomBytes(TOKEN_BYTES - 32)]).toString('base64url');
}

/** The grant id a token names, or undefined for anything that is not a Coffer grant token. */
export function grantIdOfToken(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const raw = Buffer.from(token, 'base64url');
  return raw.length === TOKEN_BYTES ? raw.subarray(0, 32).toString('hex') : undefined;
}
