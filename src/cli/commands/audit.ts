/**
 * `coffer audit verify | export | public-key | prune`: the audit trail, every writer's chain.
 *
 * By default through the running server's admin API (GetAuditPublicKey, ExportAuditRecords,
 * ListAuditDigests, PruneAuditTrail: authorized as `coffer:<Operation>` for the home account's
 * principals, and audited; cli/audit-api.ts); `--offline` / `--data-dir` open the storage itself
 * (cli/audit.ts over backend.ts) for disaster recovery, as `accounts` does (offline.ts).
 *
 * `verify` runs the one verifier (cli/audit.ts `auditVerify`) on what it read: exit 1 names the
 * first bad record. It pins `--public-key` and checks each `--digest-log`; offline their defaults
 * are the data folder's audit-public-key.pem and digest logs (and COFFER_AUDIT_DIGEST_LOG's),
 * online there are none (the server's own answer is not a pin).
 */
import type { Command } from 'commander';
import {
  auditExport, auditPrune, auditPublicKey, auditVerify, publicKeyResult, pruneResult, writeExport,
  type AuditCommandResult, type StoredAuditSource,
} from '../audit.ts';
import { apiAuditSource, exportedRows, serverPublicKey } from '../audit-api.ts';
import { backendAuditSource } from '../backend.ts';
import { act, collect, dateOption, printLines, UsageError } from './action.ts';
import { progressLine } from '../verify-progress.ts';
import { clientOptions, withClientOptions } from './client-options.ts';
import { withBackend } from './data-folder.ts';
import { adminCaller, modeOf, offlineFolder, online, whileRunning, withOfflineOptions, type AdminCall } from './offline.ts';

type Offline = (source: StoredAuditSource, configuredDigestLog: string | undefined, dataDir: string) => Promise<AuditCommandResult>;
type Online = (call: AdminCall) => Promise<AuditCommandResult>;

/** Runs the command's way: `offline` on the storage (its server stopped), else `api` through the server. */
async function runAudit(cmd: Command, offline: Offline, api: Online): Promise<number | void> {
  const mode = modeOf(cmd);
  const show = (r: AuditCommandResult): number => {
    printLines(r.lines, r.exitCode !== 0);
    return r.exitCode;
  };
  if (!mode.offline) {
    const call = adminCaller(clientOptions(cmd, process.env));
    return online(cmd, async () => show(await api(call)));
  }
  const { config, dataDir } = offlineFolder(mode);
  return show(await whileRunning(() => withBackend(config, dataDir, (backend) => offline(backendAuditSource(backend), config.auditDigestLog, dataDir))));
}

/** The client options and --offline/--data-dir; `actions` are the IAM actions the command needs online. */
const both = (cmd: Command, actions: readonly string[]): Command => withOfflineOptions(withClientOptions(cmd, { output: false }), actions);

const VERIFY_ACTIONS = ['coffer:GetAuditPublicKey', 'coffer:ListAuditDigests', 'coffer:ExportAuditRecords'];

export function auditCommand(program: Command): void {
  const audit = program.command('audit').description('verify, export, and prune the audit trail; its public key (through the running server, or --offline on its storage)')
    .addHelpText('after', `
By default each command calls the running server's admin API (coffer:<Operation> for the home
account's principals; audited). --offline (or --data-dir) opens the storage itself, for disaster
recovery with the server stopped.`);

  act(both(audit.command('verify').description('check every chain of the trail: hashes, signatures, digests (exit 1 names the first bad record)')
    .option('--public-key <file.pem>', 'the trail\'s public key to pin (default offline: the data folder\'s audit-public-key.pem; online: none, the server\'s key is used with a warning)')
    .option('--digest-log <file.jsonl>', 'a digest log to check against (repeatable; default offline: the data folder\'s and COFFER_AUDIT_DIGEST_LOG; online: none)', collect)
    .option('--progress', 'report the records read so far on standard error, twice a second (the default when standard error is a terminal)'), VERIFY_ACTIONS),
  (cmd) => {
    const o = cmd.opts<{ publicKey?: string; digestLog?: string[]; progress?: true }>();
    const progress = o.progress === true || process.stderr.isTTY
      ? (chain: string, records: number, done: boolean) => process.stderr.write(`${progressLine(chain, records, done)}\n`)
      : undefined;
    const checks = { publicKeyFile: o.publicKey, digestLogs: o.digestLog ?? [], progress };
    return runAudit(cmd,
      (source, configuredDigestLog, dataDir) => auditVerify(source, { dataDir, configuredDigestLog, ...checks }),
      async (call) => auditVerify(await apiAuditSource(call), checks));
  });

  act(both(audit.command('export').description('write the trail\'s events as JSON lines')
    .option('--out <file.jsonl>', 'the file to write (required)')
    .option('--chain', 'each record with its chain, seq and hashes (what audit verify checks)')
    .option('--since <date>', 'events at or after this date', dateOption('--since'))
    .option('--before <date>', 'events before this date', dateOption('--before')), ['coffer:ExportAuditRecords']),
  (cmd) => {
    const o = cmd.opts<{ out?: string; chain?: true; since?: number; before?: number }>();
    const out = o.out;
    if (out === undefined) throw new UsageError('audit export needs --out <file.jsonl>');
    const chain = o.chain === true;
    return runAudit(cmd,
      (source) => auditExport(source, out, { chain, since: o.since, before: o.before }),
      (call) => writeExport(out, exportedRows(call, o.since, o.before), chain));
  });

  act(both(audit.command('public-key').description('print (or write) the public key that verifies the trail\'s signatures')
    .option('--out <file.pem>', 'write it to this file instead of stdout'), ['coffer:GetAuditPublicKey']),
  (cmd) => {
    const out = cmd.opts<{ out?: string }>().out;
    return runAudit(cmd, (source) => auditPublicKey(source, out), async (call) => {
      const k = await serverPublicKey(call);
      return publicKeyResult(k.id, k.pem, out);
    });
  });

  act(both(audit.command('prune').description('delete the trail\'s records before a date (the chain stays verifiable)')
    .option('--before <date>', 'prune records before this date (required)', dateOption('--before')), ['coffer:PruneAuditTrail']),
  (cmd) => {
    const before = cmd.opts<{ before?: number }>().before;
    if (before === undefined) throw new UsageError('audit prune needs --before <date>');
    return runAudit(cmd, (source) => auditPrune(source, before), async (call) => {
      const r = await call('PruneAuditTrail', { Before: before / 1000 });
      const chains = (Array.isArray(r.Chains) ? r.Chains : []) as { Chain?: unknown; Pruned?: unknown; AnchorSeq?: unknown }[];
      return pruneResult(chains.map((c) => ({
        chain: String(c.Chain), pruned: typeof c.Pruned === 'number' ? c.Pruned : 0, anchorSeq: typeof c.AnchorSeq === 'number' ? c.AnchorSeq : undefined,
      })), before);
    });
  });
}
