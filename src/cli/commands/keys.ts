/**
 * `coffer keys list | create | describe`: KMS keys through a running Coffer's KMS API. The
 * lifecycle verbs are in keys-lifecycle.ts, policies and grants in keys-policy.ts.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { KeyMetadata, KMS } from '@aws-sdk/client-kms';
import { aliasName, allPages, KEY_ARG, kmsAction } from './kms.ts';
import { printRecord, printRows } from './output.ts';
import { keysLifecycleCommands } from './keys-lifecycle.ts';
import { keysPolicyCommands } from './keys-policy.ts';

export interface KeyRow {
  readonly KeyId: string;
  readonly Aliases: readonly string[];
  readonly KeyState: string | undefined;
  readonly KeySpec: string | undefined;
  readonly KeyUsage: string | undefined;
  readonly Description: string | undefined;
}

const KEY_COLUMNS = [['KeyId', 'Key id'], ['Aliases', 'Aliases'], ['KeyState', 'State'], ['KeySpec', 'Spec'], ['KeyUsage', 'Usage'], ['Description', 'Description']] as const;

/** ListKeys, ListAliases and one DescribeKey per key (a few at a time). */
async function listKeys(kms: KMS): Promise<KeyRow[]> {
  const keys = await allPages(async (Marker) => {
    const r = await kms.listKeys({ Limit: 1000, ...(Marker !== undefined ? { Marker } : {}) });
    return { items: r.Keys, next: r.Truncated === true ? r.NextMarker : undefined };
  });
  const aliases = await allPages(async (Marker) => {
    const r = await kms.listAliases({ Limit: 100, ...(Marker !== undefined ? { Marker } : {}) });
    return { items: r.Aliases, next: r.Truncated === true ? r.NextMarker : undefined };
  });
  const aliasesOf = new Map<string, string[]>();
  for (const a of aliases) {
    if (a.TargetKeyId === undefined || a.AliasName === undefined) continue;
    aliasesOf.set(a.TargetKeyId, [...(aliasesOf.get(a.TargetKeyId) ?? []), a.AliasName]);
  }
  const rows: KeyRow[] = [];
  for (let i = 0; i < keys.length; i += 8) {
    rows.push(...await Promise.all(keys.slice(i, i + 8).map(async (k) => {
      const m = (await kms.describeKey({ KeyId: k.KeyId ?? '' })).KeyMetadata;
      return keyRow(m, aliasesOf.get(k.KeyId ?? '') ?? [], k.KeyId ?? '');
    })));
  }
  return rows;
}

const keyRow = (m: KeyMetadata | undefined, aliases: readonly string[], keyId: string): KeyRow => ({
  KeyId: m?.KeyId ?? keyId, Aliases: [...aliases].sort(), KeyState: m?.KeyState, KeySpec: m?.KeySpec, KeyUsage: m?.KeyUsage, Description: m?.Description,
});

const nonEmpty = (what: string) => (value: string): string => {
  if (value === '') throw new InvalidArgumentError(`${what} must not be empty`);
  return value;
};

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('KMS keys through a running Coffer\'s KMS API (list, create, describe, rotate, delete, policy, grants)');

  kmsAction(keys.command('list').description('the keys of the account and region: key id, aliases, state, spec, usage, description'),
    async ({ kms, options }) => printRows(options.output, await listKeys(kms), KEY_COLUMNS));

  kmsAction(keys.command('create').description('create a KMS key (a symmetric encryption key by default), optionally with an alias')
    .option('--description <text>', 'the key\'s description')
    .option('--key-spec <spec>', 'SYMMETRIC_DEFAULT (default), RSA_2048…4096, ECC_NIST_P256/P384/P521, ECC_SECG_P256K1, HMAC_224…512, ML_DSA_44/65/87, SM2')
    .option('--key-usage <usage>', 'ENCRYPT_DECRYPT (default), SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT')
    .option('--alias <name>', 'an alias for the key (alias/ is added when missing)', nonEmpty('--alias')),
  async ({ kms, options, cmd }) => {
    const o = cmd.opts<{ description?: string; keySpec?: string; keyUsage?: string; alias?: string }>();
    const created = await kms.createKey({
      ...(o.description !== undefined ? { Description: o.description } : {}),
      ...(o.keySpec !== undefined ? { KeySpec: o.keySpec as KeyMetadata['KeySpec'] } : {}),
      ...(o.keyUsage !== undefined ? { KeyUsage: o.keyUsage as KeyMetadata['KeyUsage'] } : {}),
    });
    const metadata: Partial<KeyMetadata> = created.KeyMetadata ?? {};
    if (o.alias !== undefined) {
      try {
        await kms.createAlias({ AliasName: aliasName(o.alias), TargetKeyId: metadata.KeyId ?? '' });
      } catch (e) {
        console.error(`coffer keys create: created key ${metadata.KeyId ?? '?'}, but not its alias:`);
        throw e;
      }
    }
    printRecord(options.output, { ...metadata, ...(o.alias !== undefined ? { AliasName: aliasName(o.alias) } : {}) });
  });

  kmsAction(keys.command('describe').argument(...KEY_ARG).description('the key\'s metadata (DescribeKey) and its aliases'),
    async ({ kms, options, cmd }) => {
      const m: Partial<KeyMetadata> = (await kms.describeKey({ KeyId: String(cmd.processedArgs[0]) })).KeyMetadata ?? {};
      const aliases = (await allPages(async (Marker) => {
        const r = await kms.listAliases({ KeyId: m.KeyId ?? '', ...(Marker !== undefined ? { Marker } : {}) });
        return { items: r.Aliases, next: r.Truncated === true ? r.NextMarker : undefined };
      })).flatMap((a) => (a.AliasName !== undefined ? [a.AliasName] : []));
      printRecord(options.output, { ...m, Aliases: aliases });
    });

  keysLifecycleCommands(keys);
  keysPolicyCommands(keys);
}
