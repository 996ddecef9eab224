// Builds the server and the admin command into dist/ (plain JavaScript for plain `node`): one
// ESM bundle per entry of Coffer's own code, every npm package left as an import (native ones,
// better-sqlite3 and pkcs11js, cannot be bundled, and the others are loaded as installed).
//
//   node scripts/build.mjs              build
//   node scripts/build.mjs --if-stale   build only when a source file is newer than the bundles
//                                       (what `npm start` and `npm run coffer` run first)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'dist');
const ENTRIES = { main: 'src/main.ts', cli: 'src/cli/main.ts' };

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : name.endsWith('.test.ts') ? 0 : s.mtimeMs);
  }
  return t;
}

function stale() {
  const outputs = Object.keys(ENTRIES).map((name) => join(OUT, `${name}.js`));
  if (!outputs.every((f) => existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  const inputs = Math.max(newest(join(ROOT, 'src')), ...['package.json', 'package-lock.json', 'scripts/build.mjs'].map((f) => statSync(join(ROOT, f)).mtimeMs));
  return inputs > built;
}

if (process.argv.includes('--if-stale') && !stale()) process.exit(0);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('Building Coffer needs esbuild, a development dependency: run `npm ci` (without --omit=dev) first.');
  process.exit(1);
}
const started = Date.now();
await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: ENTRIES,
  outdir: OUT,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  banner: { js: '#!/usr/bin/env node' },
  legalComments: 'none',
  logLevel: 'warning',
});
if (!process.argv.includes('--quiet')) console.error(`built dist/main.js and dist/cli.js in ${Date.now() - started} ms`);
