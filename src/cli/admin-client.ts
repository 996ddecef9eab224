/**
 * A client of Coffer's admin API (CofferAdminService, SigV4 scope `coffer`) with the settings of
 * every other client command (kms-client.ts): the SDK's KMS client is built from them only to
 * resolve the region and the credentials (environment, --profile / AWS_PROFILE in the shared files,
 * SSO, process, ...) as the KMS commands resolve theirs; the call itself is one signed JSON POST.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { kmsClientConfig, type AwsOptions, type Env } from './kms-client.ts';

/** The service's refusal: its error name (`__type`) and message. */
export class AdminApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
    this.name = code;
  }
}

export interface AdminClientOptions extends AwsOptions {
  readonly endpointUrl: string;
}

/** The region to sign for: the KMS commands' one; none configured: us-east-1, which the admin API always accepts. */
async function regionOf(region: () => Promise<string>): Promise<string> {
  try {
    return await region();
  } catch {
    return 'us-east-1';
  }
}

/** One signed `CofferAdminService.<operation>` call; answers the JSON body or throws AdminApiError. */
export async function adminCall(opts: AdminClientOptions, env: Env, operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { KMSClient } = await import('@aws-sdk/client-kms');
  const kms = new KMSClient(kmsClientConfig(opts, env));
  let region: string;
  let credentials: Awaited<ReturnType<typeof kms.config.credentials>>;
  try {
    region = await regionOf(kms.config.region);
    credentials = await kms.config.credentials();
  } finally {
    kms.destroy();
  }
  const url = new URL(opts.endpointUrl);
  const path = url.pathname === '' ? '/' : url.pathname;
  const body = JSON.stringify(input);
  const signed = await new SignatureV4({ service: 'coffer', region, credentials, sha256: Sha256 }).sign({
    method: 'POST', protocol: url.protocol, hostname: url.hostname, ...(url.port !== '' ? { port: Number(url.port) } : {}), path, query: {},
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `CofferAdminService.${operation}` },
    body,
  });
  let response: Response;
  try {
    response = await fetch(new URL(path, url), { method: 'POST', headers: signed.headers, body });
  } catch (e) {
    const cause = (e as { cause?: { message?: unknown } }).cause?.message;
    throw new Error(`could not reach ${opts.endpointUrl}: ${typeof cause === 'string' ? cause : e instanceof Error ? e.message : String(e)}`);
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try { json = text === '' ? {} : JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    const code = typeof json.__type === 'string' ? json.__type.split('#').pop() ?? json.__type : `HTTP ${response.status}`;
    const message = typeof json.message === 'string' ? json.message : typeof json.Message === 'string' ? json.Message : text.slice(0, 300);
    throw new AdminApiError(code, message, response.status);
  }
  return json;
}
