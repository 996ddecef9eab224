/**
 * `coffer hsm …`: a client of the Coffer HSM data plane (CofferHsmService, operations/cloudhsm/
 * hsm-data-plane.ts) in the shape of AWS's cloudhsm-cli single-command mode (design/hsm-tier.md
 * §3.5). Output is cloudhsm-cli's JSON: `{"error_code":0,"data":…}`, a failure
 * `{"error_code":1,"data":"<message>"}` with exit status 1.
 *
 *   coffer hsm cluster activate --cluster-id C --password P --endpoint-url E
 *   CLOUDHSM_ROLE=admin CLOUDHSM_PIN=admin:PW coffer hsm user create --cluster-id C --username U --role crypto-user --password X --endpoint-url E
 *   coffer hsm user list --cluster-id C --endpoint-url E
 *   CLOUDHSM_ROLE=… CLOUDHSM_PIN=user:PW coffer hsm user change-password --cluster-id C --username U --role crypto-user --password NEW --endpoint-url E
 *   CLOUDHSM_ROLE=admin CLOUDHSM_PIN=admin:PW coffer hsm user delete --cluster-id C --username U --role crypto-user --endpoint-url E
 *   (user create, delete and change-password take --approval FILE when the user service's quorum is above 1)
 *   coffer hsm quorum token-sign … / user change-quorum token-sign register … (quorum.ts)
 *   CLOUDHSM_ROLE=crypto-user CLOUDHSM_PIN=cu:PW coffer hsm key … / crypto sign|verify … (keys.ts)
 *
 * AWS credentials and region as the AWS CLI reads them: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, else the AWS_PROFILE (default) profile of ~/.aws/credentials (or
 * AWS_SHARED_CREDENTIALS_FILE); AWS_REGION, AWS_DEFAULT_REGION, else the profile's region in
 * ~/.aws/config, else us-east-1. The endpoint is --endpoint-url, else AWS_ENDPOINT_URL. Requests
 * are SigV4-signed for the service `cloudhsm`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { KEY_COMMANDS, runKeyCommand } from './keys.ts';
import { approvalOf, QUORUM_COMMANDS, runQuorumCommand } from './quorum.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface HsmCliResult {
  readonly exitCode: number;
  readonly output: string;
}

export class CliProblem extends Error {}

export const ok = (data: unknown): HsmCliResult => ({ exitCode: 0, output: JSON.stringify({ error_code: 0, data }, null, 2) });
const failed = (message: string): HsmCliResult => ({ exitCode: 1, output: JSON.stringify({ error_code: 1, data: message }, null, 2) });

/** `--name value` options; every option of these commands takes a value. */
export function parseOptions(args: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('--') || !known.includes(a.slice(2))) throw new CliProblem(`unexpected argument '${a}' (known options: ${known.map((k) => `--${k}`).join(', ')})`);
    const v = args[++i];
    if (v === undefined) throw new CliProblem(`${a} needs a value`);
    out.set(a.slice(2), v);
  }
  return out;
}

export const need = (o: Map<string, string>, name: string): string => {
  const v = o.get(name);
  if (v === undefined || v === '') throw new CliProblem(`the following required argument was not provided: --${name}`);
  return v;
};

/** An INI file's sections (the AWS CLI's credentials and config files); missing file: none. */
function ini(path: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return out; }
  let section: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (head !== null) { section = new Map(); out.set(head[1] as string, section); continue; }
    const eq = line.indexOf('=');
    if (eq > 0 && section !== undefined) section.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

interface AwsSettings {
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  readonly region: string;
}

export function awsSettings(env: Env): AwsSettings {
  const profile = env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE ?? 'default';
  const home = env.HOME ?? homedir();
  const config = ini(env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config')).get(profile === 'default' ? 'default' : `profile ${profile}`);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? config?.get('region') ?? 'us-east-1';
  if (env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SECRET_ACCESS_KEY !== undefined) {
    return {
      region,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN !== undefined ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) },
    };
  }
  const file = ini(env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials')).get(profile);
  const accessKeyId = file?.get('aws_access_key_id');
  const secretAccessKey = file?.get('aws_secret_access_key');
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new CliProblem('no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials');
  }
  const sessionToken = file?.get('aws_session_token');
  return { region, credentials: { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) } };
}

/** The HSM credentials of CLOUDHSM_ROLE and CLOUDHSM_PIN (`user:password`), as cloudhsm-cli reads them. */
export function hsmCredentials(env: Env): { Username: string; Role: string; Password: string } {
  const role = env.CLOUDHSM_ROLE;
  const pin = env.CLOUDHSM_PIN;
  if (role === undefined || role === '' || pin === undefined || pin === '') {
    throw new CliProblem('this command needs an HSM login: set CLOUDHSM_ROLE (admin or crypto-user) and CLOUDHSM_PIN (<username>:<password>)');
  }
  if (role !== 'admin' && role !== 'crypto-user') throw new CliProblem(`CLOUDHSM_ROLE must be admin or crypto-user, not '${role}'`);
  const colon = pin.indexOf(':');
  if (colon <= 0 || colon === pin.length - 1) throw new CliProblem('CLOUDHSM_PIN must be <username>:<password>');
  return { Username: pin.slice(0, colon), Role: role, Password: pin.slice(colon + 1) };
}

/** One signed CofferHsmService call; answers the JSON body or throws with the service's message. */
export async function call(env: Env, endpoint: string, operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { credentials, region } = awsSettings(env);
  let url: URL;
  try { url = new URL(endpoint); } catch { throw new CliProblem(`invalid --endpoint-url '${endpoint}'`); }
  const body = JSON.stringify(input);
  const signer = new SignatureV4({ service: 'cloudhsm', region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST', protocol: url.protocol, hostname: url.hostname, ...(url.port !== '' ? { port: Number(url.port) } : {}),
    path: url.pathname === '' ? '/' : url.pathname, query: {},
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `CofferHsmService.${operation}` },
    body,
  });
  let response: Response;
  try {
    response = await fetch(new URL(url.pathname === '' ? '/' : url.pathname, url), { method: 'POST', headers: signed.headers, body });
  } catch (e) {
    throw new CliProblem(`could not reach ${endpoint}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try { json = text === '' ? {} : JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    const type = typeof json.__type === 'string' ? json.__type.split('#').pop() : `HTTP ${response.status}`;
    const message = typeof json.message === 'string' ? json.message : typeof json.Message === 'string' ? json.Message : text.slice(0, 300);
    throw new CliProblem(`${type}: ${message}`);
  }
  return json;
}

interface UserOut { Username?: string; Role?: string; Locked?: boolean; ClusterCoverage?: string; QuorumKeyRegistered?: boolean }

const COMMON = ['cluster-id', 'endpoint-url'];

/** Runs `hsm <args>` (args after `hsm`). */
export async function runHsmCli(args: readonly string[], env: Env): Promise<HsmCliResult> {
  const [group, command, ...rest] = args;
  try {
    const endpointOf = (o: Map<string, string>): string => {
      const e = o.get('endpoint-url') ?? env.AWS_ENDPOINT_URL;
      if (e === undefined || e === '') throw new CliProblem('the following required argument was not provided: --endpoint-url (or AWS_ENDPOINT_URL)');
      return e;
    };
    if (group === 'cluster' && command === 'activate') {
      const o = parseOptions(rest, [...COMMON, 'password']);
      await call(env, endpointOf(o), 'ActivateCluster', { ClusterId: need(o, 'cluster-id'), Password: need(o, 'password') });
      return ok('Cluster activation successful');
    }
    if (group === 'user' && command === 'list') {
      const o = parseOptions(rest, COMMON);
      const out = await call(env, endpointOf(o), 'ListUsers', { ClusterId: need(o, 'cluster-id') });
      const users = (Array.isArray(out.Users) ? out.Users as UserOut[] : []).map((u) => ({
        username: u.Username, role: u.Role, locked: String(u.Locked ?? false), mfa: [],
        quorum: u.QuorumKeyRegistered === true ? [{ strategy: 'token-sign', status: 'enabled' }] : [], 'cluster-coverage': u.ClusterCoverage ?? 'full',
      }));
      return ok({ users });
    }
    if (group === 'user' && command === 'create') {
      const o = parseOptions(rest, [...COMMON, 'username', 'role', 'password', 'approval']);
      const auth = hsmCredentials(env);
      const out = await call(env, endpointOf(o), 'CreateUser', {
        ClusterId: need(o, 'cluster-id'), Username: need(o, 'username'), Role: need(o, 'role'), Password: need(o, 'password'), Auth: auth, ...approvalOf(o),
      });
      return ok({ username: out.Username, role: out.Role });
    }
    if (group === 'user' && command === 'change-password') {
      const o = parseOptions(rest, [...COMMON, 'username', 'role', 'password', 'approval']);
      const auth = hsmCredentials(env);
      const out = await call(env, endpointOf(o), 'ChangePassword', {
        ClusterId: need(o, 'cluster-id'), Username: need(o, 'username'), Role: need(o, 'role'), Password: need(o, 'password'), Auth: auth, ...approvalOf(o),
      });
      return ok({ username: out.Username, role: out.Role });
    }
    if (group === 'user' && command === 'delete') {
      const o = parseOptions(rest, [...COMMON, 'username', 'role', 'approval']);
      const auth = hsmCredentials(env);
      const out = await call(env, endpointOf(o), 'DeleteUser', { ClusterId: need(o, 'cluster-id'), Username: need(o, 'username'), Auth: auth, ...approvalOf(o) });
      return ok({ username: out.Username, role: out.Role });
    }
    if (group === 'quorum' || (group === 'user' && command === 'change-quorum')) {
      const out = await runQuorumCommand(args, env, endpointOf);
      if (out !== undefined) return out;
    }
    if (group === 'key' || group === 'crypto' || (group === 'cluster' && command === 'pkcs11-uris')) {
      const out = await runKeyCommand(group, command ?? '', rest, env, endpointOf);
      if (out !== undefined) return out;
    }
    return failed(`unknown command: hsm ${args.join(' ').slice(0, 200)} (commands: cluster activate|pkcs11-uris, user create|list|change-password|delete, ${QUORUM_COMMANDS}, ${KEY_COMMANDS})`);
  } catch (e) {
    return failed(e instanceof Error ? e.message : String(e));
  }
}
