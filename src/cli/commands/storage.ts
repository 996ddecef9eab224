/**
 * `coffer migrate-storage --to <postgres URL>`: the data folder's SQLite installation, its server
 * stopped, copied into an empty PostgreSQL database (cli/migrate-storage.ts), the counts printed.
 * `coffer seal migrate --from <seal> --to <seal>`: the data folder's domain keys rewrapped under
 * another root seal, its server stopped (adapters/keystore/seal-migration.ts), each seal's settings
 * from the environment.
 */
import type { Command } from 'commander';
import { migrateStorage } from '../migrate-storage.ts';
import { migrateSeal } from '../../adapters/keystore/seal-migration.ts';
import { act, printLines, UsageError } from './action.ts';
import { dataFolder, MAINTENANCE, sealOf, withBackend } from './data-folder.ts';

const SEAL_KINDS = ['key-file', 'passphrase', 'pkcs11'] as const;
type SealKindName = typeof SEAL_KINDS[number];
const sealKind = (value: string | undefined, option: string): SealKindName => {
  const kind = SEAL_KINDS.find((k) => k === value);
  if (kind === undefined) throw new UsageError(`seal migrate needs ${option} key-file, passphrase or pkcs11`);
  return kind;
};

export function migrateStorageCommand(program: Command): void {
  act(program.command('migrate-storage').description('copy the data folder\'s SQLite installation into an empty PostgreSQL database (maintenance, with the server stopped)')
    .option('--to <url>', 'postgres://user:password@host:5432/database (required)')
    .addHelpText('after', `\n${MAINTENANCE} The database password is never printed.`),
  async (cmd) => {
    const { to } = cmd.opts<{ to?: string }>();
    if (to === undefined || !/^postgres(ql)?:\/\//.test(to)) throw new UsageError('migrate-storage needs --to <postgres://user:password@host:5432/database>');
    const { config, dataDir } = dataFolder();
    printLines(await migrateStorage({
      dataDir, to, seal: sealOf(config), configuredDigestLog: config.auditDigestLog, now: Date.now(),
      warn: (message) => console.error(`coffer: warning: ${message}`),
    }));
  });
}

export function sealCommand(program: Command): void {
  const seal = program.command('seal').description('the root seal that wraps the domain keys (maintenance, with the server stopped)')
    .addHelpText('after', `\n${MAINTENANCE}`);
  act(seal.command('migrate').description('rewrap the data folder\'s domain keys from one root seal to another')
    .option('--from <seal>', 'the seal that opens the data folder now: key-file, passphrase or pkcs11 (required)')
    .option('--to <seal>', 'the seal to move to: key-file, passphrase or pkcs11 (required)')
    .addHelpText('after', `
${MAINTENANCE} Each seal's settings come from the environment
(COFFER_ROOT_PASSPHRASE, COFFER_PKCS11_MODULE, COFFER_SEAL_PKCS11_*).`),
  async (cmd) => {
    const o = cmd.opts<{ from?: string; to?: string }>();
    const from = sealKind(o.from, '--from');
    const to = sealKind(o.to, '--to');
    const { config, dataDir } = dataFolder();
    printLines(await withBackend(config, dataDir, (backend) => migrateSeal({
      dataDir, from: sealOf({ ...config, seal: from }), to: sealOf({ ...config, seal: to }), withDomainKeys: (open) => backend.withDomainKeys(open),
    })));
  });
}
