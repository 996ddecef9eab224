/**
 * The options of `coffer encrypt|decrypt` as commander parsed them (commands/file-crypto.ts),
 * checked at the edge: one --key-id at least to encrypt, --context pairs, the frame length.
 */
import { UsageError } from '../commands/action.ts';

export { UsageError };

export interface Parsed {
  readonly in: string;
  readonly out: string;
  readonly keyIds: readonly string[];
  readonly context: Readonly<Record<string, string>>;
  readonly signed: boolean;
  readonly frameLength: number;
  readonly endpointUrl: string | undefined;
  readonly region: string | undefined;
  readonly profile: string | undefined;
}

/** What commander parsed (repeatable options collected, values unchecked). */
export interface RawOptions {
  readonly in?: string | undefined;
  readonly out?: string | undefined;
  readonly keyId?: readonly string[] | undefined;
  readonly context?: readonly string[] | undefined;
  readonly signed?: boolean | undefined;
  readonly frameLength?: string | undefined;
  readonly endpointUrl?: string | undefined;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
}

/** The ESDK reserves context names with this prefix for itself (the signed suite's public key). */
const RESERVED_PREFIX = 'aws-crypto-';

export const DEFAULT_FRAME_LENGTH = 1024 * 1024;

export function checkOptions(command: 'encrypt' | 'decrypt', raw: RawOptions): Parsed {
  const keyIds = raw.keyId ?? [];
  if (command === 'encrypt' && keyIds.length === 0) throw new UsageError('encrypt needs --key-id <key id, key ARN, alias name or alias ARN>');
  if (keyIds.some((k) => k === '')) throw new UsageError('--key-id needs a value');
  const context: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of raw.context ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--context takes name=value, got '${pair}'`);
    const [k, v] = [pair.slice(0, at), pair.slice(at + 1)];
    if (k in context) throw new UsageError(`--context ${k} is given twice`);
    if (command === 'encrypt' && k.startsWith(RESERVED_PREFIX)) throw new UsageError(`--context names starting with ${RESERVED_PREFIX} are reserved by the Encryption SDK`);
    context[k] = v;
  }
  const frameLength = raw.frameLength === undefined ? DEFAULT_FRAME_LENGTH : Number(raw.frameLength);
  if (!Number.isSafeInteger(frameLength) || frameLength < 1 || frameLength > 64 * 1024 * 1024) throw new UsageError('--frame-length must be a whole number of bytes from 1 to 67108864');
  return {
    in: raw.in ?? '-', out: raw.out ?? '-', keyIds, context, signed: raw.signed === true, frameLength,
    endpointUrl: raw.endpointUrl, region: raw.region, profile: raw.profile,
  };
}
