// Builds the server and the admin command into dist/ (plain JavaScript for plain `node`): one
// ESM bundle per entry of Coffer's own code, every npm package left as an import (native ones,
// better-sqlite3 and pkcs11js, cannot be bundled, and the others are loaded as installed). Then the
// web console (console/): one browser bundle, its packages included, with its page and stylesheet,
// into dist/console (what the server answers at /console).
//
//   node scripts/build.mjs              build
//   node scripts/build.mjs --if-stale   build only when a source file is newer than the bundles
//                                       (what `npm start` and `npm run coffer` run first)
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'dist');
const ENTRIES = { main: 'src/main.ts', cli: 'src/cli/main.ts' };
const CONSOLE_OUT = join(OUT, 'console');
/** The console's page and stylesheet, copied as they are; app.js is bundled from console/src. */
const CONSOLE_STATIC = ['index.html', 'app.css'];

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
  const outputs = [...Object.keys(ENTRIES).map((name) => join(OUT, `${name}.js`)), ...['app.js', ...CONSOLE_STATIC].map((f) => join(CONSOLE_OUT, f))];
  if (!outputs.every((f) => existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  const inputs = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'console')), ...['package.json', 'package-lock.json', 'scripts/build.mjs'].map((f) => statSync(join(ROOT, f)).mtimeMs));
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
await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: { app: 'console/src/main.tsx' },
  outdir: CONSOLE_OUT,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
mkdirSync(CONSOLE_OUT, { recursive: true });
for (const f of CONSOLE_STATIC) copyFileSync(join(ROOT, 'console', f), join(CONSOLE_OUT, f));
if (!process.argv.includes('--quiet')) console.error(`built dist/main.js, dist/cli.js and dist/console/ in ${Date.now() - started} ms`);
