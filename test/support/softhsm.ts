/**
 * Test harness: SoftHSM2 for the tests of one process.
 *
 * SoftHSM reads `SOFTHSM2_CONF` once, when the module is initialised, so each test process gets a
 * temporary token folder and a configuration file of its own, put into `process.env` before the
 * module is first opened (`openSoftHsm`); both are removed when the process exits. Every "HSM" a
 * test makes is then a token in that folder (design/hsm-tier.md §1.1).
 *
 * The module is `COFFER_PKCS11_MODULE` when set, else Debian's `/usr/lib/softhsm/libsofthsm2.so`.
 * With no module or no pkcs11js, `softhsmSkip()` answers why the cases are skipped, except with
 * CI=true, where it answers undefined so that the cases run and fail loudly (no test is skipped in CI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPkcs11Module, type Pkcs11ModuleOptions } from '../../src/adapters/pkcs11/module.ts';
import type { HsmModule } from '../../src/ports/hsm.ts';

export const SOFTHSM_NOT_INSTALLED = 'SoftHSM2 not installed: apt-get install softhsm2 opensc';
const DEFAULT_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** The PKCS#11 module the tests load. */
export function softhsmModulePath(): string {
  const configured = process.env.COFFER_PKCS11_MODULE;
  return configured !== undefined && configured !== '' ? configured : DEFAULT_MODULE;
}

/** Whether pkcs11js is installed and its native part was built. */
function pkcs11jsBuilt(): boolean {
  try {
    const require = createRequire(import.meta.url);
    require('pkcs11js');
    return true;
  } catch {
    return false;
  }
}

/** Undefined when the SoftHSM tests can run (and always with CI=true, so that they fail there), else why they are skipped. */
export function softhsmSkip(): string | undefined {
  if (process.env.CI === 'true') return undefined;
  if (!existsSync(softhsmModulePath())) return SOFTHSM_NOT_INSTALLED;
  if (!pkcs11jsBuilt()) return `pkcs11js is not built (an optional dependency): npm ci with a C++ toolchain; ${SOFTHSM_NOT_INSTALLED}`;
  return undefined;
}

/** Undefined when pkcs11-tool (OpenSC) is on PATH, or with CI=true; else why the cases that run it are skipped. */
export function pkcs11ToolSkip(): string | undefined {
  if (process.env.CI === 'true') return undefined;
  const probe = spawnSync('pkcs11-tool', ['--help'], { encoding: 'utf8' });
  return probe.error === undefined ? softhsmSkip() : SOFTHSM_NOT_INSTALLED;
}

let tokenDir: string | undefined;

/** This process's SoftHSM token folder, made (with its configuration, in SOFTHSM2_CONF) on first use. */
export function softhsmTokenDir(): string {
  if (tokenDir !== undefined) return tokenDir;
  const root = mkdtempSync(join(tmpdir(), 'coffer-softhsm-'));
  const dir = join(root, 'tokens');
  const conf = join(root, 'softhsm2.conf');
  // The folder must exist before SoftHSM is pointed at it: a missing tokendir is a silent CKR_GENERAL_ERROR.
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(conf, [
    `directories.tokendir = ${dir}`,
    'objectstore.backend = file',
    'log.level = ERROR',
    'slots.removable = false',
    '',
  ].join('\n'), { mode: 0o600 });
  process.env.SOFTHSM2_CONF = conf;
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  tokenDir = dir;
  return dir;
}

/** The PKCS#11 module of this process's SoftHSM (the library is loaded and initialised once per process). */
export function openSoftHsm(options: Pkcs11ModuleOptions = {}): Promise<HsmModule> {
  softhsmTokenDir();
  return openPkcs11Module(softhsmModulePath(), options);
}

/**
 * The folder of the token with this serial. SoftHSM names it by a UUID ending in the serial, and
 * writes the serial into token.object; the name is looked at first, since SoftHSM rewrites
 * token.object in place (truncated, then written) while a server uses the token.
 */
export function softhsmTokenFolder(serial: string): string {
  const dir = softhsmTokenDir();
  const names = readdirSync(dir);
  const named = names.find((name) => name.replaceAll('-', '').toLowerCase().endsWith(serial.toLowerCase()));
  if (named !== undefined) return join(dir, named);
  for (const name of names) {
    const object = join(dir, name, 'token.object');
    if (existsSync(object) && readFileSync(object).includes(Buffer.from(serial, 'latin1'))) return join(dir, name);
  }
  throw new Error(`no SoftHSM token folder holds serial ${serial}`);
}

/** Runs pkcs11-tool on this process's tokens; answers its exit status and output (stdout then stderr). */
export function pkcs11Tool(args: readonly string[]): { status: number | null; output: string } {
  softhsmTokenDir();
  const r = spawnSync('pkcs11-tool', ['--module', softhsmModulePath(), ...args], { encoding: 'utf8', env: process.env, timeout: 60_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

type ListedToken = { slot: string; label: string; serial: string };

/** One `pkcs11-tool -L`: slot id, label, serial (a wiped token's label is empty: the field ends at its line). */
function listTokens(): ListedToken[] {
  const out: ListedToken[] = [];
  for (const block of pkcs11Tool(['-L']).output.split(/\n(?=Slot \d+ )/)) {
    const slot = /^Slot \d+ \((0x[0-9a-f]+)\)/m.exec(block)?.[1];
    const label = /token label[ \t]*:[ \t]*(.*)$/m.exec(block)?.[1]?.trim();
    const serial = /serial num[ \t]*:[ \t]*(.*)$/m.exec(block)?.[1]?.trim();
    if (slot !== undefined && label !== undefined && serial !== undefined) out.push({ slot, label, serial });
  }
  return out;
}

/**
 * The tokens pkcs11-tool lists (`-L`): slot id, label, serial. Listed until two listings in a row
 * agree: SoftHSM rewrites a token's token.object in place while a server uses the token (its
 * C_GetTokenInfo fails meanwhile), so one listing can miss a token that is there.
 */
export function pkcs11Tokens(): ListedToken[] {
  let last = JSON.stringify(listTokens());
  for (let i = 0; i < 10; i++) {
    const next = JSON.stringify(listTokens());
    if (next === last) break;
    last = next;
  }
  return JSON.parse(last) as ListedToken[];
}
