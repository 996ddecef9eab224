/**
 * The audit-trail cells of `npm run bench` (BENCH_ONLY=audit runs them alone): a trail of
 * BENCH_AUDIT_RECORDS (default 1,000,000) real chained records in a fresh data folder, then
 *   - bytes on disk per record (the database file and its WAL after a checkpoint, over the records;
 *     with SQLite's dbstat, the bytes of each table and index),
 *   - LookupEvents through a running Coffer's API (first page of 50; p50 and max of several calls)
 *     by every LookupAttribute, common and rare values, and in a time window,
 *   - `coffer audit verify` (the CLI, as an operator runs it) against the time to just read the
 *     same records through the store's reader, in the same run.
 *
 * The trail is written as Coffer writes it: a server starts on the folder and makes a few keys
 * (its signing key, digests and digest logs are the real ones), stops; then the records are built
 * by the writer's own code (record.ts's apiCallRecord, writer.ts's chain) from realistic calls and
 * appended by the SQLite storage's commit in batches; the server then starts again, answers the
 * lookups and signs a digest of the topped-up records when it stops, so `audit verify` accepts it.
 * The mix: mostly Encrypt/Decrypt/GenerateDataKey by four callers on 300 keys over 30 days, some
 * DescribeKey and denied calls, and rare CreateKey, PutKeyPolicy, ScheduleKeyDeletion and IAM events.
 */
import { spawnSync } from 'node:child_process';
import { statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { ApiCall, AuditService } from '../src/ports/audit.ts';
import type { Caller } from '../src/domain/principal.ts';
import { apiCallRecord } from '../src/audit/record.ts';
import { chain } from '../src/audit/writer.ts';
import { openDatabase, closeDatabase } from '../src/adapters/storage/sqlite.ts';
import { createSqliteStorage } from '../src/adapters/storage/sqlite-storage.ts';
import { createSecretBox } from '../src/adapters/keystore/secret-box.ts';
import { auditRowsOf } from '../src/adapters/audit/sqlite-audit.ts';
import { prng as makePrng } from '../test/support/prng.ts';

export interface AuditDeps {
  readonly records: number;
  readonly newDataDir: () => string;
  readonly removeDataDir: (dir: string) => void;
  /** Starts Coffer (audit on) on this data folder. */
  readonly startCoffer: (dataDir: string) => Promise<{ readonly port: number; readonly stop: () => Promise<void> }>;
  readonly call: (port: number, service: string, target: string, body: object) => Promise<Record<string, unknown>>;
  /** `coffer audit verify` on the data folder: exit code, output, wall seconds. */
  readonly verifyCli: (dataDir: string, extraArgs: readonly string[]) => { status: number | null; stdout: string; stderr: string; seconds: number };
}

export interface LookupCell { readonly name: string; readonly p50Ms: number; readonly maxMs: number; readonly events: number }
export interface AuditResult {
  readonly records: number;
  readonly generateSeconds: number;
  readonly dbBytes: number;
  readonly bytesPerRecord: number;
  /** dbstat: bytes per table or index, when SQLite has it. */
  readonly objects: readonly { readonly name: string; readonly bytes: number; readonly perRecord: number }[];
  readonly lookups: readonly LookupCell[];
  readonly readSeconds: number;
  readonly verifySeconds: number;
  readonly verifyOk: boolean;
  readonly verifyLine: string;
}

const CT = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';
const REGION = 'us-east-1';
const DAY = 86_400_000;
const CALLS = 7;

interface World {
  readonly account: string;
  readonly callers: readonly Caller[];
  /** The rare caller (an auditor whose key signs a few calls a day). */
  readonly rareCaller: Caller;
  readonly keys: readonly string[];
  /** A key only the rare events touch. */
  readonly rareKey: string;
}

function worldOf(account: string): World {
  const user = (name: string, akid: string): Caller => ({
    accountId: account, arn: `arn:aws:iam::${account}:user/${name}`, accessKeyId: akid, type: 'IAMUser',
    userId: `AIDA${randomBytes(8).toString('hex').toUpperCase()}`, username: name, tags: {},
  });
  const role: Caller = {
    accountId: account, arn: `arn:aws:sts::${account}:assumed-role/app-role/i-0abc123`, accessKeyId: 'ASIAAPPROLE000000001', type: 'AssumedRole',
    userId: 'AROAAPPROLE00000000:i-0abc123', roleArn: `arn:aws:iam::${account}:role/app-role`, tags: {},
  };
  const keys = Array.from({ length: 300 }, () => `arn:aws:kms:${REGION}:${account}:key/${randomUUID()}`);
  return {
    account, keys,
    callers: [user('alice', 'AKIAALICE00000000001'), user('bob', 'AKIABOB0000000000001'), user('payments-svc', 'AKIAPAYMENTS00000001'), role],
    rareCaller: user('auditor', 'AKIAAUDITOR000000001'),
    rareKey: `arn:aws:kms:${REGION}:${account}:key/${randomUUID()}`,
  };
}

const USER_AGENTS = ['aws-sdk-java/2.25.11 Linux/6.1 OpenJDK_64-Bit_Server_VM/17.0.10', 'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8', 'aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.debian.12'];

/** One realistic call at index i (deterministic by the PRNG). */
function callOf(w: World, next: () => number, i: number): ApiCall {
  const r = next();
  const caller = w.callers[Math.floor(next() * w.callers.length)] as Caller;
  const key = w.keys[Math.floor(next() * next() * w.keys.length)] as string; // a few keys are much busier
  const base = {
    caller, accessKeyId: caller.accessKeyId, region: REGION, requestId: randomUUID(),
    request: { sourceIp: `10.0.${(i >> 8) & 3}.${(i % 7) + 10}`, userAgent: USER_AGENTS[i % 3] as string, secureTransport: true },
    error: undefined, output: undefined,
  } as const;
  const kms = (operation: string, input: Record<string, unknown>, resources: readonly string[], output?: object, service: AuditService = 'kms'): ApiCall =>
    ({ ...base, service, operation, input, output, resources: new Set(resources) });
  const context = i % 4 === 0 ? { EncryptionContext: { tenant: `t-${i % 97}`, purpose: 'session' } } : {};
  if (r < 0.000_02) return { ...kms('ScheduleKeyDeletion', { KeyId: w.rareKey, PendingWindowInDays: 7 }, [w.rareKey], { KeyId: w.rareKey, KeyState: 'PendingDeletion', PendingWindowInDays: 7 }), caller: w.rareCaller, accessKeyId: w.rareCaller.accessKeyId };
  if (r < 0.000_05) return kms('PutKeyPolicy', { KeyId: key, PolicyName: 'default', Policy: '{"Version":"2012-10-17","Statement":[]}' }, [key], {});
  if (r < 0.000_1) {
    const arn = `arn:aws:kms:${REGION}:${w.account}:key/${randomUUID()}`;
    return kms('CreateKey', { Description: 'bench key', KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT' }, [arn],
      { KeyMetadata: { AWSAccountId: w.account, KeyId: arn.slice(arn.lastIndexOf('/') + 1), Arn: arn, CreationDate: new Date(), Enabled: true, Description: 'bench key', KeyUsage: 'ENCRYPT_DECRYPT', KeyState: 'Enabled', Origin: 'AWS_KMS', KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'], MultiRegion: false } });
  }
  if (r < 0.000_2) {
    const userArn = `arn:aws:iam::${w.account}:user/temp-${i}`;
    return { ...kms('CreateUser', { UserName: `temp-${i}` }, [userArn], { User: { UserName: `temp-${i}`, Arn: userArn, Path: '/', UserId: `AIDA${i}`, CreateDate: new Date() } }, 'iam'), caller: w.rareCaller, accessKeyId: w.rareCaller.accessKeyId };
  }
  if (r < 0.000_4) return { ...kms('DescribeKey', { KeyId: key }, [key]), caller: w.rareCaller, accessKeyId: w.rareCaller.accessKeyId };
  if (r < 0.005) return { ...kms('Decrypt', { CiphertextBlob: Buffer.alloc(184) }, [key]), error: { code: 'AccessDeniedException', message: `User: ${caller.arn} is not authorized to perform: kms:Decrypt on resource: ${key} because no identity-based policy allows the kms:Decrypt action` } };
  if (r < 0.04) return kms('DescribeKey', { KeyId: key }, [key]);
  if (r < 0.42) return kms('Encrypt', { KeyId: key, Plaintext: Buffer.alloc(256), ...context }, [key]);
  if (r < 0.78) return kms('Decrypt', { CiphertextBlob: Buffer.alloc(184), ...context }, [key]);
  return kms('GenerateDataKey', { KeyId: key, KeySpec: 'AES_256', ...context }, [key]);
}

/** Appends `n` records to the stopped server's data folder through the SQLite storage's commit; returns the event times' span. */
function topUp(dataDir: string, n: number, w: World): { from: number; to: number } {
  const db = openDatabase(join(dataDir, 'coffer.db'));
  try {
    const box = createSecretBox({ activeId: 'bench', key: () => randomBytes(32) });
    const storage = createSqliteStorage(db, box);
    const next = makePrng(20261207);
    const to = Date.now() - 60_000;
    const from = to - 30 * DAY;
    const step = (to - from) / n;
    const BATCH = 5000;
    for (let done = 0; done < n;) {
      const pending: Parameters<typeof chain>[0][number][] = [];
      for (let k = 0; k < BATCH && done < n; k++, done++) {
        const eventTime = Math.floor(from + done * step);
        const { record, index } = apiCallRecord(callOf(w, next, done), { eventId: randomUUID(), eventTime, defaultAccountId: w.account });
        pending.push({ json: JSON.stringify(record), eventId: record.eventID as string, eventTime, index });
      }
      // Synchronous under better-sqlite3: the returned promise is already settled.
      void storage.commit({ changes: [], records: (head) => chain(pending, head) }, { durable: false });
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { from, to };
  } finally {
    closeDatabase(db);
  }
}

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
};

function diskBytes(file: string): number {
  return statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
}

export async function runAuditBench(d: AuditDeps): Promise<AuditResult> {
  const dataDir = d.newDataDir();
  try {
    // 1. A real installation: its signing key, digests, digest logs and a few keys.
    let s = await d.startCoffer(dataDir);
    for (let i = 0; i < 3; i++) await d.call(s.port, 'kms', 'TrentService.CreateKey', {});
    await s.stop();
    const file = join(dataDir, 'coffer.db');
    const account = (() => {
      const db = new Database(file, { readonly: true });
      try {
        for (const r of auditRowsOf(db, 10)) return r.accountId;
        throw new Error('the first server left no record');
      } finally {
        db.close();
      }
    })();
    const w = worldOf(account);
    // 2. The top-up, by the writer's and the store's own code.
    const t0 = performance.now();
    const span = topUp(dataDir, d.records - 4, w);
    const generateSeconds = (performance.now() - t0) / 1000;
    console.log(`audit: ${d.records} records written in ${generateSeconds.toFixed(1)} s`);
    const sample = (() => {
      const db = new Database(file, { readonly: true });
      try {
        let mid: string | undefined;
        const rareAkid = w.rareCaller.accessKeyId;
        for (const r of auditRowsOf(db, 1000)) if (r.seq === Math.floor(d.records / 2)) { mid = r.eventId; break; }
        return { midEventId: mid ?? '', rareAkid };
      } finally {
        db.close();
      }
    })();

    // 3. The lookups, through the API of a server on the folder.
    s = await d.startCoffer(dataDir);
    const lookups: LookupCell[] = [];
    try {
      const lookup = async (name: string, body: Record<string, unknown>): Promise<void> => {
        const times: number[] = [];
        let events = 0;
        for (let i = 0; i < CALLS; i++) {
          const t = performance.now();
          const r = await d.call(s.port, 'cloudtrail', `${CT}LookupEvents`, { MaxResults: 50, ...body });
          times.push(performance.now() - t);
          events = (r.Events as unknown[] | undefined)?.length ?? 0;
        }
        const cell = { name, p50Ms: pct(times, 0.5), maxMs: Math.max(...times), events };
        lookups.push(cell);
        console.log(`audit: LookupEvents ${name.padEnd(44)} p50 ${cell.p50Ms.toFixed(1)} ms  max ${cell.maxMs.toFixed(1)} ms  (${events} events)`);
      };
      const attr = (k: string, v: string) => ({ LookupAttributes: [{ AttributeKey: k, AttributeValue: v }] });
      const busyKey = w.keys[0] as string;
      const quietKey = w.keys.at(-1) as string;
      await lookup('(no attribute)', {});
      await lookup('EventName=Encrypt', attr('EventName', 'Encrypt'));
      await lookup('EventName=CreateKey (rare)', attr('EventName', 'CreateKey'));
      await lookup('EventName=ScheduleKeyDeletion (rarest)', attr('EventName', 'ScheduleKeyDeletion'));
      await lookup('Username=alice', attr('Username', 'alice'));
      await lookup('Username=auditor (rare)', attr('Username', 'auditor'));
      await lookup('AccessKeyId (common)', attr('AccessKeyId', (w.callers[0] as Caller).accessKeyId));
      await lookup('AccessKeyId (rare)', attr('AccessKeyId', sample.rareAkid));
      await lookup('ResourceName (busiest key)', attr('ResourceName', busyKey));
      await lookup('ResourceName (quietest of 300 keys)', attr('ResourceName', quietKey));
      await lookup('ResourceName (rare: one key\'s deletion)', attr('ResourceName', w.rareKey));
      await lookup('ResourceType=AWS::KMS::Key', attr('ResourceType', 'AWS::KMS::Key'));
      await lookup('ResourceType=AWS::IAM::User (rare)', attr('ResourceType', 'AWS::IAM::User'));
      await lookup('EventSource=kms.amazonaws.com', attr('EventSource', 'kms.amazonaws.com'));
      await lookup('EventSource=iam.amazonaws.com (rare)', attr('EventSource', 'iam.amazonaws.com'));
      await lookup('ReadOnly=true', attr('ReadOnly', 'true'));
      await lookup('ReadOnly=false (rare)', attr('ReadOnly', 'false'));
      await lookup('EventId (a record half-way)', attr('EventId', sample.midEventId));
      const mid = span.from + 15 * DAY;
      const window = { StartTime: mid / 1000, EndTime: (mid + 3_600_000) / 1000 };
      await lookup('time window (1 h, 15 days ago)', window);
      await lookup('EventName=Decrypt in that window', { ...window, ...attr('EventName', 'Decrypt') });
      await lookup('EventName=CreateKey in that window (rare)', { ...window, ...attr('EventName', 'CreateKey') });
    } finally {
      await s.stop(); // signs a digest of the topped-up records
    }

    // 4. Bytes on disk, after a checkpoint.
    const db = new Database(file);
    let objects: AuditResult['objects'] = [];
    let records = 0;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      records = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM audit_records').get()?.n ?? 0;
      try {
        objects = db.prepare<[], { name: string; bytes: number }>(
          "SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name HAVING name LIKE '%audit%' OR name LIKE 'sqlite_autoindex_audit%' ORDER BY bytes DESC").all()
          .map((o) => ({ ...o, perRecord: o.bytes / records }));
      } catch { /* no dbstat in this SQLite */ }
    } finally {
      db.close();
    }
    const dbBytes = diskBytes(file);

    // 5. Reading every record (the store's reader, as verify reads them) against `coffer audit verify`.
    const ro = new Database(file, { readonly: true });
    let readSeconds: number;
    try {
      const t = performance.now();
      let n = 0;
      for (const r of auditRowsOf(ro, 1000)) if (r.seq > 0) n++;
      readSeconds = (performance.now() - t) / 1000;
      if (n !== records) throw new Error(`read ${n} of ${records} records`);
    } finally {
      ro.close();
    }
    const v = d.verifyCli(dataDir, ['--offline']);
    const verifyLine = v.stdout.split('\n').find((l) => l.startsWith('Audit trail')) ?? v.stderr.split('\n')[0] ?? '';
    console.log(`audit: read ${records} records in ${readSeconds.toFixed(2)} s; coffer audit verify ${v.seconds.toFixed(2)} s: ${verifyLine}`);
    return {
      records, generateSeconds, dbBytes, bytesPerRecord: dbBytes / records, objects, lookups,
      readSeconds, verifySeconds: v.seconds, verifyOk: v.status === 0, verifyLine,
    };
  } finally {
    d.removeDataDir(dataDir);
  }
}

export function auditMarkdown(r: AuditResult): { lines: string[]; targets: { target: string; value: string; met: boolean }[] } {
  const worst = Math.max(...r.lookups.map((l) => l.maxMs));
  const worstP50 = Math.max(...r.lookups.map((l) => l.p50Ms));
  return {
    lines: [
      `## Audit trail (${r.records.toLocaleString('en')} records, written in ${r.generateSeconds.toFixed(0)} s)`, '',
      `Bytes on disk per record: **${r.bytesPerRecord.toFixed(0)}** (${(r.dbBytes / 1e6).toFixed(0)} MB database incl. WAL after a checkpoint, all tables).`, '',
      ...(r.objects.length > 0 ? ['| Table or index | MB | bytes/record |', '|---|---:|---:|', ...r.objects.map((o) => `| ${o.name} | ${(o.bytes / 1e6).toFixed(1)} | ${o.perRecord.toFixed(0)} |`), ''] : []),
      `LookupEvents through the API, first page of 50, ${CALLS} calls each:`, '',
      '| Lookup | p50 ms | max ms | events |', '|---|---:|---:|---:|',
      ...r.lookups.map((l) => `| ${l.name} | ${l.p50Ms.toFixed(1)} | ${l.maxMs.toFixed(1)} | ${l.events} |`), '',
      `Reading every record through the store's reader: ${r.readSeconds.toFixed(2)} s; \`coffer audit verify\` (the CLI, start to exit): ${r.verifySeconds.toFixed(2)} s (${(r.verifySeconds / r.readSeconds).toFixed(2)}x). ${r.verifyLine}`, '',
    ],
    targets: [
      { target: 'audit bytes on disk per record ≤ 400', value: r.bytesPerRecord.toFixed(0), met: r.bytesPerRecord <= 400 },
      { target: 'every LookupEvents < 50 ms on the trail (p50 / max)', value: `${worstP50.toFixed(1)} / ${worst.toFixed(1)} ms`, met: worst < 50 },
      { target: 'audit verify within 2x of reading the records', value: `${(r.verifySeconds / r.readSeconds).toFixed(2)}x`, met: r.verifyOk && r.verifySeconds <= 2 * r.readSeconds },
    ],
  };
}
