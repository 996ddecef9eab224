/** `coffer hsm`'s own rules: HSM login from the environment, AWS settings as the AWS CLI reads them, cloudhsm-cli's output. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsSettings, hsmCredentials, runHsmCli } from './client.ts';

test('CLOUDHSM_ROLE and CLOUDHSM_PIN: user:password split at the first colon; missing or malformed is a clear message', () => {
  assert.deepEqual(hsmCredentials({ CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: 'admin:pa:ss word' }), { Username: 'admin', Role: 'admin', Password: 'pa:ss word' });
  assert.throws(() => hsmCredentials({}), /CLOUDHSM_ROLE .*CLOUDHSM_PIN/);
  assert.throws(() => hsmCredentials({ CLOUDHSM_ROLE: 'admin' }), /CLOUDHSM_PIN/);
  assert.throws(() => hsmCredentials({ CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: 'nocolon' }), /<username>:<password>/);
  assert.throws(() => hsmCredentials({ CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: ':pw' }), /<username>:<password>/);
  assert.throws(() => hsmCredentials({ CLOUDHSM_ROLE: 'root', CLOUDHSM_PIN: 'a:b' }), /admin or crypto-user/);
});

test('AWS settings: environment first, else the profile of the credentials and config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-aws-'));
  try {
    writeFileSync(join(dir, 'credentials'), '[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = secretfile\n[other]\naws_access_key_id=AKIAOTHER\naws_secret_access_key=s2\naws_session_token=tok\n');
    writeFileSync(join(dir, 'config'), '[default]\nregion = eu-west-1\n[profile other]\nregion=ap-south-1\n');
    const files = { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') };
    assert.deepEqual(awsSettings({ ...files, AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'us-west-2' }),
      { region: 'us-west-2', credentials: { accessKeyId: 'AKIAENV', secretAccessKey: 's' } });
    assert.deepEqual(awsSettings(files), { region: 'eu-west-1', credentials: { accessKeyId: 'AKIAFILE', secretAccessKey: 'secretfile' } });
    assert.deepEqual(awsSettings({ ...files, AWS_PROFILE: 'other', AWS_DEFAULT_REGION: 'us-east-2' }),
      { region: 'us-east-2', credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 's2', sessionToken: 'tok' } });
    assert.throws(() => awsSettings({ AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_CONFIG_FILE: join(dir, 'none') }), /no AWS credentials/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('failures are cloudhsm-cli JSON with error_code 1: unknown commands, missing options, no login', async () => {
  const env = { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' };
  const unknown = await runHsmCli(['quorum', 'token-sign', 'frobnicate'], env);
  assert.equal(unknown.exitCode, 1);
  assert.match((JSON.parse(unknown.output) as { data: string }).data, /unknown command/);
  const missing = await runHsmCli(['user', 'list', '--endpoint-url', 'http://127.0.0.1:1'], env);
  assert.deepEqual(JSON.parse(missing.output), { error_code: 1, data: 'the following required argument was not provided: --cluster-id' });
  const noLogin = await runHsmCli(['user', 'create', '--cluster-id', 'c', '--username', 'u', '--role', 'admin', '--password', 'p', '--endpoint-url', 'http://127.0.0.1:1'], env);
  assert.match((JSON.parse(noLogin.output) as { data: string }).data, /CLOUDHSM_ROLE/);
  const unreachable = await runHsmCli(['user', 'list', '--cluster-id', 'c', '--endpoint-url', 'http://127.0.0.1:1'], env);
  assert.match((JSON.parse(unreachable.output) as { data: string }).data, /could not reach/);
});
