/**
 * The options of the commands that call a running Coffer (keys, hsm, encrypt, decrypt), read as
 * the AWS CLI reads them: `--endpoint-url` (else AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, else
 * Coffer's default http://127.0.0.1:8400), `--region` (else AWS_REGION, AWS_DEFAULT_REGION, the
 * profile's region), `--profile` (else AWS_PROFILE) for the credentials and config files, and
 * `--output json|table` where a command prints data. Credentials: the SDK's default chain.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AwsOptions, Env } from '../kms-client.ts';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8400';

export type OutputFormat = 'json' | 'table';

export interface ClientOptions extends AwsOptions {
  readonly endpointUrl: string;
  readonly output: OutputFormat;
}

const url = (value: string): string => {
  if (!URL.canParse(value)) throw new InvalidArgumentError(`must be a URL such as ${DEFAULT_ENDPOINT}, got '${value}'`);
  return value;
};

/** Adds the shared options to `cmd` (`--output` only where it prints data). */
export function withClientOptions(cmd: Command, { output }: { output: boolean }): Command {
  cmd.option('--endpoint-url <url>', `Coffer's endpoint (default: AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, else ${DEFAULT_ENDPOINT})`, url)
    .option('--region <region>', 'the region to sign for (default: AWS_REGION, AWS_DEFAULT_REGION, else the profile\'s region)')
    .option('--profile <name>', 'the profile of ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE, else default)');
  if (output) cmd.addOption(new Option('--output <format>', 'json (for scripts) or table').choices(['json', 'table']).default('json'));
  return cmd;
}

/** `cmd`'s shared options, resolved against the environment. */
export function clientOptions(cmd: Command, env: Env, service: 'kms' | 'hsm' = 'kms'): ClientOptions {
  const o = cmd.opts<{ endpointUrl?: string; region?: string; profile?: string; output?: OutputFormat }>();
  const fromEnv = service === 'kms' ? env.AWS_ENDPOINT_URL_KMS ?? env.AWS_ENDPOINT_URL : env.AWS_ENDPOINT_URL;
  return {
    endpointUrl: o.endpointUrl ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_ENDPOINT),
    region: o.region, profile: o.profile, output: o.output ?? 'json',
  };
}
