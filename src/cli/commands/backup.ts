/**
 * `coffer backup create --out <file>`: the data folder's SQLite installation copied while its
 * server runs (no owner lock: a read-only connection of its own), without the seal, into one
 * backup file; on PostgreSQL it refuses and names the database's own tools. `coffer backup restore
 * <file> --data-dir <folder>`: one put into a new or empty folder after checking it (cli/backup.ts).
 */
import type { Command } from 'commander';
import { backupCreate, backupRestore } from '../backup.ts';
import { act, printLines, UsageError } from './action.ts';
import { dataFolder } from './data-folder.ts';

export function backupCommand(program: Command): void {
  const backup = program.command('backup').description('back up a SQLite installation while it serves; restore one into a new folder');

  act(backup.command('create').description('copy the data folder\'s SQLite installation, without the seal, into one backup file')
    .option('--out <file>', 'the backup file to write (required)')
    .addHelpText('after', '\nWorks while the server runs. On PostgreSQL (COFFER_DATABASE_URL) use pg_dump or the database\'s own backups.'),
  async (cmd) => {
    const { out } = cmd.opts<{ out?: string }>();
    if (out === undefined) throw new UsageError('backup create needs --out <file>');
    const { config, dataDir } = dataFolder();
    if (config.databaseUrl !== undefined) {
      throw new Error('backup create copies the data folder\'s SQLite database; with COFFER_DATABASE_URL the data lives in PostgreSQL: '
        + 'back it up with pg_dump (or the database\'s own backups and point-in-time recovery), and keep the seal apart from it');
    }
    const configuredSeal = config.seal !== 'auto' ? config.seal : config.rootPassphrase !== undefined ? 'passphrase' : 'key-file';
    printLines(await backupCreate({ dataDir, out, configuredSeal, configuredDigestLog: config.auditDigestLog, now: new Date() }));
  });

  act(backup.command('restore').description('check a backup and put it into a new or empty folder, whose seal the operator brings')
    .argument('<file>', 'the backup file')
    .option('--data-dir <folder>', 'a new or empty folder to restore into (required)')
    .addHelpText('after', `\nDisaster recovery: writes a new or empty data folder, never one a server runs on; there is no way
through the server's API, by design. Start the restored installation only after bringing its seal
(root.key, the passphrase or the token).`),
  (cmd) => {
    const { dataDir } = cmd.opts<{ dataDir?: string }>();
    if (dataDir === undefined) throw new UsageError('backup restore needs --data-dir <new folder>');
    printLines(backupRestore({ file: String(cmd.processedArgs[0]), dataDir }));
  });
}
