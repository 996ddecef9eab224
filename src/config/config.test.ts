import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_PKCS11_MODULE, loadConfig, SETTINGS } from './config.ts';

test('defaults are the documented ones', () => {
  const c = loadConfig({});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8400);
  assert.equal(c.dataDir, './data');
  assert.equal(c.region, 'us-east-1');
  assert.equal(c.accountId, '111122223333');
  assert.equal(c.rootAccessKeyId, undefined);
  assert.equal(c.testMode, false);
  assert.ok(Object.isFrozen(c));
});

test('values are read from the table names', () => {
  const c = loadConfig({ COFFER_PORT: '9000', COFFER_REGION: 'eu-west-1', COFFER_ACCOUNT_ID: '444455556666', COFFER_TEST_MODE: 'true' });
  assert.deepEqual([c.port, c.region, c.accountId, c.testMode], [9000, 'eu-west-1', '444455556666', true]);
});

test('every bad value names its variable', () => {
  const bad: Record<string, string> = {
    COFFER_PORT: '-1', COFFER_REGION: 'US_EAST', COFFER_ACCOUNT_ID: 'abc', COFFER_TEST_MODE: 'yes please',
    COFFER_LOG_LEVEL: 'chatty', COFFER_SCHEDULER_INTERVAL_MS: '5', COFFER_HOST: 'bad host!',
  };
  for (const [name, value] of Object.entries(bad)) {
    assert.throws(() => loadConfig({ [name]: value }), (e: Error) => e instanceof ConfigError && e.message.includes(name), name);
  }
});

test('root credentials come in pairs', () => {
  assert.throws(() => loadConfig({ COFFER_ROOT_ACCESS_KEY_ID: 'AKIAEXAMPLE000000' }), /together/);
  const c = loadConfig({ COFFER_ROOT_ACCESS_KEY_ID: 'AKIAEXAMPLE000000', COFFER_ROOT_SECRET_ACCESS_KEY: 'secret-secret-secret' });
  assert.equal(c.rootAccessKeyId, 'AKIAEXAMPLE000000');
});

test('every setting is documented', () => {
  for (const s of SETTINGS) {
    assert.match(s.env, /^COFFER_[A-Z][A-Z0-9_]+$/);
    assert.ok(s.doc.length > 10, s.env);
  }
});

test('the README configuration table is this table', async () => {
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const s of SETTINGS) {
    const fallback = s.fallback === '' ? '(unset)' : `\`${s.fallback}\``;
    assert.ok(readme.includes(`| \`${s.env}\` | ${fallback} | ${s.doc} |`), `README row for ${s.env}`);
  }
});

test('COFFER_REGIONS: every region name by default; a list restricts, the home region always served and first; the list is checked', () => {
  assert.equal(loadConfig({}).regions, 'any');
  assert.equal(loadConfig({ COFFER_REGIONS: 'any' }).regions, 'any');
  assert.deepEqual(loadConfig({ COFFER_REGIONS: 'us-west-2,eu-west-1' }).regions, ['us-east-1', 'us-west-2', 'eu-west-1']);
  assert.deepEqual(loadConfig({ COFFER_REGION: 'eu-west-1', COFFER_REGIONS: 'us-west-2,eu-west-1' }).regions, ['eu-west-1', 'us-west-2']);
  assert.deepEqual(loadConfig({ COFFER_REGIONS: '' }).regions, ['us-east-1']);
  assert.deepEqual(loadConfig({ COFFER_REGIONS: ' ap-south-1 , us-east-1,ca-central-1' }).regions, ['us-east-1', 'ap-south-1', 'ca-central-1']);
  assert.throws(() => loadConfig({ COFFER_REGIONS: 'us-west-2,Mars' }), (e: Error) => e instanceof ConfigError && /COFFER_REGIONS.*'Mars'/.test(e.message));
});

test('overload settings: defaults, and every bad value names its variable', () => {
  const c = loadConfig({});
  assert.deepEqual(
    [c.maxConnections, c.headersTimeoutSeconds, c.requestTimeoutSeconds, c.keepAliveTimeoutSeconds, c.admissionQueueMs],
    [512, 10, 30, 65, 25],
  );
  assert.deepEqual([c.quotaCryptoRps, c.quotaAsymmetricRps, c.quotaCreateKeyRps], [10_000, 1000, 5]);
  assert.equal(c.kmsQuotas.get('CreateKey')?.perSecond, 5);
  assert.equal(c.kmsQuotas.get('DescribeKey')?.perSecond, 2000);
  const bad: Record<string, string> = {
    COFFER_MAX_CONNECTIONS: '0', COFFER_HEADERS_TIMEOUT_S: '0', COFFER_REQUEST_TIMEOUT_S: 'soon', COFFER_KEEP_ALIVE_TIMEOUT_S: '-5',
    COFFER_ADMISSION_QUEUE_MS: '1.5', COFFER_QUOTA_CRYPTO_RPS: 'lots', COFFER_QUOTA_ASYMMETRIC_RPS: '-1', COFFER_QUOTA_CREATE_KEY_RPS: '1e3',
    COFFER_QUOTA_MANAGEMENT_RPS: 'aws,Encrypt=5',
  };
  for (const [name, value] of Object.entries(bad)) {
    assert.throws(() => loadConfig({ [name]: value }), (e: Error) => e instanceof ConfigError && e.message.includes(name), name);
  }
  assert.throws(() => loadConfig({ COFFER_HEADERS_TIMEOUT_S: '20', COFFER_REQUEST_TIMEOUT_S: '10' }), (e: Error) => e instanceof ConfigError && /COFFER_REQUEST_TIMEOUT_S.*COFFER_HEADERS_TIMEOUT_S/.test(e.message));
});

test('quota settings of 0 remove the quotas; the management setting changes single operations', () => {
  const off = loadConfig({ COFFER_QUOTA_CRYPTO_RPS: '0', COFFER_QUOTA_ASYMMETRIC_RPS: '0', COFFER_QUOTA_CREATE_KEY_RPS: '0', COFFER_QUOTA_MANAGEMENT_RPS: '0' });
  assert.equal(off.kmsQuotas.size, 0);
  const some = loadConfig({ COFFER_QUOTA_MANAGEMENT_RPS: 'aws,DescribeKey=3', COFFER_QUOTA_CREATE_KEY_RPS: '0.5' });
  assert.equal(some.kmsQuotas.get('DescribeKey')?.perSecond, 3);
  assert.equal(some.kmsQuotas.get('ListKeys')?.perSecond, 500);
  assert.equal(some.kmsQuotas.get('CreateKey')?.perSecond, 0.5);
});

test('COFFER_PKCS11_MODULE: unset is SoftHSM2 where it is installed; a set value is an absolute path to a file', async () => {
  const { existsSync, mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  assert.equal(loadConfig({}).pkcs11Module, existsSync(DEFAULT_PKCS11_MODULE) ? DEFAULT_PKCS11_MODULE : undefined);
  const dir = mkdtempSync(join(tmpdir(), 'coffer-config-'));
  try {
    const module = join(dir, 'libvendor-pkcs11.so');
    writeFileSync(module, '');
    assert.equal(loadConfig({ COFFER_PKCS11_MODULE: module }).pkcs11Module, module);
    for (const bad of ['libsofthsm2.so', join(dir, 'missing.so'), dir]) {
      assert.throws(() => loadConfig({ COFFER_PKCS11_MODULE: bad }), (e: Error) => e instanceof ConfigError && e.message.includes('COFFER_PKCS11_MODULE'), bad);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('COFFER_TLS_CERT and COFFER_TLS_KEY: both or neither, made absolute; one alone names the other', () => {
  const plain = loadConfig({});
  assert.deepEqual([plain.tlsCert, plain.tlsKey], [undefined, undefined]);
  const c = loadConfig({ COFFER_TLS_CERT: 'tls/server.pem', COFFER_TLS_KEY: '/etc/coffer/server.key' });
  assert.equal(c.tlsCert, `${process.cwd()}/tls/server.pem`);
  assert.equal(c.tlsKey, '/etc/coffer/server.key');
  assert.throws(() => loadConfig({ COFFER_TLS_CERT: '/x.pem' }), (e: Error) => e instanceof ConfigError && /COFFER_TLS_CERT is set but COFFER_TLS_KEY is not/.test(e.message));
  assert.throws(() => loadConfig({ COFFER_TLS_KEY: '/x.key' }), (e: Error) => e instanceof ConfigError && /COFFER_TLS_KEY is set but COFFER_TLS_CERT is not/.test(e.message));
});
