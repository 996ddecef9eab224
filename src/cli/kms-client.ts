/**
 * The settings of an AWS SDK `KMS` client pointed at Coffer, shared by every command that calls
 * its KMS API (keys, encrypt, decrypt): the endpoint, region and profile as the AWS CLI resolves
 * them; credentials from the SDK's default chain with that profile: environment, then the profile
 * in ~/.aws/credentials and ~/.aws/config (and SSO, process, web identity).
 */
export type Env = Readonly<Record<string, string | undefined>>;

export interface AwsOptions {
  readonly endpointUrl?: string | undefined;
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
}

export interface KmsClientConfig {
  readonly endpoint?: string;
  readonly region?: string;
  readonly profile?: string;
}

/**
 * `--endpoint-url` (else the SDK reads AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL or the profile's
 * endpoint_url), `region` (a key ARN's), else `--region`, AWS_REGION or AWS_DEFAULT_REGION (the AWS
 * CLI's variable, which the SDK alone ignores), else the profile's region; `--profile` (else
 * AWS_PROFILE) for the credentials and config files.
 */
export function kmsClientConfig(opts: AwsOptions, env: Env, region?: string): KmsClientConfig {
  const r = region !== undefined && region !== '' ? region : opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    ...(opts.endpointUrl !== undefined ? { endpoint: opts.endpointUrl } : {}),
    ...(r !== undefined ? { region: r } : {}),
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
  };
}

/** An SDK failure as one line: the AWS error name (a service's error code) and its message. */
export function awsErrorLine(e: unknown): string {
  if (e instanceof Error) {
    const fromService = typeof (e as { $fault?: unknown }).$fault === 'string';
    return fromService || (e.name !== 'Error' && e.name !== 'TypeError') ? `${e.name}: ${e.message}` : e.message;
  }
  return String(e);
}
