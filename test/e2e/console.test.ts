/**
 * The web console (/console) in a real browser: playwright-core drives Debian's Chromium (never a
 * downloaded one) against a real Coffer. It logs in with the root credentials, creates a key, edits
 * its policy (malformed JSON stopped in the browser, a bad policy refused with the server's
 * MalformedPolicyDocumentException message, a good one saved and read back), finds the CreateKey in
 * the audit view and opens its record, sees the activity chart, and checks that its screenshots are
 * not blank, that the page carries the strict CSP and that nothing broke it (no violation), and
 * that no credential is kept beyond memory. Without /usr/bin/chromium it skips, except with CI=true.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DescribeKeyCommand, GetKeyPolicyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { CloudHSMV2Client, CreateClusterCommand } from '@aws-sdk/client-cloudhsm-v2';
import { ACCOUNT_ID, REGION, removeDataDir, startCoffer, type Coffer } from './harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true' ? "install Debian's chromium (apt-get install chromium)" : false;
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let coffer: Coffer;
let kms: KMSClient;
let browser: Browser;
let page: Page;
let shots: string;
let keyId = '';
const consoleMessages: string[] = [];
const pageErrors: string[] = [];
const targets: string[] = [];

before(async () => {
  if (skip) return;
  // The in-memory HSM tier (test mode) lets the HSM page show a cluster.
  coffer = await startCoffer({ env: { COFFER_AUDIT_FLUSH_MS: '100', COFFER_TEST_MODE: 'true', COFFER_TEST_HSM: 'memory' } });
  kms = coffer.client();
  // COFFER_TEST_SCREENSHOTS=<folder> keeps the screenshots there; else they go to a temporary folder, removed after.
  shots = process.env.COFFER_TEST_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'coffer-console-shots-'));
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // A fresh context is a fresh profile: no cookies, no storage.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => consoleMessages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => { const t = r.headers()['x-amz-target']; if (t !== undefined) targets.push(t); });
  // Evaluated by the browser before the page's own scripts (outside the page's CSP): records every CSP violation.
  await context.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await coffer?.stop();
  if (coffer) removeDataDir(coffer.dataDir);
  if (shots && process.env.COFFER_TEST_SCREENSHOTS === undefined) rmSync(shots, { recursive: true, force: true });
});

/** Takes a screenshot and checks, by decoding it in a blank page of the same browser, that it is not blank. */
async function screenshot(name: string): Promise<void> {
  const png = await page.screenshot({ fullPage: true });
  writeFileSync(join(shots, `${name}.png`), png);
  const probe = await page.context().newPage();
  try {
    const stats = await probe.evaluate(async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const g = canvas.getContext('2d');
      if (g === null) throw new Error('no 2d context');
      g.drawImage(img, 0, 0);
      const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
      const counts = new Map<number, number>();
      for (let i = 0; i < data.length; i += 4) {
        const c = ((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
      const pixels = data.length / 4;
      const dominant = Math.max(...counts.values());
      return { width: canvas.width, height: canvas.height, colours: counts.size, otherThanDominant: (pixels - dominant) / pixels };
    }, png.toString('base64'));
    assert.ok(stats.width >= 1000 && stats.height >= 600, `${name}: ${JSON.stringify(stats)}`);
    assert.ok(stats.colours >= 16, `${name} looks blank: ${JSON.stringify(stats)}`);
    assert.ok(stats.otherThanDominant > 0.02, `${name} looks blank: ${JSON.stringify(stats)}`);
  } finally {
    await probe.close();
  }
}

/** A GET with `path` sent exactly as given (node:http does not normalize it). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: coffer.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GET /console answers the page with the strict CSP; other files under /console are 404', { skip }, async () => {
  const r = await fetch(`${coffer.endpoint}/console`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-security-policy'), CSP);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
  const html = await r.text();
  assert.doesNotMatch(html, /<script>|<style|style=/, 'no inline script or style');
  const js = await fetch(`${coffer.endpoint}/console/app.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.equal((await fetch(`${coffer.endpoint}/console/package.json`)).status, 404);
  // Paths as sent on the wire (fetch would normalize them): never a file outside the allow-list.
  for (const path of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/..%2f..%2fpackage.json', '/console/app.js/../../package.json']) {
    const raw = await rawGet(path);
    assert.equal(raw.status, 404, path);
    assert.doesNotMatch(raw.body, /"name": "coffer"/, path);
  }
});

test('a wrong secret is refused with the server error; the root credentials log in', { skip }, async () => {
  const response = await page.goto(`${coffer.endpoint}/console`);
  assert.equal(response?.headers()['content-security-policy'], CSP);
  await page.getByLabel('Access key ID').fill(coffer.credentials.accessKeyId);
  await page.getByLabel('Secret access key').fill('not-the-secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'SignatureDoesNotMatch' }).or(page.getByRole('alert').filter({ hasText: 'InvalidSignatureException' })).waitFor();
  await screenshot('login-refused');
  await page.getByLabel('Secret access key').fill(coffer.credentials.secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Keys' }).waitFor();
  // The secret is in no element, attribute or storage once the login form is gone.
  assert.ok(!(await page.content()).includes(coffer.credentials.secretAccessKey), 'the secret is in the DOM');
  const kept = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
  assert.deepEqual(kept, { local: 0, session: 0, cookie: '' });
});

test('creates a key with an alias and opens its page', { skip }, async () => {
  await page.getByRole('link', { name: 'Create key' }).first().click();
  await page.getByLabel('Description').fill('made in the console');
  await page.getByLabel('Alias (optional)').fill('alias/console-e2e');
  await page.getByLabel('Tags (optional, one key=value a line)').fill('team=payments');
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.waitForURL(/#\/keys\/[0-9a-f-]{36}$/);
  keyId = decodeURIComponent(new URL(page.url()).hash.slice('#/keys/'.length));
  const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/console-e2e' }));
  assert.equal(KeyMetadata?.KeyId, keyId);
  assert.equal(KeyMetadata?.Description, 'made in the console');
  await page.locator('dl.meta').getByText('alias/console-e2e').waitFor();
  await page.locator('dl.meta').getByText('team=payments').waitFor();
  assert.match(await page.getByLabel('Key policy').inputValue(), /"Statement"/);
});

test('the policy editor stops malformed JSON, shows the server refusing a bad policy, and saves a good one', { skip }, async () => {
  const editor = page.getByLabel('Key policy');
  const before = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy;

  const puts = (): number => targets.filter((t) => t === 'TrentService.PutKeyPolicy').length;
  await editor.fill('{ "Version": "2012-10-17", "Statement": [ ');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByRole('alert').filter({ hasText: 'not valid JSON' }).waitFor();
  assert.equal(puts(), 0, 'malformed JSON was sent');

  const root = `arn:aws:iam::${ACCOUNT_ID}:root`;
  await editor.fill(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Perhaps', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' }] }));
  await page.getByRole('button', { name: 'Save policy' }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'MalformedPolicyDocumentException' });
  await refused.waitFor();
  assert.equal(puts(), 1);
  await screenshot('policy-refused');
  assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy, before, 'a refused policy changed the key');

  const good = { Version: '2012-10-17', Statement: [{ Sid: 'ConsoleE2E', Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' }] };
  await editor.fill(JSON.stringify(good));
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.getByRole('status').filter({ hasText: 'Policy saved.' }).waitFor();
  const saved = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy ?? '{}') as typeof good;
  assert.equal(saved.Statement[0]?.Sid, 'ConsoleE2E');
  assert.match(await editor.inputValue(), /"Sid": "ConsoleE2E"/, 'the editor shows the policy read back, formatted');
});

test('the key page shows its usage, and the keys list finds it by alias', { skip }, async () => {
  await page.reload(); // credentials live in memory: a reload logs out
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Access key ID').fill(coffer.credentials.accessKeyId);
  await page.getByLabel('Secret access key').fill(coffer.credentials.secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Keys' }).waitFor();
  await page.getByLabel('Search keys').fill('console-e2e');
  const row = page.locator('table.keys tbody tr');
  await row.filter({ hasText: keyId }).waitFor();
  assert.equal(await row.count(), 1);
  await row.getByText('Enabled').waitFor();
  await screenshot('keys');
  await page.getByLabel('Search keys').fill('no-such-key-anywhere');
  await page.getByText('No key on this page matches.').waitFor();

  await page.getByLabel('Search keys').fill('');
  await page.getByRole('link', { name: keyId }).click();
  await page.locator('table.events').getByText('PutKeyPolicy').first().waitFor();
  await screenshot('key');
});

test('the audit view finds the CreateKey and shows its record', { skip }, async () => {
  await page.getByRole('link', { name: 'Audit trail' }).click();
  await page.getByLabel('Filter by').selectOption('EventName');
  await page.getByLabel('Filter value').fill('CreateKey');
  await page.getByRole('button', { name: 'Search' }).click();
  const row = page.locator('tr.event').filter({ hasText: 'CreateKey' }).filter({ hasText: keyId });
  await row.waitFor();
  assert.equal(await page.locator('tr.event').filter({ hasNotText: 'CreateKey' }).count(), 0, 'the filter let other events through');
  await row.click();
  const record = page.locator('pre.json');
  await record.waitFor();
  const parsed = JSON.parse(await record.innerText()) as { eventName?: string; eventSource?: string; resources?: { ARN?: string }[] };
  assert.equal(parsed.eventName, 'CreateKey');
  assert.equal(parsed.eventSource, 'kms.amazonaws.com');
  assert.ok(parsed.resources?.some((r) => r.ARN?.endsWith(keyId)), JSON.stringify(parsed.resources));
  await screenshot('audit');
  // A time range after every event finds none; up to a minute from now finds the CreateKey again.
  await page.getByLabel('From').fill('2099-01-01T00:00:00');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('No events.').waitFor();
  await page.getByLabel('From').fill('');
  const soon = new Date(Date.now() + 60_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  await page.getByLabel('To').fill(soon);
  await page.getByRole('button', { name: 'Search' }).click();
  await row.waitFor();
});

test('the activity chart shows requests per operation and the errors', { skip }, async () => {
  await page.getByRole('link', { name: 'Activity' }).click();
  await page.locator('figure.chart svg rect').first().waitFor();
  const legend = await page.locator('ul.legend').innerText();
  assert.match(legend, /errors \([1-9]\d*\)/, 'the refused login and policy are errors');
  assert.ok(await page.locator('figure.chart svg rect').count() >= 1);
  assert.ok(await page.locator('figure.chart polyline.errors').count() === 1);
  await screenshot('activity');
});

test('no HSM clusters: the page is not offered and says none', { skip }, async () => {
  assert.equal(await page.locator('header nav a[href="#/hsm"]').count(), 0);
  await page.evaluate(() => { location.hash = '#/hsm'; });
  await page.getByText('No HSM clusters.').waitFor();
});

test('with an HSM cluster the HSM page is offered and lists it', { skip }, async () => {
  const hsm = new CloudHSMV2Client({ endpoint: coffer.endpoint, region: REGION, credentials: coffer.credentials, maxAttempts: 1 });
  try {
    const created = await hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d'] }));
    const id = created.Cluster?.ClusterId ?? assert.fail('no cluster id');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Access key ID').fill(coffer.credentials.accessKeyId);
    await page.getByLabel('Secret access key').fill(coffer.credentials.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'HSM clusters' }).click();
    await page.locator('table tbody tr').filter({ hasText: id }).waitFor();
    await screenshot('hsm');
  } finally {
    hsm.destroy();
  }
});

const FORM = 'application/x-www-form-urlencoded; charset=utf-8';
const xml = (body: string, tag: string): string => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(body)?.[1] ?? assert.fail(`no ${tag} in ${body}`);

/** An IAM/STS Query call signed with `credentials` (default: the root's); throws unless it answers 200. */
async function query(service: 'iam' | 'sts', params: Record<string, string>, credentials?: { accessKeyId: string; secretAccessKey: string }): Promise<string> {
  const body = new URLSearchParams({ Version: service === 'iam' ? '2010-05-08' : '2011-06-15', ...params }).toString();
  const r = await coffer.raw({ body, service, headers: { 'content-type': FORM }, ...(credentials ? { credentials } : {}) });
  assert.equal(r.status, 200, r.body);
  return r.body;
}

test('an STS session (AssumeRole) logs in with its session token and sees what its role allows', { skip }, async () => {
  const allow = (action: string | string[], resource = '*'): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
  const roleArn = `arn:aws:iam::${ACCOUNT_ID}:role/console-operator`;
  await query('iam', { Action: 'CreateUser', UserName: 'console-user' });
  await query('iam', { Action: 'PutUserPolicy', UserName: 'console-user', PolicyName: 'assume', PolicyDocument: allow('sts:AssumeRole', roleArn) });
  const key = await query('iam', { Action: 'CreateAccessKey', UserName: 'console-user' });
  const user = { accessKeyId: xml(key, 'AccessKeyId'), secretAccessKey: xml(key, 'SecretAccessKey') };
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: 'sts:AssumeRole' }] });
  await query('iam', { Action: 'CreateRole', RoleName: 'console-operator', AssumeRolePolicyDocument: trust });
  await query('iam', { Action: 'PutRolePolicy', RoleName: 'console-operator', PolicyName: 'kms', PolicyDocument: allow(['kms:*', 'cloudtrail:LookupEvents']) });
  const assumed = await query('sts', { Action: 'AssumeRole', RoleArn: roleArn, RoleSessionName: 'console' }, user);
  const session = { id: xml(assumed, 'AccessKeyId'), secret: xml(assumed, 'SecretAccessKey'), token: xml(assumed, 'SessionToken') };

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('Access key ID').fill(session.id);
  await page.getByLabel('Secret access key').fill(session.secret);
  await page.getByLabel('Session token (STS, optional)').fill(session.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Keys' }).waitFor();
  await page.locator('table.keys tbody tr').filter({ hasText: keyId }).waitFor();
  assert.match(await page.locator('header .who').innerText(), new RegExp(`^${session.id} `));
  const html = await page.content();
  assert.ok(!html.includes(session.secret) && !html.includes(session.token), 'a session secret is in the DOM');
  // The audit trail names the role session as the caller of those calls.
  await page.getByRole('link', { name: 'Audit trail' }).click();
  await page.getByLabel('Filter by').selectOption('Username');
  await page.getByLabel('Filter value').fill('console');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('tr.event').filter({ hasText: 'ListKeys' }).first().waitFor();
});

test('nothing broke the CSP, no script error, and logging out forgets the session', { skip }, async () => {
  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  assert.deepEqual(violations, []);
  assert.deepEqual(consoleMessages.filter((m) => /Content Security Policy|Refused to/i.test(m)), []);
  assert.deepEqual(pageErrors, []);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.ok(!(await page.content()).includes(coffer.credentials.secretAccessKey));
});
