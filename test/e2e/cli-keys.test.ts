/**
 * `coffer keys …` run as a process (the build, through cofferArgs('cli')) against a real server:
 * credentials from the environment and from a profile of a temporary ~/.aws, JSON and table
 * output, AWS error names on refusals; help and usage errors of every command.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateGrantCommand } from '@aws-sdk/client-kms';
import { cofferArgs } from '../../scripts/server-command.ts';
import { REGION, removeDataDir, startCoffer, type Coffer } from './harness.ts';

let coffer: Coffer;
let dir: string;

before(async () => {
  coffer = await startCoffer();
  dir = mkdtempSync(join(tmpdir(), 'coffer-cli-keys-'));
  writeFileSync(join(dir, 'credentials'), `[cli-test]\naws_access_key_id = ${coffer.credentials.accessKeyId}\naws_secret_access_key = ${coffer.credentials.secretAccessKey}\n`);
  writeFileSync(join(dir, 'config'), `[profile cli-test]\nregion = ${REGION}\n`);
});

after(async () => {
  await coffer.stop();
  removeDataDir(coffer.dataDir);
  rmSync(dir, { recursive: true, force: true });
});

/** Nothing from the real ~/.aws; credentials from the environment unless `profile`. */
function env(opts: { profile?: boolean; extra?: Record<string, string> } = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '', HOME: dir, AWS_EC2_METADATA_DISABLED: 'true',
    ...(opts.profile === true
      ? { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') }
      : {
          AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_CONFIG_FILE: join(dir, 'none'), AWS_DEFAULT_REGION: REGION,
          AWS_ACCESS_KEY_ID: coffer.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: coffer.credentials.secretAccessKey,
        }),
    ...opts.extra,
  };
}

interface Run { status: number | null; stdout: string; stderr: string }

function coff(args: readonly string[], e: Record<string, string> = env()): Run {
  const r = spawnSync(process.execPath, [...cofferArgs('cli'), ...args], { env: e, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A run against the test server that must succeed; its JSON output. */
function json<T>(args: readonly string[], e?: Record<string, string>): T {
  const r = coff([...args, '--endpoint-url', coffer.endpoint], e);
  assert.equal(r.status, 0, `coffer ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface Row { KeyId: string; Aliases: string[]; KeyState: string; KeySpec: string; KeyUsage: string; Description: string }

test('keys create with an alias, list (JSON and table, env and profile credentials), describe, rotate, rotations', () => {
  const made = json<{ KeyId: string; Arn: string; AliasName: string; Description: string }>(['keys', 'create', '--description', 'made by coffer keys', '--alias', 'cli-test']);
  assert.match(made.KeyId, /^[0-9a-f-]{36}$/);
  assert.equal(made.AliasName, 'alias/cli-test');
  assert.equal(made.Description, 'made by coffer keys');

  const rows = json<Row[]>(['keys', 'list']);
  const row = rows.find((r) => r.KeyId === made.KeyId);
  assert.deepEqual(row, { KeyId: made.KeyId, Aliases: ['alias/cli-test'], KeyState: 'Enabled', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Description: 'made by coffer keys' });

  // A profile of the credentials file (its region from the config file) and the endpoint from AWS_ENDPOINT_URL_KMS.
  const table = coff(['keys', 'list', '--profile', 'cli-test', '--output', 'table'], env({ profile: true, extra: { AWS_ENDPOINT_URL_KMS: coffer.endpoint } }));
  assert.equal(table.status, 0, table.stderr);
  const line = table.stdout.split('\n').find((l) => l.includes(made.KeyId));
  assert.ok(line, table.stdout);
  assert.match(line, /alias\/cli-test .*Enabled .*SYMMETRIC_DEFAULT .*ENCRYPT_DECRYPT .*made by coffer keys/);
  assert.match(table.stdout, /Key id .*Aliases .*State .*Spec .*Usage .*Description/);

  const noProfile = coff(['keys', 'list', '--profile', 'nobody', '--endpoint-url', coffer.endpoint], env({ profile: true }));
  assert.equal(noProfile.status, 1, 'an unknown profile has no credentials');

  const described = json<{ KeyId: string; Aliases: string[]; KeyState: string }>(['keys', 'describe', 'alias/cli-test']);
  assert.equal(described.KeyId, made.KeyId);
  assert.deepEqual(described.Aliases, ['alias/cli-test']);
  const describedTable = coff(['keys', 'describe', made.KeyId, '--output', 'table', '--endpoint-url', coffer.endpoint]);
  assert.equal(describedTable.status, 0, describedTable.stderr);
  assert.match(describedTable.stdout, /KeyState .*Enabled/);

  assert.equal(json<{ KeyId: string }>(['keys', 'rotate', made.Arn]).KeyId, made.Arn);
  const rotations = json<{ KeyId: string; RotationType: string; RotationDate: string }[]>(['keys', 'rotations', made.KeyId]);
  assert.equal(rotations.length, 1);
  assert.equal(rotations[0]?.RotationType, 'ON_DEMAND');
  assert.ok(!Number.isNaN(Date.parse(rotations[0]?.RotationDate ?? '')));

  const missing = coff(['keys', 'describe', 'alias/none', '--endpoint-url', coffer.endpoint]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^coffer keys describe: NotFoundException: /);
});

test('keys policy get and put (a bad policy refused by name), grants list, schedule-deletion and cancel-deletion', async () => {
  const { KeyId } = json<{ KeyId: string }>(['keys', 'create']);
  const policy = json<{ Version: string; Statement: { Sid?: string }[] }>(['keys', 'policy', 'get', KeyId]);
  assert.ok(Array.isArray(policy.Statement) && policy.Statement.length > 0);

  const changed = { ...policy, Statement: policy.Statement.map((s, i) => (i === 0 ? { ...s, Sid: 'FromCofferCli' } : s)) };
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(changed));
  const put = coff(['keys', 'policy', 'put', KeyId, '--file', join(dir, 'policy.json'), '--endpoint-url', coffer.endpoint]);
  assert.equal(put.status, 0, put.stderr);
  assert.equal(json<typeof policy>(['keys', 'policy', 'get', KeyId]).Statement[0]?.Sid, 'FromCofferCli');

  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Principal: '*', Action: 'kms:*', Resource: '*' }] }));
  const bad = coff(['keys', 'policy', 'put', KeyId, '--file', join(dir, 'bad.json'), '--endpoint-url', coffer.endpoint]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /MalformedPolicyDocumentException: /);
  writeFileSync(join(dir, 'not-json.json'), '{"Version": ');
  const notJson = coff(['keys', 'policy', 'put', KeyId, '--file', join(dir, 'not-json.json'), '--endpoint-url', coffer.endpoint]);
  assert.equal(notJson.status, 1);
  assert.match(notJson.stderr, /not-json\.json is not JSON/);

  assert.deepEqual(json<unknown[]>(['keys', 'grants', 'list', KeyId]), []);
  const grantee = `arn:aws:iam::${'111122223333'}:role/cli-grantee`;
  const grant = await coffer.client().send(new CreateGrantCommand({ KeyId, GranteePrincipal: grantee, Operations: ['Decrypt', 'Encrypt'], Name: 'cli-grant' }));
  const grants = json<{ GrantId: string; Name: string; GranteePrincipal: string; Operations: string[] }[]>(['keys', 'grants', 'list', KeyId]);
  assert.equal(grants.length, 1);
  assert.equal(grants[0]?.GrantId, grant.GrantId);
  assert.equal(grants[0]?.GranteePrincipal, grantee);
  assert.deepEqual([...grants[0]?.Operations ?? []].sort(), ['Decrypt', 'Encrypt']);
  const grantsTable = coff(['keys', 'grants', 'list', KeyId, '--output', 'table', '--endpoint-url', coffer.endpoint]);
  assert.match(grantsTable.stdout, /cli-grant .*role\/cli-grantee/);

  const scheduled = json<{ KeyId: string; KeyState: string; PendingWindowInDays: number; DeletionDate: string }>(['keys', 'schedule-deletion', KeyId, '--days', '7']);
  assert.equal(scheduled.KeyState, 'PendingDeletion');
  assert.equal(scheduled.PendingWindowInDays, 7);
  assert.equal(json<{ KeyState: string }>(['keys', 'describe', KeyId]).KeyState, 'PendingDeletion');
  json(['keys', 'cancel-deletion', KeyId]);
  assert.equal(json<{ KeyState: string }>(['keys', 'describe', KeyId]).KeyState, 'Disabled');
  const again = coff(['keys', 'cancel-deletion', KeyId, '--endpoint-url', coffer.endpoint]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /KMSInvalidStateException: /);
});

const COMMANDS = [
  [], ['keys'], ['keys', 'list'], ['keys', 'create'], ['keys', 'describe'], ['keys', 'rotate'], ['keys', 'rotations'],
  ['keys', 'schedule-deletion'], ['keys', 'cancel-deletion'], ['keys', 'policy'], ['keys', 'policy', 'get'], ['keys', 'policy', 'put'],
  ['keys', 'grants'], ['keys', 'grants', 'list'], ['encrypt'], ['decrypt'],
  ['hsm'], ['hsm', 'cluster'], ['hsm', 'cluster', 'activate'], ['hsm', 'user'], ['hsm', 'user', 'create'], ['hsm', 'user', 'list'],
  ['hsm', 'user', 'change-password'], ['hsm', 'user', 'delete'],
  ['accounts'], ['accounts', 'create'], ['accounts', 'list'], ['audit'], ['audit', 'verify'], ['audit', 'export'], ['audit', 'public-key'],
  ['audit', 'prune'], ['migrate-storage'], ['seal'], ['seal', 'migrate'], ['backup'], ['backup', 'create'], ['backup', 'restore'],
];

test('--help and -h on every command exit 0 with its usage; --version; unknown commands and bad options exit 2', () => {
  for (const c of COMMANDS) {
    for (const flag of c.length < 2 ? ['--help', '-h'] : ['--help']) {
      const r = coff([...c, flag]);
      assert.equal(r.status, 0, `coffer ${[...c, flag].join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: coffer ${c.join(' ')}`), c.join(' '));
    }
  }
  const v = coff(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
  for (const args of [['bogus'], ['keys', 'bogus'], ['keys', 'list', '--bogus'], ['keys', 'describe'], ['keys', 'list', '--output', 'yaml'],
    ['keys', 'schedule-deletion', 'k', '--days', '3'], ['keys', 'policy', 'put', 'k'], ['keys', 'list', '--endpoint-url', 'not a url'], []]) {
    const r = coff(args);
    assert.equal(r.status, 2, `coffer ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.notEqual(r.stderr, '');
  }
});
