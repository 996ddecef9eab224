/**
 * The two ways of an admin command (accounts, audit): by default a call to the running server's
 * admin API (CofferAdminService: authorized and audited like any call; cli/admin-client.ts), with
 * the client options of the other client commands; `--offline` (or `--data-dir DIR`) opens the
 * storage itself, for disaster recovery with the server stopped (or on COFFER_DATABASE_URL's
 * PostgreSQL). Nothing is audited on that path.
 */
import { Option, type Command } from 'commander';
import { AdminApiError, adminCall } from '../admin-client.ts';
import { commandPath } from './action.ts';
import type { ClientOptions } from './client-options.ts';
import { dataFolder, SERVER_STOPPED } from './data-folder.ts';

export interface Mode { readonly offline: boolean; readonly dataDir?: string | undefined }

export const modeOf = (cmd: Command): Mode => {
  const o = cmd.opts<{ offline?: boolean; dataDir?: string }>();
  return { offline: o.offline === true || o.dataDir !== undefined, dataDir: o.dataDir };
};

/** The configuration and data folder of the offline path (`--data-dir` over COFFER_DATA_DIR). */
export const offlineFolder = (mode: Mode) => dataFolder(mode.dataDir === undefined ? process.env : { ...process.env, COFFER_DATA_DIR: mode.dataDir });

/** The owner-lock refusal, with the way that works while the server runs. */
export function whileRunning<T>(run: () => Promise<T>): Promise<T> {
  return run().catch((e: unknown) => {
    if (e instanceof Error && /a running Coffer server holds its owner lock/.test(e.message)) {
      throw new Error(`${e.message} Or leave out --offline/--data-dir: then the command asks the running server.`);
    }
    throw e;
  });
}

/** One admin API call of `cmd`'s client options. */
export type AdminCall = (operation: string, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

export const adminCaller = (options: ClientOptions): AdminCall => (operation, input) => adminCall(options, process.env, operation, input);

/**
 * Runs `body` against the API; the service's refusal (AccessDeniedException, ValidationException, …)
 * is printed as `coffer <command>: <Code>: <message>` and exits 1.
 */
export async function online(cmd: Command, body: () => Promise<number | void>): Promise<number | void> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof AdminApiError) {
      console.error(`coffer ${commandPath(cmd)}: ${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** The help of a command with both ways; `actions` are the IAM actions it needs online. */
export const offlineHelp = (actions: readonly string[]): string => `
By default the command calls the running server (--endpoint-url) with your AWS credentials: the
home account's root (COFFER_ACCOUNT_ID), or an IAM principal of it whose policies allow
${actions.join(' / ')}. --offline (or --data-dir) opens the storage itself,
for disaster recovery; nothing is audited then.
${SERVER_STOPPED}`;

/** --offline and --data-dir, the way around the server. */
export function withOfflineOptions(cmd: Command, actions: readonly string[]): Command {
  return cmd.option('--offline', 'work on the storage directly (COFFER_DATA_DIR or COFFER_DATABASE_URL), not through the server')
    .addOption(new Option('--data-dir <dir>', 'the data folder to work on directly (implies --offline; default COFFER_DATA_DIR, else ./data)'))
    .addHelpText('after', offlineHelp(actions));
}
