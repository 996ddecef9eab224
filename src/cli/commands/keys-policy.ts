/**
 * `coffer keys policy get | put` and `coffer keys grants list`. `put` checks locally that the file
 * is JSON; the policy grammar is the server's (cli/ may not import policy/, DESIGN.md §2), which
 * refuses a bad policy with MalformedPolicyDocumentException, printed with exit status 1.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { allPages, KEY_ID_ARG, kmsAction } from './kms.ts';
import { printJson, printRows } from './output.ts';

/** The policy file's text, refused here when it is not a JSON object. */
function policyFile(file: string): string {
  const text = readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${file} must hold a JSON object (a key policy document)`);
  return text;
}

export function keysPolicyCommands(keys: Command): void {
  const policy = keys.command('policy').description('the key policy');
  kmsAction(policy.command('get').argument(...KEY_ID_ARG).description('print the key policy (a JSON document, the same with --output table)'),
    async ({ kms, cmd }) => {
      const r = await kms.getKeyPolicy({ KeyId: String(cmd.processedArgs[0]), PolicyName: 'default' });
      printJson(JSON.parse(r.Policy ?? '{}'));
    });
  kmsAction(policy.command('put').argument(...KEY_ID_ARG).description('replace the key policy with a JSON file\'s')
    .requiredOption('--file <policy.json>', 'the policy document')
    .option('--bypass-policy-lockout-safety-check', 'allow a policy that would lock the caller out of the key'),
  async ({ kms, cmd }) => {
    const o = cmd.opts<{ file: string; bypassPolicyLockoutSafetyCheck?: true }>();
    const Policy = policyFile(o.file);
    await kms.putKeyPolicy({
      KeyId: String(cmd.processedArgs[0]), PolicyName: 'default', Policy,
      ...(o.bypassPolicyLockoutSafetyCheck === true ? { BypassPolicyLockoutSafetyCheck: true } : {}),
    });
  });

  const grants = keys.command('grants').description('the key\'s grants');
  kmsAction(grants.command('list').argument(...KEY_ID_ARG).description('the key\'s grants (ListGrants)'),
    async ({ kms, options, cmd }) => {
      const KeyId = String(cmd.processedArgs[0]);
      const list = await allPages(async (Marker) => {
        const r = await kms.listGrants({ KeyId, ...(Marker !== undefined ? { Marker } : {}) });
        return { items: r.Grants, next: r.Truncated === true ? r.NextMarker : undefined };
      });
      printRows(options.output, list, [['GrantId', 'Grant id'], ['Name', 'Name'], ['GranteePrincipal', 'Grantee'], ['RetiringPrincipal', 'Retiring'], ['Operations', 'Operations']]);
    });
}
