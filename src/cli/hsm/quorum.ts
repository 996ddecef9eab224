/**
 * `coffer hsm quorum token-sign …` and `coffer hsm user change-quorum token-sign register`: quorum
 * (M of N) in cloudhsm-cli's shape (design/hsm-tier.md §3.4–§3.5), over the data plane's quorum
 * operations (operations/cloudhsm/hsm-quorum-plane.ts). Logged in through CLOUDHSM_ROLE and
 * CLOUDHSM_PIN.
 *
 *   quorum token-sign generate --service registration --token F
 *   quorum token-sign generate --service user --token F --operation user-create|user-delete|user-change-password --username U [--role R]
 *   quorum token-sign generate --service quorum --token F --operation set-quorum-value --for-service S --value M
 *   quorum token-sign generate --service quorum --token F --operation set-timeout --seconds N
 *   quorum token-sign list | list-quorum-values | list-timeouts                      (no login)
 *   quorum token-sign delete --scope user|all                                       (all: admins)
 *   quorum token-sign set-quorum-value --service user|quorum|cluster --value M [--approval F]
 *   quorum token-sign set-timeout --seconds N [--approval F]
 *   user change-quorum token-sign register --public-key PEM_FILE --signed-token F
 *
 * A token is bound to the command it approves and its parameters (Coffer's `--operation`, not in
 * cloudhsm-cli, whose tokens approve any command of the service). Approvers sign the token's
 * `unsigned` value offline:
 *   jq -r '.tokens[0].unsigned' F | base64 -d > u.bin
 *   openssl pkeyutl -sign -inkey key.pem -pkeyopt digest:sha256 -in u.bin | base64 -w0
 * and the approval file is the token file with one entry per approver (`username`, `signed`).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { call, CliProblem, hsmCredentials, need, ok, parseOptions, type Env, type HsmCliResult } from './client.ts';

/** A token or approval file is small: read at most this many bytes. */
const MAX_FILE = 64 * 1024;

/** A JSON file given on the command line (a token or approval file), bounded in size. */
export function readJsonFile(path: string, what: string): unknown {
  let size: number;
  try { size = statSync(path).size; } catch { throw new CliProblem(`cannot read the ${what} file ${path}`); }
  if (size > MAX_FILE) throw new CliProblem(`the ${what} file ${path} is larger than ${MAX_FILE} bytes`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    throw new CliProblem(`the ${what} file ${path} is not JSON`);
  }
}

/** `{Approval}` from `--approval FILE` when given. */
export const approvalOf = (o: Map<string, string>): { Approval?: unknown } => {
  const f = o.get('approval');
  return f === undefined ? {} : { Approval: readJsonFile(f, 'approval') };
};

/** cloudhsm-cli's command names → the data plane's operations a token can approve. */
const OPERATIONS: Readonly<Record<string, string>> = {
  'user-create': 'CreateUser', 'user-delete': 'DeleteUser', 'user-change-password': 'ChangePassword',
  'set-quorum-value': 'SetQuorumValue', 'set-timeout': 'SetQuorumTimeout',
};

const intOf = (v: string, name: string): number => {
  if (!/^[0-9]{1,6}$/.test(v)) throw new CliProblem(`--${name} must be a whole number`);
  return Number(v);
};

const COMMON = ['cluster-id', 'endpoint-url'];

export const QUORUM_COMMANDS = 'quorum token-sign generate|delete|list|list-quorum-values|set-quorum-value|list-timeouts|set-timeout, user change-quorum token-sign register';

/** Runs a quorum command (args after `hsm`), or answers undefined when `args` is not one. */
export async function runQuorumCommand(args: readonly string[], env: Env, endpointOf: (o: Map<string, string>) => string): Promise<HsmCliResult | undefined> {
  const [group, sub, verb, ...rest] = args;
  if (group === 'user' && sub === 'change-quorum' && verb === 'token-sign' && rest[0] === 'register') {
    const o = parseOptions(rest.slice(1), [...COMMON, 'public-key', 'signed-token']);
    const auth = hsmCredentials(env);
    let pem: string;
    try { pem = readFileSync(need(o, 'public-key'), 'utf8').slice(0, MAX_FILE); } catch { throw new CliProblem(`cannot read the public key file ${o.get('public-key') ?? ''}`); }
    await call(env, endpointOf(o), 'RegisterQuorumKey', {
      ClusterId: need(o, 'cluster-id'), Auth: auth, PublicKey: pem, SignedToken: readJsonFile(need(o, 'signed-token'), 'signed token'),
    });
    return ok({ username: auth.Username, role: auth.Role });
  }
  if (group !== 'quorum' || sub !== 'token-sign') return undefined;
  if (verb === 'generate') {
    const o = parseOptions(rest, [...COMMON, 'service', 'token', 'operation', 'username', 'role', 'for-service', 'value', 'seconds']);
    const auth = hsmCredentials(env);
    const service = need(o, 'service');
    const input: Record<string, unknown> = { ClusterId: need(o, 'cluster-id'), Auth: auth, Service: service };
    const path = need(o, 'token');
    if (service !== 'registration') {
      const op = need(o, 'operation');
      const operation = OPERATIONS[op];
      if (operation === undefined) throw new CliProblem(`--operation must be one of ${Object.keys(OPERATIONS).join(', ')}`);
      const value = o.get('value');
      const seconds = o.get('seconds');
      input.Operation = operation;
      input.Parameters = {
        Username: o.get('username'), Role: o.get('role'), Service: o.get('for-service'),
        ...(value !== undefined ? { Value: intOf(value, 'value') } : {}), ...(seconds !== undefined ? { Seconds: intOf(seconds, 'seconds') } : {}),
      };
    }
    const out = await call(env, endpointOf(o), 'GenerateQuorumToken', input);
    try { writeFileSync(path, `${JSON.stringify(out.Token, null, 2)}\n`, { mode: 0o600 }); } catch { throw new CliProblem(`cannot write the token file ${path}`); }
    return ok({ path, 'token-id': out.TokenId, 'token-timeout-seconds': out.ExpiresInSeconds });
  }
  if (verb === 'list-quorum-values') {
    const o = parseOptions(rest, COMMON);
    const out = await call(env, endpointOf(o), 'ListQuorumValues', { ClusterId: need(o, 'cluster-id') });
    return ok(out.Values);
  }
  if (verb === 'list-timeouts') {
    const o = parseOptions(rest, COMMON);
    const out = await call(env, endpointOf(o), 'ListQuorumTimeouts', { ClusterId: need(o, 'cluster-id') });
    return ok({ 'generated-token-timeout-seconds': out.GeneratedTokenTimeoutSeconds });
  }
  if (verb === 'list') {
    const o = parseOptions(rest, COMMON);
    const out = await call(env, endpointOf(o), 'ListQuorumTokens', { ClusterId: need(o, 'cluster-id') });
    const tokens = (Array.isArray(out.Tokens) ? out.Tokens as Record<string, unknown>[] : []).map((t) => ({
      username: t.Username, service: t.Service, operation: t.Operation, 'approvals-required': t.ApprovalsRequired,
      'token-timeout-seconds': t.TokenTimeoutSeconds, 'cluster-coverage': 'full',
    }));
    return ok({ tokens });
  }
  if (verb === 'delete') {
    const o = parseOptions(rest, [...COMMON, 'scope']);
    const auth = hsmCredentials(env);
    const out = await call(env, endpointOf(o), 'DeleteQuorumTokens', { ClusterId: need(o, 'cluster-id'), Auth: auth, Scope: need(o, 'scope') });
    return ok({ 'deleted-tokens': out.Deleted });
  }
  if (verb === 'set-quorum-value') {
    const o = parseOptions(rest, [...COMMON, 'service', 'value', 'approval']);
    const auth = hsmCredentials(env);
    await call(env, endpointOf(o), 'SetQuorumValue', {
      ClusterId: need(o, 'cluster-id'), Auth: auth, Service: need(o, 'service'), Value: intOf(need(o, 'value'), 'value'), ...approvalOf(o),
    });
    return ok('Set quorum value successful');
  }
  if (verb === 'set-timeout') {
    const o = parseOptions(rest, [...COMMON, 'seconds', 'approval']);
    const auth = hsmCredentials(env);
    await call(env, endpointOf(o), 'SetQuorumTimeout', { ClusterId: need(o, 'cluster-id'), Auth: auth, Seconds: intOf(need(o, 'seconds'), 'seconds'), ...approvalOf(o) });
    return ok('Set token timeout successful');
  }
  return undefined;
}
