/**
 * Parses and validates a seed file as a whole before anything is applied. Each value passes the
 * checks the API makes of it (the KMS model's enums, lengths and patterns through the protocol's
 * own validator, the key-spec table, key and IAM policy validation, tag, alias and grant rules),
 * and each error names the file, the line and the field. Secret access keys and key material
 * never appear in a message.
 */
import { createPrivateKey } from 'node:crypto';
import { getShape } from '../wire/model.ts';
import { deserializeInput } from '../protocol/validate.ts';
import { REGION_NAME } from '../core/regions.ts';
import { capabilitiesOf, isKeySpec, type KeySpec, type KeyUsage } from '../domain/key-specs.ts';
import { grantOperationsFor, type GrantConstraints } from '../domain/grant.ts';
import { policyArn } from '../domain/identity.ts';
import { validatePolicyDocument as validateKeyPolicy } from '../policy/document.ts';
import { checkAliasName } from '../operations/kms/alias-rules.ts';
import { checkTags } from '../operations/kms/common.ts';
import { checkPrincipalArn } from '../operations/kms/grant-rules.ts';
import { checkPolicySize, policySize, validatePolicyDocument as validateIamPolicy } from '../operations/iam/policy-documents.ts';
import { MAX_MANAGED_POLICY_SIZE } from '../operations/iam/create-policy.ts';
import { checkedMaterial } from '../services/import-material.ts';
import { zero } from '../crypto/bytes.ts';
import {
  SEED_LIMITS, type Seed, type SeedAccessKey, type SeedAccount, type SeedGrant, type SeedKey, type SeedMaterial, type SeedPolicy, type SeedUser,
} from './model.ts';
import { Fields, SeedReader, type Path } from './reader.ts';

/** What the seed is checked against: the server's home account and the regions it serves. */
export interface SeedContext {
  readonly homeAccountId: string;
  readonly region: string;
  readonly servesRegion: (region: string) => boolean;
  /** The home account root's access key id (a seed may not reuse it). */
  readonly rootAccessKeyId?: string;
}

const enumOf = (shape: string): readonly string[] => {
  const s = getShape(shape);
  return s.type === 'string' && s.enum !== undefined ? s.enum : [];
};
const KEY_SPECS = enumOf('KeySpec');
const KEY_USAGES = enumOf('KeyUsageType');
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACCESS_KEY_ID = /^\w+$/;
const SECRET = /^[\x21-\x7e]+$/;
const IAM_NAME = /^[\w+=,.@-]+$/;
const IAM_PATH = /^(\/|\/[\x21-\x7e]+\/)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** An error the API would throw, as the field's message (its class name is AWS's error code). */
function messageOf(e: unknown): string {
  if (e instanceof Error) return `${e.name === 'Error' ? '' : `${e.constructor.name}: `}${e.message}`;
  return String(e);
}

function check(f: Fields, field: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    f.fail(field, `is refused: ${messageOf(e)}`);
  }
}

export function parseSeed(file: string, text: string, ctx: SeedContext): Seed {
  const r = new SeedReader(file, text);
  const top = Fields.of(r, [], r.root ?? {}, ['accounts', 'policies', 'users', 'keys']);
  const accessKeyIds = new Map<string, string>();
  const accessKey = (f: Fields, idField: string, secretField: string): SeedAccessKey => {
    const accessKeyId = f.required(idField, { min: 1, max: 128, pattern: ACCESS_KEY_ID, what: '1 to 128 letters, digits or underscores' });
    const secretAccessKey = f.required(secretField, { min: 1, max: 128, pattern: SECRET, what: 'printable ASCII without spaces', secret: true });
    if (accessKeyId === ctx.rootAccessKeyId) f.fail(idField, "is the home account root's access key id");
    const seen = accessKeyIds.get(accessKeyId);
    if (seen !== undefined) f.fail(idField, `repeats the access key id of ${seen}`);
    accessKeyIds.set(accessKeyId, f.path.length === 0 ? idField : `${r.place(f.path).path}`);
    return { at: r.place(f.path), accessKeyId, secretAccessKey };
  };

  const accounts: SeedAccount[] = top.list('accounts', SEED_LIMITS.accounts).map((v, i) => {
    const f = Fields.of(r, ['accounts', i], v, ['id', 'rootAccessKeyId', 'rootSecretAccessKey']);
    const accountId = f.account('id') ?? f.fail('id', 'is required');
    if (accountId === ctx.homeAccountId) f.fail('id', `is the home account (COFFER_ACCOUNT_ID), which always exists`);
    const hasRoot = f.has('rootAccessKeyId') || f.has('rootSecretAccessKey');
    return { at: r.place(f.path), accountId, ...(hasRoot ? { rootAccessKey: accessKey(f, 'rootAccessKeyId', 'rootSecretAccessKey') } : {}) };
  });
  const known = new Set([ctx.homeAccountId, ...accounts.map((a) => a.accountId)]);
  if (known.size !== accounts.length + 1) top.fail('accounts', 'names an account twice');
  const accountOf = (f: Fields): string => {
    const id = f.account('account') ?? ctx.homeAccountId;
    if (!known.has(id)) f.fail('account', `names account ${id}, which is neither the home account nor one of accounts`);
    return id;
  };

  const policyNames = new Set<string>();
  const policies: SeedPolicy[] = top.list('policies', SEED_LIMITS.policies).map((v, i) => {
    const f = Fields.of(r, ['policies', i], v, ['account', 'name', 'path', 'description', 'document']);
    const accountId = accountOf(f);
    const name = f.required('name', { min: 1, max: 128, pattern: IAM_NAME, what: 'an IAM policy name ([\\w+=,.@-], 1 to 128 characters)' });
    if (policyNames.has(`${accountId}/${name.toLowerCase()}`)) f.fail('name', 'repeats a policy name of the same account');
    policyNames.add(`${accountId}/${name.toLowerCase()}`);
    const path = f.string('path', { min: 1, max: 512, pattern: IAM_PATH, what: 'an IAM path (/ or /a/b/)' }) ?? '/';
    const description = f.string('description', { max: 1000 });
    const document = f.policy('document') ?? f.fail('document', 'is required');
    check(f, 'document', () => { validateIamPolicy(document, 'identity'); checkPolicySize(policySize(document), MAX_MANAGED_POLICY_SIZE, `policy ${name}`); });
    return { at: r.place(f.path), accountId, name, path, document, ...(description !== undefined ? { description } : {}) };
  });
  const userNames = new Set<string>();
  const users: SeedUser[] = top.list('users', SEED_LIMITS.users).map((v, i) => {
    const f = Fields.of(r, ['users', i], v, ['account', 'name', 'path', 'accessKeys', 'inlinePolicies', 'attachedPolicies']);
    const accountId = accountOf(f);
    const name = f.required('name', { min: 1, max: 64, pattern: IAM_NAME, what: 'an IAM user name ([\\w+=,.@-], 1 to 64 characters)' });
    if (userNames.has(`${accountId}/${name.toLowerCase()}`)) f.fail('name', 'repeats a user name of the same account');
    userNames.add(`${accountId}/${name.toLowerCase()}`);
    const path = f.string('path', { min: 1, max: 512, pattern: IAM_PATH, what: 'an IAM path (/ or /a/b/)' }) ?? '/';
    const accessKeys = f.list('accessKeys', SEED_LIMITS.accessKeysPerUser)
      .map((k, j) => accessKey(Fields.of(r, [...f.at('accessKeys'), j], k, ['accessKeyId', 'secretAccessKey']), 'accessKeyId', 'secretAccessKey'));
    const inlineNames = new Set<string>();
    const inlinePolicies = f.list('inlinePolicies', SEED_LIMITS.inlinePoliciesPerUser).map((p, j) => {
      const pf = Fields.of(r, [...f.at('inlinePolicies'), j], p, ['name', 'document']);
      const pname = pf.required('name', { min: 1, max: 128, pattern: IAM_NAME, what: 'an IAM policy name' });
      if (inlineNames.has(pname.toLowerCase())) pf.fail('name', 'repeats an inline policy name of this user');
      inlineNames.add(pname.toLowerCase());
      const document = pf.policy('document') ?? pf.fail('document', 'is required');
      check(pf, 'document', () => validateIamPolicy(document, 'identity'));
      return { name: pname, document };
    });
    const inlineSize = inlinePolicies.reduce((n, p) => n + policySize(p.document), 0);
    if (inlineSize > 2048) f.fail('inlinePolicies', `total ${inlineSize} characters (without whitespace), more than IAM's 2048 for a user`);
    const attachedPolicies = f.list('attachedPolicies', SEED_LIMITS.attachedPoliciesPerUser).map((p, j) => {
      const at: Path = [...f.at('attachedPolicies'), j];
      if (typeof p !== 'string') return r.fail(at, 'must be a policy name of policies, or a policy ARN');
      if (p.startsWith('arn:')) {
        if (!/^arn:aws:iam::(\d{12}|aws):policy\/(?:[^/]+\/)*[^/]+$/.test(p)) r.fail(at, `is not an IAM policy ARN, got '${p.slice(0, 80)}'`);
        return p;
      }
      const own = policies.find((x) => x.accountId === accountId && x.name.toLowerCase() === p.toLowerCase());
      if (own === undefined) return r.fail(at, `names no policy of policies in account ${accountId}: '${p.slice(0, 80)}'`);
      return policyArn(accountId, own.path, own.name);
    });
    return { at: r.place(f.path), accountId, name, path, accessKeys, inlinePolicies, attachedPolicies };
  });

  const keyIds = new Set<string>();
  const aliasNames = new Set<string>();
  const keys: SeedKey[] = top.list('keys', SEED_LIMITS.keys).map((v, i) => {
    const f = Fields.of(r, ['keys', i], v, ['keyId', 'account', 'region', 'keySpec', 'keyUsage', 'description', 'enabled', 'material', 'policy', 'tags', 'aliases', 'grants']);
    const keyId = f.required('keyId', { pattern: KEY_ID, what: 'a key id in UUID form (lower-case hex, 8-4-4-4-12)' });
    const accountId = accountOf(f);
    if (keyIds.has(`${accountId}/${keyId}`)) f.fail('keyId', 'repeats a key id of the same account');
    keyIds.add(`${accountId}/${keyId}`);
    const region = f.string('region', { pattern: REGION_NAME, what: 'a region name such as eu-central-1' }) ?? ctx.region;
    if (!ctx.servesRegion(region)) f.fail('region', `is a region this server does not serve (COFFER_REGIONS): '${region}'`);
    const specName = f.oneOf('keySpec', KEY_SPECS) ?? 'SYMMETRIC_DEFAULT';
    if (!isKeySpec(specName)) return f.fail('keySpec', `must be one of ${KEY_SPECS.join(', ')}`);
    const spec: KeySpec = specName;
    const caps = capabilitiesOf(spec);
    if (!caps.implemented) f.fail('keySpec', `is not supported: ${caps.unsupported ?? spec}`);
    const usageName = f.oneOf('keyUsage', KEY_USAGES) ?? caps.defaultUsage ?? f.fail('keyUsage', `is required for ${spec} (one of ${caps.usages.join(', ')})`);
    if (!(caps.usages as readonly string[]).includes(usageName)) f.fail('keyUsage', `must be one of ${caps.usages.join(', ')} for ${spec}, got '${usageName}'`);
    const usage = usageName as KeyUsage;
    const description = f.string('description', { max: 8192 });
    const enabled = f.boolean('enabled') ?? true;
    const policy = f.policy('policy');
    if (policy !== undefined) check(f, 'policy', () => void validateKeyPolicy(policy));
    const tagMap = f.stringMap('tags') ?? {};
    const tags = Object.entries(tagMap).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
    if (tags.length > SEED_LIMITS.tagsPerKey) f.fail('tags', `has ${tags.length} tags, at most ${SEED_LIMITS.tagsPerKey} are allowed`);
    check(f, 'tags', () => checkTags(tags));
    // The API's own model checks (lengths, patterns) of what CreateKey would be sent.
    check(f, 'description', () => void deserializeInput('CreateKey', { KeySpec: spec, KeyUsage: usage, Tags: tags, ...(description !== undefined ? { Description: description } : {}) }));
    const aliases = f.list('aliases', SEED_LIMITS.aliasesPerKey).map((a, j) => {
      const at: Path = [...f.at('aliases'), j];
      if (typeof a !== 'string') return r.fail(at, 'must be an alias name (alias/…)');
      try {
        deserializeInput('CreateAlias', { AliasName: a, TargetKeyId: keyId });
        checkAliasName(a);
      } catch (e) {
        r.fail(at, `is refused: ${messageOf(e)}`);
      }
      const id = `${accountId}/${region}/${a}`;
      if (aliasNames.has(id)) r.fail(at, `repeats alias ${a} of account ${accountId} in ${region}`);
      aliasNames.add(id);
      return a;
    });
    const grants = f.list('grants', SEED_LIMITS.grantsPerKey).map((g, j) => parseGrant(r, Fields.of(r, [...f.at('grants'), j], g, ['name', 'granteePrincipal', 'retiringPrincipal', 'operations', 'constraints']), spec, usage));
    const material = f.has('material') ? parseMaterial(f, spec) : undefined;
    return {
      at: r.place(f.path), keyId, accountId, region, keySpec: spec, keyUsage: usage, enabled, tags, aliases, grants,
      ...(description !== undefined ? { description } : {}), ...(policy !== undefined ? { policy } : {}), ...(material !== undefined ? { material } : {}),
    };
  });
  return { file, accounts, policies, users, keys };
}

function parseGrant(r: SeedReader, f: Fields, spec: KeySpec, usage: KeyUsage): SeedGrant {
  const name = f.string('name', { min: 1, max: 256, pattern: /^[a-zA-Z0-9:/_-]+$/, what: 'a grant name ([a-zA-Z0-9:/_-])' });
  const granteePrincipal = f.required('granteePrincipal', { min: 1, max: 256 });
  check(f, 'granteePrincipal', () => checkPrincipalArn(granteePrincipal, 'GranteePrincipal'));
  const retiringPrincipal = f.string('retiringPrincipal', { min: 1, max: 256 });
  if (retiringPrincipal !== undefined) check(f, 'retiringPrincipal', () => checkPrincipalArn(retiringPrincipal, 'RetiringPrincipal'));
  const allowed = grantOperationsFor({ keySpec: spec, keyUsage: usage });
  const operations = f.list('operations', 50).map((op, k) => {
    if (typeof op !== 'string' || !allowed.includes(op)) return r.fail([...f.at('operations'), k], `must be one of ${allowed.join(', ')} for a ${spec} ${usage} key`);
    return op;
  });
  if (operations.length === 0) f.fail('operations', 'must list at least one grant operation');
  let constraints: GrantConstraints | undefined;
  if (f.has('constraints')) {
    const c = Fields.of(r, f.at('constraints'), f.raw('constraints'), ['encryptionContextEquals', 'encryptionContextSubset']);
    const equals = c.stringMap('encryptionContextEquals');
    const subset = c.stringMap('encryptionContextSubset');
    if (spec !== 'SYMMETRIC_DEFAULT') f.fail('constraints', 'are supported only on SYMMETRIC_DEFAULT keys');
    if (equals !== undefined || subset !== undefined) {
      constraints = { ...(equals !== undefined ? { EncryptionContextEquals: equals } : {}), ...(subset !== undefined ? { EncryptionContextSubset: subset } : {}) };
    }
  }
  return {
    at: r.place(f.path), granteePrincipal, operations: [...new Set(operations)],
    ...(name !== undefined ? { name } : {}), ...(retiringPrincipal !== undefined ? { retiringPrincipal } : {}), ...(constraints !== undefined ? { constraints } : {}),
  };
}

/** Fixed material: base64 bytes (symmetric, HMAC) or a PKCS#8 PEM private key, checked as ImportKeyMaterial checks it. */
function parseMaterial(f: Fields, spec: KeySpec): SeedMaterial {
  const v = f.raw('material');
  if (typeof v !== 'string') return f.fail('material', 'must be a string');
  let bytes: Buffer;
  if (capabilitiesOf(spec).material.kind === 'pair') {
    if (!v.includes('-----BEGIN PRIVATE KEY-----')) f.fail('material', `must be a PKCS#8 private key in PEM (-----BEGIN PRIVATE KEY-----) for ${spec}`);
    try {
      bytes = createPrivateKey({ key: v, format: 'pem' }).export({ format: 'der', type: 'pkcs8' });
    } catch {
      return f.fail('material', 'is not a readable PEM private key');
    }
  } else {
    const text = v.replace(/\s+/g, '');
    if (!BASE64.test(text) || text.length % 4 !== 0) f.fail('material', 'must be base64');
    bytes = Buffer.from(text, 'base64');
  }
  try {
    zero(checkedMaterial(spec, bytes).bytes);
  } catch (e) {
    zero(bytes);
    f.fail('material', `is refused: ${messageOf(e)}`);
  }
  return { bytes };
}
