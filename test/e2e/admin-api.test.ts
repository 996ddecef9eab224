/**
 * The admin API (CofferAdminService, operations/coffer/admin.ts) end to end: a real server (SQLite:
 * the offline path's refusal is the data folder's owner lock) and the `coffer accounts` CLI. The
 * CLI adds an account while the server runs and its root credentials (from the written file) work
 * at once; list shows it; a duplicate is EntityAlreadyExistsException; an IAM user of the home
 * account needs `coffer:CreateAccount` / `coffer:ListAccounts`; another account's principals are
 * refused; no new secret reaches a log line, a LookupEvents record or the raw audit table; and the
 * offline path refuses while the server runs and works once it is stopped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { ACCOUNT_ID, iamQuery, REGION, removeDataDir, startCoffer, xmlText, type Coffer, type Credentials } from './harness.ts';
import { cofferArgs } from '../../scripts/server-command.ts';

const OTHER = '444455556666';
const THIRD = '555566667777';
const OFFLINE = '666677778888';
const CT_TARGET = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';

let coffer: Coffer;
let work: string;
/** Every secret the server handed out: none may be in a log line or an audit record. */
const secrets: string[] = [];

before(async () => {
  coffer = await startCoffer({ backend: 'sqlite', env: { COFFER_LOG_LEVEL: 'debug', COFFER_AUDIT_FLUSH_MS: '100' } });
  work = mkdtempSync(join(tmpdir(), 'coffer-admin-cli-'));
});
after(async () => {
  await coffer.stop();
  removeDataDir(coffer.dataDir);
  rmSync(work, { recursive: true, force: true });
});

interface Run { status: number | null; stdout: string; stderr: string }

/** `coffer accounts …` run in the work folder with `creds` (default: the home account's root); `env` adds to its environment. */
function accounts(args: string[], creds: Credentials = coffer.credentials, env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [...cofferArgs('cli'), 'accounts', ...args], {
    cwd: work, encoding: 'utf8', timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? '', HOME: '/nonexistent', AWS_ENDPOINT_URL: coffer.endpoint, AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, ...env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const credentialsFile = (r: Run, accountId: string): string =>
  new RegExp(`Root credentials \\(account ${accountId}\\): (\\S+)`).exec(r.stdout)?.[1] ?? assert.fail(`no credentials path in: ${r.stdout}${r.stderr}`);

function readCredentials(file: string): Credentials & { accountId: string } {
  const c = JSON.parse(readFileSync(file, 'utf8')) as Credentials & { accountId: string };
  secrets.push(c.secretAccessKey);
  return c;
}

const iam = (creds: Credentials, params: Record<string, string>): Promise<string> => iamQuery(coffer, creds, params);
const xml = xmlText;

async function lookupRecords(eventName: string): Promise<Record<string, unknown>[]> {
  const r = await coffer.raw({
    body: JSON.stringify({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }], MaxResults: 50 }), service: 'cloudtrail',
    headers: { 'x-amz-target': `${CT_TARGET}LookupEvents`, 'content-type': 'application/x-amz-json-1.1' },
  });
  assert.equal(r.status, 200, r.body);
  const events = (JSON.parse(r.body) as { Events?: { CloudTrailEvent: string }[] }).Events ?? [];
  return events.map((e) => JSON.parse(e.CloudTrailEvent) as Record<string, unknown>);
}

let other: Credentials;

test('accounts create while the server runs: the new root works at once; list shows it; a duplicate is refused by name', async () => {
  const made = accounts(['create', OTHER]);
  assert.equal(made.status, 0, made.stderr);
  const file = credentialsFile(made, OTHER);
  assert.equal(file, join(work, 'accounts', OTHER, 'root-credentials.json'), 'the default --out is ./accounts/<id>/root-credentials.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(work, 'accounts', OTHER)).mode & 0o777, 0o700);
  const creds = readCredentials(file);
  assert.equal(creds.accountId, OTHER);
  assert.match(creds.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
  assert.ok(!made.stdout.includes(creds.secretAccessKey) && !made.stderr.includes(creds.secretAccessKey), 'the secret is only in the file');
  other = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey };

  // No restart: the running server knows the account and its root at once.
  const kms = coffer.client(REGION, other);
  const arn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? '';
  assert.match(arn, new RegExp(`^arn:aws:kms:${REGION}:${OTHER}:key/`));
  const blob = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('hello') }))).CiphertextBlob;
  assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString(), 'hello');

  const listed = accounts(['list']);
  assert.equal(listed.status, 0, listed.stderr);
  const ids = (JSON.parse(listed.stdout) as { Accounts: { AccountId: string; CreatedAt: string }[] }).Accounts.map((a) => a.AccountId);
  assert.deepEqual(ids, [ACCOUNT_ID, OTHER]);
  const table = accounts(['list', '--output', 'table']);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`│ ${OTHER} +│ \\d{4}-\\d\\d-\\d\\dT`));

  const twice = accounts(['create', OTHER, '--out', join(work, 'twice.json')]);
  assert.equal(twice.status, 1);
  assert.match(twice.stderr, new RegExp(`EntityAlreadyExistsException: Account ${OTHER} exists already`));
  assert.equal(existsSync(join(work, 'twice.json')), false, 'a refused call leaves no credentials file');
  const home = accounts(['create', ACCOUNT_ID, '--out', join(work, 'home.json')]);
  assert.equal(home.status, 1);
  assert.match(home.stderr, /EntityAlreadyExistsException: .*home account/);
  // The file is never overwritten: the server is not even asked.
  const again = accounts(['create', THIRD, '--out', file]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists already: choose another --out/);
  assert.equal(accounts(['create', '12345']).status, 2);
});

test('who may administer: the home account\'s IAM principals when their policies allow it; another account never', async () => {
  await iam(coffer.credentials, { Action: 'CreateUser', UserName: 'ops' });
  const key = await iam(coffer.credentials, { Action: 'CreateAccessKey', UserName: 'ops' });
  const ops = { accessKeyId: xml(key, 'AccessKeyId'), secretAccessKey: xml(key, 'SecretAccessKey') };
  const out = join(work, 'third.json');

  const denied = accounts(['create', THIRD, '--out', out], ops);
  assert.equal(denied.status, 1);
  assert.match(denied.stderr, /AccessDeniedException: User: arn:aws:iam::111122223333:user\/ops is not authorized to perform: coffer:CreateAccount/);
  assert.equal(existsSync(out), false);
  assert.match(accounts(['list'], ops).stderr, /AccessDeniedException: .*coffer:ListAccounts/);

  const allow = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'coffer:CreateAccount', Resource: '*' }] });
  await iam(coffer.credentials, { Action: 'PutUserPolicy', UserName: 'ops', PolicyName: 'admin', PolicyDocument: allow });
  const made = accounts(['create', THIRD, '--out', out], ops);
  assert.equal(made.status, 0, made.stderr);
  assert.equal(credentialsFile(made, THIRD), out);
  const third = readCredentials(out);
  assert.equal(third.accountId, THIRD);
  // Still no coffer:ListAccounts: the policy allows one action, not the other.
  assert.match(accounts(['list'], ops).stderr, /AccessDeniedException/);

  // Another account's root, and its IAM users, are refused whatever their policies say.
  const byOther = accounts(['create', OFFLINE, '--out', join(work, 'nope.json')], other);
  assert.equal(byOther.status, 1);
  assert.match(byOther.stderr, new RegExp(`AccessDeniedException: User: arn:aws:iam::${OTHER}:root is not authorized to perform: coffer:CreateAccount: only principals of the home account`));
  assert.equal(accounts(['list'], other).status, 1);
  await iam(other, { Action: 'CreateUser', UserName: 'boss' });
  const all = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'coffer:*', Resource: '*' }] });
  await iam(other, { Action: 'PutUserPolicy', UserName: 'boss', PolicyName: 'all', PolicyDocument: all });
  const bossKey = await iam(other, { Action: 'CreateAccessKey', UserName: 'boss' });
  const boss = { accessKeyId: xml(bossKey, 'AccessKeyId'), secretAccessKey: xml(bossKey, 'SecretAccessKey') };
  assert.match(accounts(['list'], boss).stderr, /AccessDeniedException: .*only principals of the home account/);
});

test('audited: CreateAccount records name the account and the new access key id, never the secret (LookupEvents, audit table, log)', async () => {
  const records = await lookupRecords('CreateAccount');
  const ok = records.filter((r) => r.errorCode === undefined);
  assert.equal(ok.length, 2, 'two accounts created through the API');
  for (const r of records) assert.equal(r.eventSource, 'coffer.amazonaws.com');
  const first = ok.find((r) => (r.requestParameters as { accountId?: string } | null)?.accountId === OTHER) ?? assert.fail(JSON.stringify(ok));
  assert.equal(first.readOnly, false);
  assert.deepEqual(first.responseElements, { accountId: OTHER, rootAccessKeyId: other.accessKeyId });
  assert.ok(records.some((r) => r.errorCode === 'EntityAlreadyExistsException'));
  assert.ok(records.some((r) => r.errorCode === 'AccessDeniedException' && (r.userIdentity as { userName?: string }).userName === 'ops'));
  assert.ok((await lookupRecords('ListAccounts')).every((r) => r.eventSource === 'coffer.amazonaws.com' && r.readOnly === true));

  const db = new Database(join(coffer.dataDir, 'coffer.db'), { readonly: true });
  const rows = db.prepare<[], { record: string }>('SELECT record FROM audit_records').all().map((r) => r.record).join('\n');
  db.close();
  assert.match(rows, /"eventName":"CreateAccount"/);
  assert.equal(secrets.length, 2);
  for (const s of secrets) {
    assert.equal(rows.includes(s), false, 'the audit table holds no new secret');
    assert.equal(JSON.stringify(records).includes(s), false, 'LookupEvents answers no new secret');
    assert.equal(coffer.output().includes(s), false, 'no log line holds a new secret');
  }
});

test('offline: refused while the server runs (with what to do), works with the server stopped', async () => {
  const env = { COFFER_DATA_DIR: coffer.dataDir };
  const busy = accounts(['create', OFFLINE, '--offline'], coffer.credentials, env);
  assert.equal(busy.status, 1);
  assert.match(busy.stderr, /in use: a running Coffer server holds its owner lock\. Stop the server.*leave out --offline\/--data-dir/);
  assert.equal(accounts(['list', '--data-dir', coffer.dataDir]).status, 1);

  assert.equal(await coffer.stop(), 0);
  const made = accounts(['create', OFFLINE, '--data-dir', coffer.dataDir]);
  assert.equal(made.status, 0, made.stderr);
  assert.equal(credentialsFile(made, OFFLINE), join(coffer.dataDir, 'accounts', OFFLINE, 'root-credentials.json'));
  assert.equal(readCredentials(join(coffer.dataDir, 'accounts', OFFLINE, 'root-credentials.json')).accountId, OFFLINE);
  const listed = accounts(['list', '--offline'], coffer.credentials, env);
  assert.equal(listed.status, 0, listed.stderr);
  for (const id of [ACCOUNT_ID, OTHER, THIRD, OFFLINE]) assert.match(listed.stdout, new RegExp(`^${id} `, 'm'));
  assert.match(accounts(['create', OTHER, '--offline'], coffer.credentials, env).stderr, new RegExp(`Account ${OTHER} exists already`));
  // Without --offline there is no server to ask: said plainly.
  const down = accounts(['list']);
  assert.equal(down.status, 1);
  assert.match(down.stderr, /could not reach http:\/\/127\.0\.0\.1:\d+/);
});
