/**
 * `coffer hsm interactive`: cloudhsm-cli's interactive mode (`aws-cloudhsm >` prompt). Each line is
 * one `coffer hsm` command (without `hsm`), shell-quoted; `login --username U --role R` asks for
 * the password (not echoed on a terminal; read as the next line otherwise, for scripts), and the
 * commands after it run as that user until `logout`; `quit` or `exit` ends. `--cluster-id` and
 * `--endpoint-url` given to `interactive` apply to every command that does not give its own.
 *
 * The login is checked at once (CofferHsmService.Login) and then kept in this process's memory
 * only: every command still sends it and is verified and audited by the server (Coffer has no
 * server-side HSM session yet).
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { call, runHsmCli, type Env } from './client.ts';

/** Splits a line as a shell would for plain words and '…' / "…" quotes (no expansion). */
export function words(line: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (const ch of line) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (any || cur !== '') out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += ch;
    }
  }
  if (quote !== undefined) return undefined;
  if (any || cur !== '') out.push(cur);
  return out;
}

const json = (code: number, data: unknown): string => JSON.stringify({ error_code: code, data }, null, 2);

/** Runs the interactive loop over `input`; answers the exit status (0; 1 when the last command failed). */
export async function runInteractive(input: Readable & { isTTY?: boolean }, output: Writable, env: Env, defaults: { clusterId?: string; endpointUrl?: string }): Promise<number> {
  const tty = input.isTTY === true;
  const rl = createInterface({ input, output, terminal: tty });
  const lines = rl[Symbol.asyncIterator]();
  let login: { CLOUDHSM_ROLE: string; CLOUDHSM_PIN: string } | undefined;
  let status = 0;
  const say = (text: string) => { output.write(`${text}\n`); };
  const prompt = () => { if (tty) output.write('aws-cloudhsm > '); };
  const withDefaults = (args: string[]): string[] => [
    ...args,
    ...(defaults.clusterId !== undefined && !args.includes('--cluster-id') ? ['--cluster-id', defaults.clusterId] : []),
    ...(defaults.endpointUrl !== undefined && !args.includes('--endpoint-url') ? ['--endpoint-url', defaults.endpointUrl] : []),
  ];
  const readPassword = async (): Promise<string | undefined> => {
    output.write('Enter password:\n');
    if (!tty) return (await lines.next()).value as string | undefined;
    // On a terminal: nothing echoed while the password is typed.
    const write = (output as { write: (s: string) => boolean }).write.bind(output);
    (output as { write: (s: string) => boolean }).write = () => true;
    try {
      return (await lines.next()).value as string | undefined;
    } finally {
      (output as { write: (s: string) => boolean }).write = write;
    }
  };
  try {
    prompt();
    for (let next = await lines.next(); next.done !== true; next = await lines.next()) {
      const args = words(next.value as string);
      if (args === undefined) { say(json(1, 'unbalanced quotes')); status = 1; prompt(); continue; }
      const [verb] = args;
      if (verb === undefined) { prompt(); continue; }
      if (verb === 'quit' || verb === 'exit') break;
      if (verb === 'logout') {
        login = undefined;
        say(json(0, 'Logout successful'));
      } else if (verb === 'login') {
        const o = new Map<string, string>();
        for (let i = 1; i + 1 < args.length; i += 2) o.set(args[i] ?? '', args[i + 1] ?? '');
        const username = o.get('--username');
        const role = o.get('--role');
        if (username === undefined || (role !== 'admin' && role !== 'crypto-user')) {
          say(json(1, 'usage: login --username <name> --role admin|crypto-user'));
          status = 1;
        } else {
          const password = await readPassword();
          const candidate = { CLOUDHSM_ROLE: role, CLOUDHSM_PIN: `${username}:${password ?? ''}` };
          const clusterId = o.get('--cluster-id') ?? defaults.clusterId;
          const endpoint = o.get('--endpoint-url') ?? defaults.endpointUrl ?? env.AWS_ENDPOINT_URL;
          try {
            if (clusterId === undefined || endpoint === undefined) throw new Error('login needs --cluster-id and --endpoint-url (here or given to interactive)');
            await call(env, endpoint, 'Login', { ClusterId: clusterId, Auth: { Username: username, Role: role, Password: password ?? '' } });
            login = candidate;
            say(json(0, { username, role }));
            status = 0;
          } catch (e) {
            say(json(1, e instanceof Error ? e.message : String(e)));
            status = 1;
          }
        }
      } else {
        const r = await runHsmCli(withDefaults(args), { ...env, ...(login ?? {}) });
        say(r.output);
        status = r.exitCode;
      }
      prompt();
    }
  } finally {
    rl.close();
  }
  return status;
}
