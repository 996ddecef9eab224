// Runs every *.test.ts under src/ and test/ with node's test runner through tsx; then runs the
// end-to-end suites that do not depend on the storage backend again with their servers on
// PostgreSQL (COFFER_TEST_BACKEND=postgres), when PostgreSQL is there (always in CI).
// Node 20 does not expand globs in `node --test`, so the files are listed here.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/**
 * End-to-end suites that run on both backends. The others test SQLite itself (its file, WAL,
 * faults, forgeries of its rows, kill -9 atomicity read from its file) or start no server; the
 * PostgreSQL ones (nodes, failures) choose their backend themselves.
 */
const BOTH_BACKENDS = [
  'authorization', 'cli', 'cloudhsm', 'crypto', 'data-key-pair', 'fuzz', 'grants', 'hmac', 'iam', 'import', 'key-agreement',
  'key-capabilities', 'keys', 'mldsa', 'multi-region', 'policy-dos', 'protocol', 'rsa-encryption', 'scheduler', 'signing',
  'smoke', 'workers', 'hot-path', 'seal', 'encryption-sdk', 'custom-key-store', 'hsm-users',
].map((n) => join('test', 'e2e', `${n}.test.ts`));

const filter = process.argv.slice(2);
const chosen = (f) => filter.length === 0 || filter.some((x) => f.includes(x));
const files = [...find('src'), ...find('test')].filter(chosen).sort();
const run = (list, env) => spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...list], {
  stdio: 'inherit', env: { ...process.env, ...env },
}).status ?? 1;

let status = files.length > 0 ? run(files, {}) : 0;

const pgList = BOTH_BACKENDS.filter(chosen);
const hasPostgres = process.env.COFFER_TEST_DATABASE_URL !== undefined
  || spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).status === 0
  || (existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(join('/usr/lib/postgresql', v, 'bin', 'initdb'))));
if (pgList.length > 0) {
  if (hasPostgres) {
    console.log(`\n# The end-to-end suites again, on PostgreSQL (${pgList.length} files)`);
    status = run(pgList, { COFFER_TEST_BACKEND: 'postgres' }) || status;
  } else if (process.env.CI === 'true') {
    console.error('# PostgreSQL is not installed: CI runs the end-to-end suites on it too (.ci/run installs it)');
    status = 1;
  } else {
    console.log('# skipped: the end-to-end suites on PostgreSQL (PostgreSQL not installed: apt-get install postgresql)');
  }
}
process.exit(status);
