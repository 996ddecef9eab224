/**
 * TagResource, UntagResource and ListTags (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_TagResource.html,
 * API_UntagResource.html, API_ListTags.html) on a cluster: at most 50 tags, keys and values as the
 * model's patterns, no `aws:` keys (CloudHsmTagException). Three small operations in one file:
 * they share everything but a line. Errors: CloudHsmInvalidRequestException,
 * CloudHsmResourceNotFoundException (a backup id: there are no backups yet), CloudHsmTagException,
 * CloudHsmAccessDeniedException.
 */
import { CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException } from '../../errors/cloudhsm-errors.ts';
import { revise, type ClusterRecord, type ClusterTag } from '../../domain/cluster.ts';
import { authorizedCluster, mergeTags, save } from './common.ts';
import { defineCloudHsmOperation, type CloudHsmContext } from './context.ts';

async function resource(ctx: CloudHsmContext, operation: string, resourceId: string): Promise<ClusterRecord> {
  if (resourceId.startsWith('backup-')) throw new CloudHsmResourceNotFoundException(`The backup ${resourceId} was not found.`);
  return authorizedCluster(ctx, operation, resourceId);
}

export const tagResource = defineCloudHsmOperation('TagResource', async (input: { ResourceId: string; TagList: ClusterTag[] }, ctx) => {
  const c = await resource(ctx, 'TagResource', input.ResourceId);
  save(ctx, c, revise(c, { tags: mergeTags(c.tags, input.TagList) }));
  return {};
});

export const untagResource = defineCloudHsmOperation('UntagResource', async (input: { ResourceId: string; TagKeyList: string[] }, ctx) => {
  const c = await resource(ctx, 'UntagResource', input.ResourceId);
  const drop = new Set(input.TagKeyList);
  const tags = c.tags.filter((t) => !drop.has(t.Key));
  if (tags.length !== c.tags.length) save(ctx, c, revise(c, { tags }));
  return {};
});

export const listTags = defineCloudHsmOperation('ListTags', async (input: { ResourceId: string; NextToken?: string; MaxResults?: number }, ctx) => {
  const c = await resource(ctx, 'ListTags', input.ResourceId);
  const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
  if (!Number.isInteger(start) || start < 0 || start > c.tags.length) throw new CloudHsmInvalidRequestException('Invalid NextToken.');
  const max = input.MaxResults ?? 50;
  const page = c.tags.slice(start, start + max);
  return { TagList: page, ...(start + max < c.tags.length ? { NextToken: String(start + max) } : {}) };
});
