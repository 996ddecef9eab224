/**
 * The `coffer` command (`npx coffer`, `npm run coffer -- …`): the program assembled from its
 * commands, one module each in commands/.
 *
 * Two kinds of command:
 * - clients of a running Coffer (keys, hsm, encrypt, decrypt, accounts): --endpoint-url, --region,
 *   --profile and the AWS credential chain as the AWS CLI reads them (commands/client-options.ts);
 * - admin commands on an installation's storage (accounts --offline, audit, migrate-storage, seal
 *   migrate, backup): the data folder COFFER_DATA_DIR (default ./data) while its server is stopped (the
 *   server holds its owner lock; `backup create` and `audit verify` read it while it runs), or
 *   COFFER_DATABASE_URL's PostgreSQL database, where nodes may be serving.
 *
 * Exit status: 0 done (and --help, --version), 1 failed, 2 usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { accountsCommand } from './commands/accounts.ts';
import { auditCommand } from './commands/audit.ts';
import { backupCommand } from './commands/backup.ts';
import { fileCryptoCommands } from './commands/file-crypto.ts';
import { hsmCommand } from './commands/hsm.ts';
import { keysCommand } from './commands/keys.ts';
import { migrateStorageCommand, sealCommand } from './commands/storage.ts';

/** The package's version, read from package.json beside the build (dist/) or the sources (src/cli/). */
function version(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'coffer' && typeof pkg.version === 'string') return pkg.version;
    } catch { /* not this one */ }
  }
  return 'unknown';
}

export function program(): Command {
  const p = new Command('coffer')
    .description('Coffer: a self-hosted AWS KMS and CloudHSM. Clients of a running Coffer, and admin commands on its storage.')
    .version(version(), '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`coffer: ${str.replace(/^error: /, '')}`) })
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false });
  keysCommand(p);
  fileCryptoCommands(p);
  hsmCommand(p);
  accountsCommand(p);
  auditCommand(p);
  migrateStorageCommand(p);
  sealCommand(p);
  backupCommand(p);
  p.addHelpText('after', `
Commands that call a running Coffer (keys, encrypt, decrypt, hsm, accounts) take --endpoint-url
(default AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, else http://127.0.0.1:8400), --region, --profile
and the AWS credentials as the AWS CLI reads them. The admin commands (audit, migrate-storage, seal,
backup, and accounts --offline) open the data folder COFFER_DATA_DIR (default ./data) and need its
server stopped, except backup create and audit verify; with COFFER_DATABASE_URL they work on that
PostgreSQL database.

Exit status: 0 done, 1 failed, 2 usage.`);
  return p;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // Help and --version end in a CommanderError with exit code 0; every other one is a usage error.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
