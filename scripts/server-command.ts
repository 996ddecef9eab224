/**
 * The one place that decides how Coffer is started by the tests, the benchmark and CI: the build
 * (dist/main.js and dist/cli.js under plain `node`, as `npm start` and `npm run coffer` run them),
 * made first when a source file is newer (scripts/build.mjs --if-stale, once per process), or,
 * with COFFER_FROM_SOURCE=1, the TypeScript sources through tsx (no build step while editing).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

export type StartFrom = 'build' | 'source';

/** How this process starts Coffer: COFFER_FROM_SOURCE=1 for the sources, else the build. */
export const startFrom = (): StartFrom => (process.env.COFFER_FROM_SOURCE === '1' ? 'source' : 'build');

const built = new Set<string>();

/** Builds dist/ in `root` when it is stale (once per process and root); throws with the build's output when it fails. */
export function ensureBuilt(root: string = REPO_ROOT): void {
  if (built.has(root)) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-stale', '--quiet'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the build failed (node scripts/build.mjs):\n${r.stdout}${r.stderr}`);
  built.add(root);
}

/**
 * The argv (after the node binary) that runs `entry` ('main': the server, 'cli': the admin command)
 * in the checkout at `root`. A checkout without scripts/build.mjs (an older commit the benchmark
 * compares with) runs from source.
 */
export function cofferArgs(entry: 'main' | 'cli', opts: { root?: string; from?: StartFrom; nodeFlags?: readonly string[] } = {}): string[] {
  const root = opts.root ?? REPO_ROOT;
  const from = existsSync(join(root, 'scripts', 'build.mjs')) ? opts.from ?? startFrom() : 'source';
  const flags = opts.nodeFlags ?? [];
  if (from === 'source') return [...flags, '--import', 'tsx', join(root, 'src', entry === 'main' ? 'main.ts' : join('cli', 'main.ts'))];
  ensureBuilt(root);
  return [...flags, '--enable-source-maps', join(root, 'dist', `${entry}.js`)];
}
