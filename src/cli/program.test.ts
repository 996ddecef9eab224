/**
 * `--help` and `-h` on every command of `coffer` (the whole tree, found by walking commander's
 * commands, so a new command is covered without listing it) end with exit status 0 and print the
 * command's usage, in process: main.ts maps commander's exit code 0 to exit status 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError, type Command } from 'commander';
import { program } from './program.ts';

/** Every command's path below the program (the program itself as []). */
function paths(cmd: Command, prefix: readonly string[] = []): string[][] {
  return [[...prefix], ...cmd.commands.flatMap((c) => paths(c, [...prefix, c.name()]))];
}

/** Runs `coffer <args>` in process; answers commander's exit code and what it printed. */
async function run(args: readonly string[]): Promise<{ exitCode: number; out: string; err: string }> {
  const p = program();
  let out = '';
  let err = '';
  const capture = (c: Command): void => {
    c.configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { err += s; } });
    for (const sub of c.commands) capture(sub);
  };
  capture(p);
  try {
    await p.parseAsync([...args], { from: 'user' });
    return { exitCode: -1, out, err: `${err}(the command ran instead of printing its help)` };
  } catch (e) {
    if (e instanceof CommanderError) return { exitCode: e.exitCode, out, err };
    throw e;
  }
}

test('--help and -h exit 0 with the usage on every command and subcommand', async () => {
  const all = paths(program());
  assert.ok(all.length > 30, `found only ${all.length} commands`);
  for (const names of [['audit', 'verify'], ['audit', 'export'], ['audit', 'prune'], ['audit', 'public-key'], ['backup', 'restore'], ['seal', 'migrate'], ['migrate-storage']]) {
    assert.ok(all.some((p) => p.join(' ') === names.join(' ')), `the walk finds coffer ${names.join(' ')}`);
  }
  for (const names of all) {
    for (const flag of ['--help', '-h']) {
      const r = await run([...names, flag]);
      const line = `coffer ${[...names, flag].join(' ')}`;
      assert.equal(r.exitCode, 0, `${line}: ${r.err}`);
      assert.equal(r.out.startsWith(`Usage: coffer ${names.join(' ')}`.trimEnd()), true, `${line} prints its usage: ${r.out.slice(0, 80)}`);
    }
  }
});

test('a command that is not one exits with a usage error, not 0 (the walk can fail)', async () => {
  const r = await run(['audit', 'bogus']);
  assert.notEqual(r.exitCode, 0);
});

test('the online admin commands say how to go around the server; the maintenance ones that they need it stopped', async () => {
  for (const names of [['audit', 'verify'], ['audit', 'export'], ['audit', 'public-key'], ['audit', 'prune'], ['accounts', 'list'], ['accounts', 'create']]) {
    const r = await run([...names, '--help']);
    assert.match(r.out, /--offline/, names.join(' '));
    assert.match(r.out, /--endpoint-url/, names.join(' '));
    assert.match(r.out, /coffer:[A-Z]/, names.join(' '));
  }
  for (const names of [['migrate-storage'], ['seal', 'migrate'], ['backup', 'restore']]) {
    const r = await run([...names, '--help']);
    assert.match(r.out, /(Maintenance or disaster recovery|Disaster recovery).*\n?.*server/, names.join(' '));
  }
});
