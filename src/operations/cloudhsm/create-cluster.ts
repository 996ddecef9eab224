/**
 * CreateCluster (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_CreateCluster.html).
 * Validates HsmType (hsm1.medium, hsm2m.medium), Mode, the retention (DAYS 7–379, default 90) and
 * the tags; synthesises VpcId, SecurityGroup and SubnetMapping (subnets get `<region>a`, `b`, …;
 * with an HSM pool, only the pool's subnets, in the zones it gives them: domain/hsm-pool.ts).
 * Answers the cluster in CREATE_IN_PROGRESS; the job runner makes it UNINITIALIZED.
 * Errors: CloudHsmInvalidRequestException (rules, the quota of 4 clusters per account and region),
 * CloudHsmTagException, CloudHsmAccessDeniedException.
 * Differences from AWS: SourceBackupId is refused (backups come later); the network is synthesised.
 */
import { CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import {
  clusterCounts, HSM_TYPES, newClusterId, QUOTAS, retentionDaysOf, securityGroupOf, subnetMappingOf, vpcIdOf,
  type ClusterMode, type ClusterRecord, type ClusterTag, type HsmType,
} from '../../domain/cluster.ts';
import { poolSubnetMapping } from '../../domain/hsm-pool.ts';
import { arnOf, clusterShape, mergeTags } from './common.ts';
import { defineCloudHsmOperation } from './context.ts';

interface Input {
  HsmType: string;
  SubnetIds: string[];
  BackupRetentionPolicy?: { Type?: string; Value?: string };
  SourceBackupId?: string;
  NetworkType?: 'IPV4' | 'DUALSTACK';
  TagList?: ClusterTag[];
  Mode?: ClusterMode;
}

export const createCluster = defineCloudHsmOperation('CreateCluster', async (input: Input, ctx) => {
  await ctx.authorize('cloudhsm:CreateCluster', '*');
  if (input.SourceBackupId !== undefined) throw new CloudHsmInvalidRequestException('Creating a cluster from a backup (SourceBackupId) is not supported yet.');
  if (!(HSM_TYPES as readonly string[]).includes(input.HsmType)) {
    throw new CloudHsmInvalidRequestException(`Invalid HSM type ${input.HsmType}: one of ${HSM_TYPES.join(', ')}.`);
  }
  if (input.NetworkType === 'DUALSTACK') throw new CloudHsmInvalidRequestException('The DUALSTACK network type is not supported yet.');
  const retention = retentionDaysOf(input.BackupRetentionPolicy);
  if (!retention.ok) throw new CloudHsmInvalidRequestException(retention.reason);
  const mapping = ctx.hsmPool !== undefined ? poolSubnetMapping(ctx.hsmPool, input.SubnetIds) : subnetMappingOf(ctx.region, input.SubnetIds);
  if (!mapping.ok) throw new CloudHsmInvalidRequestException(mapping.reason);
  const tags = mergeTags([], input.TagList ?? []);
  const existing = (await ctx.clusters.listClusters(ctx.caller.accountId, ctx.region)).filter(clusterCounts);
  if (existing.length >= QUOTAS.clustersPerRegion) {
    throw new CloudHsmInvalidRequestException(`The account already has ${existing.length} clusters in ${ctx.region}, the most it may have (${QUOTAS.clustersPerRegion}).`);
  }
  const clusterId = newClusterId();
  const cluster: ClusterRecord = {
    clusterId, accountId: ctx.caller.accountId, region: ctx.region, state: 'CREATE_IN_PROGRESS', hsmType: input.HsmType as HsmType,
    mode: input.Mode ?? 'FIPS', networkType: 'IPV4', createdAt: ctx.now(), backupRetentionDays: retention.days,
    vpcId: vpcIdOf(ctx.caller.accountId, ctx.region, input.SubnetIds), securityGroup: securityGroupOf(clusterId),
    subnetMapping: mapping.mapping, hsms: [], tags, revision: 1,
  };
  ctx.resources.add(arnOf(ctx, clusterId));
  ctx.uow.changes.push({ kind: 'putCluster', cluster, expectRevision: 0 });
  ctx.kick();
  return { Cluster: clusterShape(cluster) };
});
