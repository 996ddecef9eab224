/**
 * How every `coffer` command ends: its action's exit status (0 done, 1 failed, 2 usage), a
 * usage problem found after parsing printed with a pointer to the command's help, any other
 * failure printed as one `coffer: …` line on stderr.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError } from '../../config/config.ts';

/** A usage problem commander cannot see (a value's form, options that go together): exit status 2. */
export class UsageError extends Error {}

/** `cmd`'s action: runs `body` and sets the process's exit status from what it answers or throws. */
export function act(cmd: Command, body: (cmd: Command) => Promise<number | void> | number | void): Command {
  return cmd.action(async () => {
    try {
      process.exitCode = (await body(cmd)) ?? 0;
    } catch (e) {
      if (e instanceof UsageError) {
        console.error(`coffer: ${e.message}`);
        console.error(`(see: coffer ${commandPath(cmd)} --help)`);
        process.exitCode = 2;
        return;
      }
      const message = e instanceof ConfigError ? `configuration error: ${e.message}` : e instanceof Error ? e.message : String(e);
      console.error(`coffer: ${message}`);
      process.exitCode = 1;
    }
  });
}

/** `keys policy get`: the command's names below the program. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** A date option's value as epoch milliseconds (commander's argParser). */
export function dateOption(name: string): (value: string) => number {
  return (value) => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new InvalidArgumentError(`${name} must be a date such as 2026-01-31 or 2026-01-31T12:00:00Z, got '${value}'`);
    return ms;
  };
}

/** Collects a repeatable option's values (commander's argParser). */
export const collect = (value: string, previous: readonly string[] | undefined): string[] => [...(previous ?? []), value];

/** Prints each line to stdout (exit 0) or stderr. */
export function printLines(lines: readonly string[], toStderr = false): void {
  for (const line of lines) (toStderr ? console.error : console.log)(line);
}
