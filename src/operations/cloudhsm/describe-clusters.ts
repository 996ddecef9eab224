/**
 * DescribeClusters (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_DescribeClusters.html):
 * the caller's clusters in the region (DELETED ones for 7 days), filtered by `clusterIds`,
 * `vpcIds` and `states`, in cluster id order, MaxResults (the model's 1–25) a page, NextToken the
 * last id answered. Errors: CloudHsmInvalidRequestException (an unknown filter, a bad state or
 * token), CloudHsmAccessDeniedException.
 */
import { CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import { clusterShape } from './common.ts';
import { defineCloudHsmOperation } from './context.ts';

interface Input { Filters?: Record<string, string[]>; NextToken?: string; MaxResults?: number }

const STATES: ReadonlySet<string> = new Set(['CREATE_IN_PROGRESS', 'UNINITIALIZED', 'INITIALIZE_IN_PROGRESS', 'INITIALIZED', 'ACTIVE',
  'UPDATE_IN_PROGRESS', 'MODIFY_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'DELETED', 'DEGRADED']);
const FILTERS: ReadonlySet<string> = new Set(['clusterIds', 'vpcIds', 'states']);
const DEFAULT_PAGE = 25;

export const decodeToken = (token: string): string => {
  const id = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^cluster-[2-7a-zA-Z]{11,16}$/.test(id)) throw new CloudHsmInvalidRequestException('Invalid NextToken.');
  return id;
};

export const describeClusters = defineCloudHsmOperation('DescribeClusters', async (input: Input, ctx) => {
  await ctx.authorize('cloudhsm:DescribeClusters', '*');
  const filters = input.Filters ?? {};
  for (const [name, values] of Object.entries(filters)) {
    if (!FILTERS.has(name)) throw new CloudHsmInvalidRequestException(`Invalid filter ${name}: one of clusterIds, vpcIds, states.`);
    if (name === 'states') for (const s of values) if (!STATES.has(s)) throw new CloudHsmInvalidRequestException(`Invalid cluster state ${s} in the states filter.`);
  }
  const after = input.NextToken === undefined ? undefined : decodeToken(input.NextToken);
  const only = (name: string): ReadonlySet<string> | undefined => (filters[name] === undefined ? undefined : new Set(filters[name]));
  const ids = only('clusterIds');
  const vpcs = only('vpcIds');
  const states = only('states');
  const all = (await ctx.clusters.listClusters(ctx.caller.accountId, ctx.region))
    .filter((c) => (ids === undefined || ids.has(c.clusterId)) && (vpcs === undefined || vpcs.has(c.vpcId)) && (states === undefined || states.has(c.state)))
    .filter((c) => after === undefined || c.clusterId > after);
  const max = input.MaxResults ?? DEFAULT_PAGE;
  const page = all.slice(0, max);
  const last = page.at(-1);
  return {
    Clusters: page.map(clusterShape),
    ...(all.length > max && last !== undefined ? { NextToken: Buffer.from(last.clusterId, 'utf8').toString('base64url') } : {}),
  };
});
