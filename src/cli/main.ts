/**
 * The `coffer` command (`npx coffer`, `npm run coffer -- …`): runs the program (program.ts).
 *
 * Two kinds of command:
 * - clients of a running Coffer (keys, hsm, encrypt, decrypt, and the admin API's accounts and
 *   audit): --endpoint-url, --region, --profile and the AWS credential chain as the AWS CLI reads
 *   them (commands/client-options.ts);
 * - maintenance and disaster recovery on an installation's storage (accounts --offline, audit
 *   --offline, migrate-storage, seal migrate, backup): the data folder COFFER_DATA_DIR (default
 *   ./data) while its server is stopped (the server holds its owner lock; `backup create` reads
 *   it while it runs), or COFFER_DATABASE_URL's PostgreSQL database, where nodes may be serving.
 *
 * Exit status: 0 done (and --help, --version), 1 failed, 2 usage.
 */
import { CommanderError } from 'commander';
import { program } from './program.ts';

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
