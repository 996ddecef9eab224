/**
 * `coffer hsm …`: a client of the Coffer HSM data plane in the shape of AWS's cloudhsm-cli
 * single-command mode (hsm/client.ts: its JSON output, `{"error_code":0,"data":…}`, a failure
 * `{"error_code":1,"data":"<message>"}` with exit status 1). A required option left out is one of
 * those failures, as cloudhsm-cli reports it; an unknown option is a usage error (exit 2).
 */
import type { Command } from 'commander';
import { runHsmCli } from '../hsm/client.ts';
import { runInteractive } from '../hsm/interactive.ts';
import { act } from './action.ts';
import { clientOptions, withClientOptions } from './client-options.ts';

const LOGIN = 'Logs in as CLOUDHSM_ROLE (admin or crypto-user) with CLOUDHSM_PIN (<username>:<password>), as cloudhsm-cli does.';

const OPTIONS: Readonly<Record<string, string>> = {
  'cluster-id': 'the cluster, cluster-…',
  username: 'the HSM user',
  role: 'admin or crypto-user',
  password: 'the (new) password',
  approval: 'a quorum approval file: the token file signed by M approvers (when the user service\'s quorum is above 1)',
};

function hsmVerb(group: Command, name: string, description: string, options: readonly string[], login: boolean): void {
  const cmd = group.command(name).description(description);
  for (const o of options) cmd.option(`--${o} <${o === 'cluster-id' ? 'id' : o}>`, OPTIONS[o] ?? o);
  withClientOptions(cmd, { output: false });
  cmd.addHelpText('after', `\n${login ? `${LOGIN}\n` : ''}Prints cloudhsm-cli's JSON; exit status 0 done, 1 failed, 2 usage.`);
  act(cmd, async (c) => {
    const values = c.opts<Record<string, string | undefined>>();
    const shared = clientOptions(c, process.env, 'hsm');
    const args = [group.name(), name].filter((a) => a !== 'hsm');
    for (const o of options) {
      const v = values[o.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase())];
      if (v !== undefined) args.push(`--${o}`, v);
    }
    args.push('--endpoint-url', shared.endpointUrl);
    const env = {
      ...process.env,
      ...(shared.profile !== undefined ? { AWS_PROFILE: shared.profile } : {}),
      ...(shared.region !== undefined ? { AWS_REGION: shared.region } : {}),
    };
    const result = await runHsmCli(args, env);
    console.log(result.output);
    return result.exitCode;
  });
}

/** The environment `coffer hsm`'s client reads its profile and region from, with the command line's options applied. */
function hsmClientEnv(shared: ReturnType<typeof clientOptions>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...(shared.profile !== undefined ? { AWS_PROFILE: shared.profile } : {}),
    ...(shared.region !== undefined ? { AWS_REGION: shared.region } : {}),
  };
}

/**
 * A key or crypto verb: its options are cloudhsm-cli's (lists of values, flags), parsed by
 * hsm/keys.ts, which refuses an unknown one with cloudhsm-cli's JSON failure; commander takes only
 * the shared client options.
 */
function keyVerb(group: Command, name: string, usage: string, description: string, path: readonly string[] = [group.name()]): void {
  const cmd = group.command(name).description(description).argument('[arguments...]', usage)
    .allowUnknownOption().allowExcessArguments(true);
  withClientOptions(cmd, { output: false });
  cmd.addHelpText('after', `\n${LOGIN}\nUsage: coffer hsm ${path.join(' ')} ${name} ${usage}\nPrints cloudhsm-cli's JSON; exit status 0 done, 1 failed.`);
  act(cmd, async (c) => {
    const shared = clientOptions(c, process.env, 'hsm');
    const env = hsmClientEnv(shared);
    const result = await runHsmCli([...path, name, ...c.args, '--endpoint-url', shared.endpointUrl], env);
    console.log(result.output);
    return result.exitCode;
  });
}

function interactiveVerb(hsm: Command): void {
  const cmd = hsm.command('interactive').description('cloudhsm-cli\'s interactive mode: login, then commands (key …, crypto …, user …), logout, quit')
    .option('--cluster-id <id>', 'the cluster of every command that names none');
  withClientOptions(cmd, { output: false });
  act(cmd, async (c) => {
    const shared = clientOptions(c, process.env, 'hsm');
    const env = hsmClientEnv(shared);
    const clusterId = c.opts<{ clusterId?: string }>().clusterId;
    return runInteractive(process.stdin, process.stdout, env, { endpointUrl: shared.endpointUrl, ...(clusterId !== undefined ? { clusterId } : {}) });
  });
}

/** `coffer hsm quorum token-sign …` (hsm/quorum.ts). */
function quorumCommands(hsm: Command): void {
  const ts = hsm.command('quorum').description('quorum authentication (M of N)').command('token-sign').description('token-sign quorum: tokens signed offline by approvers');
  const path = ['quorum', 'token-sign'];
  const C = '--cluster-id <id>';
  keyVerb(ts, 'generate', `${C} --service registration|user|quorum --token <file> [--operation user-create|user-delete|user-change-password|set-quorum-value|set-timeout --username <u> --role <r> --for-service <s> --value <m> --seconds <n>]`, 'write a quorum token file for approvers to sign (bound to the command it approves)', path);
  keyVerb(ts, 'list', C, 'the live quorum tokens (no login)', path);
  keyVerb(ts, 'delete', `${C} --scope user|all`, 'delete your quorum tokens, or every token (all: admins)', path);
  keyVerb(ts, 'list-quorum-values', C, 'the quorum value M of each service (no login)', path);
  keyVerb(ts, 'set-quorum-value', `${C} --service user|quorum|cluster --value <1-8> [--approval <file>]`, 'set a service\'s quorum value (admins)', path);
  keyVerb(ts, 'list-timeouts', C, 'how long a new token is valid (no login)', path);
  keyVerb(ts, 'set-timeout', `${C} --seconds <n> [--approval <file>]`, 'set how long a new token is valid, 60-86400 s (admins)', path);
}

export function hsmCommand(program: Command): void {
  const hsm = program.command('hsm').description('HSM users and keys of a Coffer CloudHSM cluster, as cloudhsm-cli manages them');
  interactiveVerb(hsm);
  const cluster = hsm.command('cluster').description('the cluster');
  hsmVerb(cluster, 'activate', 'set the first admin\'s password (the cluster becomes ACTIVE)', ['cluster-id', 'password'], false);
  const user = hsm.command('user').description('HSM users');
  hsmVerb(user, 'create', 'create an HSM user', ['cluster-id', 'username', 'role', 'password', 'approval'], true);
  hsmVerb(user, 'list', 'list the HSM users', ['cluster-id'], false);
  hsmVerb(user, 'change-password', 'change an HSM user\'s password', ['cluster-id', 'username', 'role', 'password', 'approval'], true);
  hsmVerb(user, 'delete', 'delete an HSM user', ['cluster-id', 'username', 'role', 'approval'], true);
  const changeQuorum = user.command('change-quorum').description('a user\'s quorum strategy').command('token-sign').description('token-sign quorum');
  keyVerb(changeQuorum, 'register', '--cluster-id <id> --public-key <pem file> --signed-token <file>', 'register your RSA-2048 quorum public key, proven by a registration token signed with its private key', ['user', 'change-quorum', 'token-sign']);
  quorumCommands(hsm);
  keyVerb(cluster, 'pkcs11-uris', '--cluster-id <id>', 'your partitions as PKCS#11 URIs, one per ACTIVE HSM (for pkcs11-tool, OpenSSL, Java)');
  const key = hsm.command('key').description('keys of crypto users (cloudhsm-cli key …)');
  const C = '--cluster-id <id>';
  keyVerb(key, 'generate-symmetric', `aes|generic-secret ${C} --label <label> --key-length-bytes <n> [--attributes K=V…] [--share-crypto-users U…]`, 'generate an AES or generic secret key');
  keyVerb(key, 'generate-asymmetric-pair', `rsa|ec ${C} --public-label <l> --private-label <l> (--modulus-size-bits <n> [--public-exponent <e>] | --curve <c>) [--public-attributes K=V…] [--private-attributes K=V…] [--share-crypto-users U…]`, 'generate an RSA or EC key pair');
  keyVerb(key, 'list', `${C} [--filter key-reference=0x…|attr.NAME=VALUE…] [--max-items <n>] [--verbose]`, 'list the keys you own or share, and public keys');
  keyVerb(key, 'delete', `${C} --filter …`, 'delete a key you own (on every HSM)');
  keyVerb(key, 'set-attribute', `${C} --filter … --name <attribute> --value <value>`, 'change an attribute of a key you own');
  keyVerb(key, 'share', `${C} --filter … --username <u> --role crypto-user`, 'share a key you own with another crypto user');
  keyVerb(key, 'unshare', `${C} --filter … --username <u> --role crypto-user`, 'stop sharing a key');
  keyVerb(key, 'wrap', `aes-no-pad|rsa-oaep ${C} --payload-filter … --wrapping-filter … [--path <file>]`, 'wrap a secret key you own under your AES key or RSA public key');
  keyVerb(key, 'unwrap', `aes-no-pad|rsa-oaep ${C} --filter … (--data <base64> | --data-path <file>) --key-type-class aes|generic-secret --label <l> [--attributes K=V…]`, 'unwrap a secret key into your partitions');
  const crypto = hsm.command('crypto').description('cryptographic operations of crypto users (cloudhsm-cli crypto …)');
  keyVerb(crypto, 'sign', `rsa-pkcs|ecdsa ${C} --key-filter … --hash-function sha256|sha384|sha512 (--data <base64> | --data-path <file>)`, 'sign with a private key');
  keyVerb(crypto, 'verify', `rsa-pkcs|ecdsa ${C} --key-filter … --hash-function … (--data <base64> | --data-path <file>) (--signature <base64> | --signature-path <file>)`, 'verify a signature with a public key');
}
