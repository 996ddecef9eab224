/**
 * The `coffer` program assembled from its commands, one module each in commands/ (main.ts runs it;
 * program.test.ts walks its command tree).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
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
    .description('Coffer: a self-hosted AWS KMS and CloudHSM. Clients of a running Coffer, its admin API, and maintenance commands on its storage.')
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
Commands that call a running Coffer (keys, encrypt, decrypt, hsm, accounts, audit) take
--endpoint-url (default AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, else http://127.0.0.1:8400),
--region, --profile and the AWS credentials as the AWS CLI reads them; accounts and audit are
Coffer's admin API, for the home account's principals (IAM actions coffer:<Operation>).
accounts --offline and audit --offline (disaster recovery), migrate-storage, seal migrate and
backup restore (maintenance) open the data folder COFFER_DATA_DIR (default ./data) and need its
server stopped; backup create copies it while the server runs. With COFFER_DATABASE_URL they work
on that PostgreSQL database.

Exit status: 0 done, 1 failed, 2 usage.`);
  return p;
}

