/**
 * `coffer hsm key …` and `coffer hsm crypto sign|verify …`: crypto users' keys in cloudhsm-cli's
 * argument and output shape (design/hsm-tier.md §3.5), over the data plane's key operations
 * (operations/cloudhsm/hsm-key-plane.ts). Logged in through CLOUDHSM_ROLE and CLOUDHSM_PIN.
 *
 *   key generate-symmetric aes|generic-secret --label L --key-length-bytes N [--attributes K=V…] [--share-crypto-users U…]
 *   key generate-asymmetric-pair rsa --public-label L --private-label L --modulus-size-bits N [--public-exponent E] [--public-attributes K=V…] [--private-attributes K=V…] [--share-crypto-users U…]
 *   key generate-asymmetric-pair ec --public-label L --private-label L --curve secp256r1|secp384r1|secp521r1 […]
 *   key list [--filter key-reference=0x…|attr.NAME=VALUE…] [--max-items N] [--verbose]
 *   key delete --filter …          key set-attribute --filter … --name N --value V
 *   key share|unshare --filter … --username U --role crypto-user
 *   crypto sign rsa-pkcs|ecdsa --key-filter … --hash-function sha256|sha384|sha512 --data B64|--data-path F
 *   key wrap aes-no-pad|rsa-oaep --payload-filter … --wrapping-filter … [--path F]
 *   key unwrap aes-no-pad|rsa-oaep --filter … --data B64|--data-path F --key-type-class aes|generic-secret --label L [--attributes K=V…]
 *   cluster pkcs11-uris             (the caller's partitions, one PKCS#11 URI per ACTIVE HSM)
 *   crypto verify rsa-pkcs|ecdsa --key-filter … --hash-function … --data B64|--data-path F --signature B64|--signature-path F
 *
 * Data and signatures are base64 (files are read as bytes); ECDSA signatures are r||s, as cloudhsm-cli writes them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { call, CliProblem, hsmCredentials, ok, type Env, type HsmCliResult } from './client.ts';

export const KEY_COMMANDS = 'key generate-symmetric|generate-asymmetric-pair|list|delete|set-attribute|share|unshare|wrap|unwrap, crypto sign|verify';

type Kind = 'one' | 'many' | 'flag';

/** `--name value`, `--name v1 v2 …` (until the next option) and `--flag`, as cloudhsm-cli takes them. */
function parse(args: readonly string[], spec: Readonly<Record<string, Kind>>): Map<string, string | string[] | true> {
  const out = new Map<string, string | string[] | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const name = a.slice(2);
    const kind = a.startsWith('--') ? spec[name] : undefined;
    if (kind === undefined) throw new CliProblem(`unexpected argument '${a.slice(0, 80)}' (known options: ${Object.keys(spec).map((k) => `--${k}`).join(', ')})`);
    if (out.has(name)) throw new CliProblem(`--${name} is given twice`);
    if (kind === 'flag') { out.set(name, true); continue; }
    const values: string[] = [];
    while (i + 1 < args.length && !(args[i + 1] ?? '').startsWith('--')) values.push(args[++i] as string);
    if (values.length === 0) throw new CliProblem(`--${name} needs a value`);
    if (kind === 'one' && values.length > 1) throw new CliProblem(`--${name} takes one value`);
    out.set(name, kind === 'one' ? values[0] as string : values);
  }
  return out;
}

const one = (o: Map<string, unknown>, name: string): string | undefined => o.get(name) as string | undefined;
const need = (o: Map<string, unknown>, name: string): string => {
  const v = one(o, name);
  if (v === undefined || v === '') throw new CliProblem(`the following required argument was not provided: --${name}`);
  return v;
};
const many = (o: Map<string, unknown>, name: string): string[] => (o.get(name) as string[] | undefined) ?? [];
const needMany = (o: Map<string, unknown>, name: string): string[] => {
  const v = many(o, name);
  if (v.length === 0) throw new CliProblem(`the following required argument was not provided: --${name}`);
  return v;
};
function int(o: Map<string, unknown>, name: string, required: boolean): number | undefined {
  const v = required ? need(o, name) : one(o, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v)) throw new CliProblem(`--${name} is a number, not '${v.slice(0, 40)}'`);
  return Number(v);
}

/** Bytes of `--NAME` (base64) or `--NAME-path` (a file), one of them required. */
function bytesOf(o: Map<string, unknown>, name: string): string {
  const inline = one(o, name);
  const path = one(o, `${name}-path`);
  if ((inline === undefined) === (path === undefined)) throw new CliProblem(`give one of --${name} (base64) and --${name}-path (a file)`);
  if (inline !== undefined) return inline;
  try {
    return readFileSync(path as string).toString('base64');
  } catch (e) {
    throw new CliProblem(`cannot read --${name}-path: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

const COMMON: Readonly<Record<string, Kind>> = { 'cluster-id': 'one', 'endpoint-url': 'one' };

/** Runs `key …` or `crypto …`; undefined for a command it does not know. */
export async function runKeyCommand(group: 'key' | 'crypto' | 'cluster', command: string, rest: readonly string[], env: Env,
  endpointOf: (o: Map<string, string>) => string): Promise<HsmCliResult | undefined> {
  const run = async (spec: Readonly<Record<string, Kind>>, operation: string, args: readonly string[], input: (o: Map<string, unknown>) => Record<string, unknown>) => {
    const o = parse(args, { ...COMMON, ...spec });
    const body = input(o);
    const auth = hsmCredentials(env);
    return call(env, endpointOf(o as Map<string, string>), operation, { ClusterId: need(o, 'cluster-id'), ...body, Auth: auth });
  };
  const [kind, ...args] = rest;
  if (group === 'key' && command === 'generate-symmetric' && (kind === 'aes' || kind === 'generic-secret')) {
    const out = await run({ label: 'one', 'key-length-bytes': 'one', attributes: 'many', 'share-crypto-users': 'many' }, 'GenerateSymmetricKey', args, (o) => ({
      KeyType: kind, Label: need(o, 'label'), KeyLengthBytes: int(o, 'key-length-bytes', true), Attributes: many(o, 'attributes'), ShareCryptoUsers: many(o, 'share-crypto-users'),
    }));
    return ok({ key: out.Key });
  }
  if (group === 'key' && command === 'generate-asymmetric-pair' && (kind === 'rsa' || kind === 'ec')) {
    const spec: Record<string, Kind> = { 'public-label': 'one', 'private-label': 'one', 'public-attributes': 'many', 'private-attributes': 'many', 'share-crypto-users': 'many',
      ...(kind === 'rsa' ? { 'modulus-size-bits': 'one', 'public-exponent': 'one' } : { curve: 'one' }) };
    const out = await run(spec, 'GenerateKeyPair', args, (o) => ({
      KeyType: kind, PublicLabel: need(o, 'public-label'), PrivateLabel: need(o, 'private-label'),
      PublicAttributes: many(o, 'public-attributes'), PrivateAttributes: many(o, 'private-attributes'), ShareCryptoUsers: many(o, 'share-crypto-users'),
      ...(kind === 'rsa'
        ? { ModulusSizeBits: int(o, 'modulus-size-bits', true), ...(one(o, 'public-exponent') !== undefined ? { PublicExponent: int(o, 'public-exponent', false) } : {}) }
        : { Curve: need(o, 'curve') }),
    }));
    return ok({ public_key: out.PublicKey, private_key: out.PrivateKey });
  }
  if (group === 'cluster' && command === 'pkcs11-uris') {
    const out = await run({}, 'Pkcs11Uris', rest, () => ({}));
    const uris = Array.isArray(out.Uris) ? out.Uris as Record<string, unknown>[] : [];
    return ok({ uris: uris.map((u) => ({ 'hsm-id': u.HsmId, 'availability-zone': u.AvailabilityZone, uri: u.Uri })) });
  }
  if (group === 'key' && command === 'wrap' && (kind === 'aes-no-pad' || kind === 'rsa-oaep')) {
    let path: string | undefined;
    const out = await run({ 'payload-filter': 'many', 'wrapping-filter': 'many', 'hash-function': 'one', mgf: 'one', path: 'one' }, 'WrapKey', args, (o) => {
      path = one(o, 'path');
      return {
        Mechanism: kind, PayloadFilter: needMany(o, 'payload-filter'), WrappingFilter: needMany(o, 'wrapping-filter'),
        ...(one(o, 'hash-function') !== undefined ? { HashFunction: one(o, 'hash-function') } : {}), ...(one(o, 'mgf') !== undefined ? { Mgf: one(o, 'mgf') } : {}),
      };
    });
    const refs = { payload_key_reference: out.PayloadKeyReference, wrapping_key_reference: out.WrappingKeyReference };
    if (path === undefined) return ok({ ...refs, wrapped_key_data: out.WrappedKeyData });
    writeFileSync(path, Buffer.from(String(out.WrappedKeyData), 'base64'), { mode: 0o600 });
    return ok(refs);
  }
  if (group === 'key' && command === 'unwrap' && (kind === 'aes-no-pad' || kind === 'rsa-oaep')) {
    const out = await run({ filter: 'many', data: 'one', 'data-path': 'one', 'key-type-class': 'one', label: 'one', attributes: 'many', 'hash-function': 'one', mgf: 'one' }, 'UnwrapKey', args, (o) => ({
      Mechanism: kind, Filter: needMany(o, 'filter'), Data: bytesOf(o, 'data'), KeyTypeClass: need(o, 'key-type-class'), Label: need(o, 'label'), Attributes: many(o, 'attributes'),
      ...(one(o, 'hash-function') !== undefined ? { HashFunction: one(o, 'hash-function') } : {}), ...(one(o, 'mgf') !== undefined ? { Mgf: one(o, 'mgf') } : {}),
    }));
    return ok({ key: out.Key });
  }
  if (group === 'key' && (command === 'wrap' || command === 'unwrap') && kind !== undefined && !kind.startsWith('--')) {
    throw new CliProblem(`key ${command} ${kind.slice(0, 40)} is not offered: SoftHSM, Coffer's HSM, wraps through Coffer with aes-no-pad and rsa-oaep only`);
  }
  const filtered = (extra: Record<string, Kind>) => ({ filter: 'many' as Kind, ...extra });
  if (group === 'key' && command === 'list') {
    const out = await run({ filter: 'many', 'max-items': 'one', verbose: 'flag' }, 'ListKeys', rest, (o) => ({
      Filter: many(o, 'filter'), Verbose: o.get('verbose') === true, MaxItems: int(o, 'max-items', false) ?? 10_000,
    }));
    const keys = Array.isArray(out.Keys) ? out.Keys : [];
    return ok({ matched_keys: keys, total_key_count: out.TotalKeyCount, returned_key_count: keys.length });
  }
  if (group === 'key' && command === 'delete') {
    await run(filtered({}), 'DeleteKey', rest, (o) => ({ Filter: needMany(o, 'filter') }));
    return ok({ message: 'Key deleted successfully' });
  }
  if (group === 'key' && command === 'set-attribute') {
    await run(filtered({ name: 'one', value: 'one' }), 'SetKeyAttribute', rest, (o) => ({ Filter: needMany(o, 'filter'), Name: need(o, 'name'), Value: need(o, 'value') }));
    return ok({ message: 'Attribute set successfully' });
  }
  if (group === 'key' && (command === 'share' || command === 'unshare')) {
    await run(filtered({ username: 'one', role: 'one' }), command === 'share' ? 'ShareKey' : 'UnshareKey', rest, (o) => ({
      Filter: needMany(o, 'filter'), Username: need(o, 'username'), Role: need(o, 'role'),
    }));
    return ok({ message: `Key ${command}d successfully` });
  }
  if (group === 'crypto' && (command === 'sign' || command === 'verify') && (kind === 'rsa-pkcs' || kind === 'ecdsa')) {
    const spec: Record<string, Kind> = { 'key-filter': 'many', 'hash-function': 'one', data: 'one', 'data-path': 'one', 'data-type': 'one',
      ...(command === 'verify' ? { signature: 'one', 'signature-path': 'one' } : {}) };
    const out = await run(spec, command === 'sign' ? 'Sign' : 'Verify', args, (o) => {
      if ((one(o, 'data-type') ?? 'raw') !== 'raw') throw new CliProblem('--data-type digest is not offered by Coffer: give the raw data');
      return {
        Filter: needMany(o, 'key-filter'), Mechanism: kind, HashFunction: need(o, 'hash-function'), Data: bytesOf(o, 'data'),
        ...(command === 'verify' ? { Signature: bytesOf(o, 'signature') } : {}),
      };
    });
    return ok(command === 'sign' ? { 'key-reference': out.KeyReference, signature: out.Signature } : { message: 'Signature verified successfully' });
  }
  if (group === 'crypto' && (command === 'sign' || command === 'verify') && ['rsa-pkcs-pss', 'ed25519', 'ed25519ph', 'ml-dsa'].includes(kind ?? '')) {
    throw new CliProblem(`crypto ${command} ${kind ?? ''} is not offered: SoftHSM, Coffer's HSM, has no such mechanism through Coffer (use rsa-pkcs or ecdsa)`);
  }
  return undefined;
}
