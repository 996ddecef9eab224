import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_CSP, loadConsoleFiles, type ConsoleFiles } from './console-files.ts';

let root: string;
let bundle: string;
let files: ConsoleFiles;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'coffer-console-files-'));
  bundle = join(root, 'console');
  mkdirSync(bundle);
  writeFileSync(join(bundle, 'index.html'), '<!doctype html><title>Coffer</title>');
  writeFileSync(join(bundle, 'app.js'), 'console.log(1)');
  writeFileSync(join(bundle, 'app.css'), 'body{}');
  writeFileSync(join(bundle, 'secret.txt'), 'not on the list');
  writeFileSync(join(root, 'outside.txt'), 'outside the bundle');
  files = loadConsoleFiles(bundle);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('serves the allow-listed files with their types and the security headers', () => {
  for (const [path, type, start] of [
    ['/console', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/console/', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/console/app.js', 'text/javascript; charset=utf-8', 'console.log'],
    ['/console/app.css', 'text/css; charset=utf-8', 'body'],
  ] as const) {
    const a = files.answer('GET', path);
    assert.ok(a, path);
    assert.equal(a.status, 200, path);
    assert.equal(a.headers['content-type'], type, path);
    assert.ok(a.body.toString().startsWith(start), path);
    assert.equal(a.headers['content-security-policy'], CONSOLE_CSP);
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
    assert.equal(a.headers['referrer-policy'], 'no-referrer');
    assert.equal(a.headers['x-frame-options'], 'DENY');
  }
  assert.equal(files.answer('HEAD', '/console/app.js')?.status, 200);
});

test('the CSP allows no inline script or style and no other origin', () => {
  assert.match(CONSOLE_CSP, /default-src 'none'/);
  assert.match(CONSOLE_CSP, /script-src 'self';/);
  assert.match(CONSOLE_CSP, /style-src 'self';/);
  assert.match(CONSOLE_CSP, /frame-ancestors 'none'/);
  assert.doesNotMatch(CONSOLE_CSP, /unsafe|\*/);
});

test('anything else under /console is 404, traversal included; other paths are not the console', () => {
  for (const path of [
    '/console/secret.txt', '/console/../outside.txt', '/console/%2e%2e/outside.txt', '/console/..%2Foutside.txt',
    '/console//app.js', '/console/app.js/', '/console/index.html', '/console/APP.JS', '/console/app.js.map',
  ]) {
    const a = files.answer('GET', path);
    assert.equal(a?.status, 404, path);
    assert.equal(a.body.toString(), 'Not found.\n', path);
    assert.equal(a.headers['content-security-policy'], CONSOLE_CSP, path);
  }
  for (const path of ['/', '/consoles', '/health', '/consolex/app.js']) assert.equal(files.answer('GET', path), undefined, path);
});

test('GET and HEAD, no other method', () => {
  const a = files.answer('POST', '/console');
  assert.equal(a?.status, 405);
  assert.equal(a.headers.allow, 'GET, HEAD');
});

test('a folder without the bundle answers 503 saying how to build it, and does not throw', () => {
  const empty = loadConsoleFiles(join(root, 'nowhere'));
  const a = empty.answer('GET', '/console');
  assert.equal(a?.status, 503);
  assert.match(a.body.toString(), /not built .*npm run build/);
  assert.equal(empty.answer('GET', '/console/app.js')?.status, 503);
});
