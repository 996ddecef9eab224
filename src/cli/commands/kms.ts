/**
 * The action of a command that calls Coffer's KMS API: an SDK `KMS` client built from the shared
 * options (kms-client.ts, as encrypt and decrypt build theirs), and a refusal printed as the AWS
 * error name and message with exit status 1.
 */
import type { Command } from 'commander';
import type { KMS } from '@aws-sdk/client-kms';
import { awsErrorLine, kmsClientConfig } from '../kms-client.ts';
import { act, commandPath } from './action.ts';
import { clientOptions, withClientOptions, type ClientOptions } from './client-options.ts';

export interface KmsContext {
  readonly kms: KMS;
  readonly options: ClientOptions;
  readonly cmd: Command;
}

/** Adds the shared options to `cmd` and makes `body` its action. */
export function kmsAction(cmd: Command, body: (c: KmsContext) => Promise<number | void>): Command {
  withClientOptions(cmd, { output: true });
  return act(cmd, async (c) => {
    const options = clientOptions(c, process.env);
    // The SDK warns on every run that its 2027 releases need Node 22: nothing a user of this command can act on.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { KMS: Kms } = await import('@aws-sdk/client-kms');
    const kms = new Kms(kmsClientConfig(options, process.env));
    try {
      return await body({ kms, options, cmd: c });
    } catch (e) {
      console.error(`coffer ${commandPath(c)}: ${awsErrorLine(e)}`);
      return 1;
    } finally {
      kms.destroy();
    }
  });
}

/** The key argument of DescribeKey, which takes aliases too. */
export const KEY_ARG = ['<key>', 'key id, key ARN, alias name or alias ARN'] as const;

/** The key argument of the operations that take a key id or key ARN only, as in AWS KMS. */
export const KEY_ID_ARG = ['<key>', 'key id or key ARN'] as const;

/** `name` as an alias name: `alias/` added when it lacks it. */
export const aliasName = (name: string): string => (name.startsWith('alias/') ? name : `alias/${name}`);

/** Every page of a paginated KMS list. */
export async function allPages<T>(page: (marker: string | undefined) => Promise<{ items: readonly T[] | undefined; next: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const p = await page(marker);
    out.push(...(p.items ?? []));
    marker = p.next;
  } while (marker !== undefined);
  return out;
}
