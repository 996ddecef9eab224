/**
 * The dependency rule of DESIGN.md §2, enforced: each folder imports only from the folders
 * listed for it (type-only imports of ports and domain types included), so a wrong import fails CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname);

const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  errors: [],
  wire: [],
  config: [],
  crypto: ['core'],
  policy: ['errors', 'core'],
  // Pure: no port, no service, no I/O.
  domain: ['crypto', 'core', 'errors', 'policy'],
  ports: ['domain'],
  // Stateful application services over the ports: keyring and caches, authorizer, credentials, usage.
  services: ['domain', 'policy', 'crypto', 'core', 'errors', 'ports'],
  adapters: ['ports', 'crypto', 'core', 'domain', 'errors'],
  // Operations reach storage only through services and ports (types).
  operations: ['services', 'domain', 'policy', 'crypto', 'core', 'errors', 'ports', 'wire'],
  protocol: ['errors', 'wire', 'core'],
  auth: ['errors', 'core'],
  scheduler: ['services', 'domain', 'core', 'ports'],
  // The seed file (COFFER_SEED_FILE): checked with the API's own validators, applied through the services.
  seed: ['operations', 'protocol', 'services', 'domain', 'policy', 'crypto', 'core', 'errors', 'ports', 'wire'],
  audit: ['core', 'wire', 'ports', 'domain', 'errors'],
  server: ['protocol', 'auth', 'operations', 'errors', 'core', 'ports', 'wire'],
  cli: ['config', 'adapters', 'domain', 'ports', 'core', 'errors', 'audit'],
};

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });

test('imports follow the dependency rule', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const rel = relative(SRC, file);
    const folder = rel.includes('/') ? (rel.split('/')[0] as string) : undefined;
    if (folder === undefined) continue; // main.ts, the composition root, may import anything
    const allowed = ALLOWED[folder];
    assert.ok(allowed, `folder ${folder} has no entry in the dependency table`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
      const target = relative(SRC, resolve(dirname(file), m[1] as string));
      const targetFolder = target.split('/')[0] as string;
      if (targetFolder !== folder && !allowed.includes(targetFolder)) violations.push(`${rel} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});
