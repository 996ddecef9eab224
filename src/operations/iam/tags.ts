/**
 * Tags of users and roles (TagUser/UntagUser/ListUserTags, TagRole/UntagRole/ListRoleTags). Keys
 * ignore case; at most 50 per entity. They become the principal's aws:PrincipalTag/* values.
 */
import type { RoleRecord, Tag, UserRecord } from '../../domain/identity.ts';
import { defineQueryOperation, type QueryContext, type QueryOperation } from '../query-context.ts';
import { mergeTags, page, removeTags, requireRole, requireUser, type PageInput } from './common.ts';

type TaggedKind = 'user' | 'role';

const KINDS = { user: { Kind: 'User', nameMember: 'UserName' }, role: { Kind: 'Role', nameMember: 'RoleName' } } as const;

type Named = Record<string, unknown>;

function load(ctx: QueryContext, kind: TaggedKind, name: string, action: string): Promise<UserRecord | RoleRecord> {
  return kind === 'user' ? requireUser(ctx, name, action) : requireRole(ctx, name, action);
}

function save(ctx: QueryContext, entity: UserRecord | RoleRecord, tags: Tag[]): void {
  if ('userId' in entity) ctx.identities.putUser({ ...entity, tags });
  else ctx.identities.putRole({ ...entity, tags });
}

export function tagEntity(kind: TaggedKind): QueryOperation {
  const { Kind, nameMember } = KINDS[kind];
  return defineQueryOperation('iam', `Tag${Kind}`, async (input: Named & { Tags: Tag[] }, ctx) => {
    const entity = await load(ctx, kind, input[nameMember] as string, `Tag${Kind}`);
    save(ctx, entity, mergeTags(entity.tags, input.Tags));
    return undefined;
  });
}

export function untagEntity(kind: TaggedKind): QueryOperation {
  const { Kind, nameMember } = KINDS[kind];
  return defineQueryOperation('iam', `Untag${Kind}`, async (input: Named & { TagKeys: string[] }, ctx) => {
    const entity = await load(ctx, kind, input[nameMember] as string, `Untag${Kind}`);
    save(ctx, entity, removeTags(entity.tags, input.TagKeys));
    return undefined;
  });
}

export function listEntityTags(kind: TaggedKind): QueryOperation {
  const { Kind, nameMember } = KINDS[kind];
  return defineQueryOperation('iam', `List${Kind}Tags`, async (input: Named & PageInput, ctx) => {
    const entity = await load(ctx, kind, input[nameMember] as string, `List${Kind}Tags`);
    const key = (t: Tag): string => t.Key.toLowerCase();
    const sorted = [...entity.tags].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const { items, ...rest } = page(sorted, key, input);
    return { Tags: items, ...rest };
  });
}
