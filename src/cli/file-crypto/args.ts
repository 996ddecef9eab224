/**
 * The options of `coffer encrypt|decrypt`, parsed and checked at the edge: `--name value` or
 * `--name=value`, `--context` and `--key-id` repeatable, `-h`/`--help` anywhere.
 */

export class UsageError extends Error {}

export interface Parsed {
  readonly help: boolean;
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

const VALUE_OPTIONS = ['--in', '--out', '--key-id', '--context', '--frame-length', '--endpoint-url', '--region', '--profile'] as const;
type ValueOption = typeof VALUE_OPTIONS[number];
const isValueOption = (a: string): a is ValueOption => (VALUE_OPTIONS as readonly string[]).includes(a);

/** The ESDK reserves context names with this prefix for itself (the signed suite's public key). */
const RESERVED_PREFIX = 'aws-crypto-';

export function parseArgs(command: 'encrypt' | 'decrypt', args: readonly string[]): Parsed {
  if (args.includes('--help') || args.includes('-h')) return { ...defaults(), help: true };
  const values = new Map<ValueOption, string[]>();
  let signed = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (command === 'encrypt' && name === '--signed' && eq < 0) { signed = true; continue; }
    if (!isValueOption(name) || (command === 'decrypt' && (name === '--frame-length'))) throw new UsageError(`unknown option ${arg}`);
    const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const once = (name: ValueOption): string | undefined => {
    const v = values.get(name) ?? [];
    if (v.length > 1) throw new UsageError(`${name} may be given once`);
    return v[0];
  };
  const keyIds = values.get('--key-id') ?? [];
  if (command === 'encrypt' && keyIds.length === 0) throw new UsageError('encrypt needs --key-id <key id, key ARN, alias name or alias ARN>');
  if (keyIds.some((k) => k === '')) throw new UsageError('--key-id needs a value');
  const context: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of values.get('--context') ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--context takes name=value, got '${pair}'`);
    const [k, v] = [pair.slice(0, at), pair.slice(at + 1)];
    if (k in context) throw new UsageError(`--context ${k} is given twice`);
    if (command === 'encrypt' && k.startsWith(RESERVED_PREFIX)) throw new UsageError(`--context names starting with ${RESERVED_PREFIX} are reserved by the Encryption SDK`);
    context[k] = v;
  }
  const frame = once('--frame-length');
  const frameLength = frame === undefined ? defaults().frameLength : Number(frame);
  if (!Number.isSafeInteger(frameLength) || frameLength < 1 || frameLength > 64 * 1024 * 1024) throw new UsageError('--frame-length must be a whole number of bytes from 1 to 67108864');
  const endpointUrl = once('--endpoint-url');
  if (endpointUrl !== undefined && !URL.canParse(endpointUrl)) throw new UsageError(`--endpoint-url must be a URL such as http://127.0.0.1:8400, got '${endpointUrl}'`);
  return {
    help: false, in: once('--in') ?? '-', out: once('--out') ?? '-', keyIds, context, signed, frameLength,
    endpointUrl, region: once('--region'), profile: once('--profile'),
  };
}

function defaults(): Parsed {
  return { help: false, in: '-', out: '-', keyIds: [], context: {}, signed: false, frameLength: 1024 * 1024, endpointUrl: undefined, region: undefined, profile: undefined };
}
