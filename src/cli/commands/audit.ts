/**
 * `coffer audit verify | export | public-key | prune`: the audit trail on the storage, every
 * writer's chain (cli/audit.ts). `verify` exits 1 when the trail fails verification and names the
 * first bad record; it pins `--public-key` (else the data folder's audit-public-key.pem) and checks
 * each `--digest-log` (else the data folder's and COFFER_AUDIT_DIGEST_LOG's).
 */
import type { Command } from 'commander';
import { auditExport, auditPrune, auditPublicKey, auditVerify, type AuditCommandResult, type AuditSource } from '../audit.ts';
import { backendAuditSource } from '../backend.ts';
import { act, collect, dateOption, printLines, UsageError } from './action.ts';
import { dataFolder, SERVER_STOPPED, withBackend } from './data-folder.ts';

async function runAudit(run: (source: AuditSource, configuredDigestLog: string | undefined, dataDir: string) => Promise<AuditCommandResult>): Promise<number> {
  const { config, dataDir } = dataFolder();
  const r = await withBackend(config, dataDir, (backend) => run(backendAuditSource(backend), config.auditDigestLog, dataDir));
  printLines(r.lines, r.exitCode !== 0);
  return r.exitCode;
}

export function auditCommand(program: Command): void {
  const audit = program.command('audit').description('verify, export, and prune the audit trail; its public key')
    .addHelpText('after', `\n${SERVER_STOPPED}\n'audit verify' and 'audit public-key' read a data folder whose server runs.`);

  act(audit.command('verify').description('check every chain of the trail: hashes, signatures, digests (exit 1 names the first bad record)')
    .option('--public-key <file.pem>', 'the trail\'s public key to pin (default: the data folder\'s audit-public-key.pem)')
    .option('--digest-log <file.jsonl>', 'a digest log to check against (repeatable; default: the data folder\'s and COFFER_AUDIT_DIGEST_LOG)', collect)
    .addHelpText('after', '\nWorks while the server runs (a read-only view of the data folder).'),
  (cmd) => {
    const o = cmd.opts<{ publicKey?: string; digestLog?: string[] }>();
    return runAudit((source, configuredDigestLog, dataDir) => auditVerify(source, { dataDir, configuredDigestLog, publicKeyFile: o.publicKey, digestLogs: o.digestLog ?? [] }));
  });

  act(audit.command('export').description('write the trail\'s events as JSON lines')
    .option('--out <file.jsonl>', 'the file to write (required)')
    .option('--chain', 'each record with its chain, seq and hashes (what audit verify checks)')
    .option('--since <date>', 'events at or after this date', dateOption('--since'))
    .option('--before <date>', 'events before this date', dateOption('--before'))
    .addHelpText('after', `\n${SERVER_STOPPED}`),
  (cmd) => {
    const o = cmd.opts<{ out?: string; chain?: true; since?: number; before?: number }>();
    const out = o.out;
    if (out === undefined) throw new UsageError('audit export needs --out <file.jsonl>');
    return runAudit((source) => auditExport(source, out, { chain: o.chain === true, since: o.since, before: o.before }));
  });

  act(audit.command('public-key').description('print (or write) the public key that verifies the trail\'s signatures')
    .option('--out <file.pem>', 'write it to this file instead of stdout')
    .addHelpText('after', `\n${SERVER_STOPPED}`),
  (cmd) => runAudit((source) => auditPublicKey(source, cmd.opts<{ out?: string }>().out)));

  act(audit.command('prune').description('delete the trail\'s records before a date (the chain stays verifiable)')
    .option('--before <date>', 'prune records before this date (required)', dateOption('--before'))
    .addHelpText('after', `\n${SERVER_STOPPED}`),
  (cmd) => {
    const before = cmd.opts<{ before?: number }>().before;
    if (before === undefined) throw new UsageError('audit prune needs --before <date>');
    return runAudit((source) => auditPrune(source, before));
  });
}
