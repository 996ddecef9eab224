/**
 * What the CloudHSMv2 operations share: authorization on a cluster's ARN, loading a cluster of
 * the caller's account and region, the conditional write of a changed record, and the wire shapes
 * (Cluster, Hsm) of a record.
 */
import { CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException, CloudHsmTagException } from '../../errors/cloudhsm-errors.ts';
import { clusterArn, QUOTAS, showsCsr, type ClusterRecord, type ClusterTag, type HsmRecord } from '../../domain/cluster.ts';
import type { CloudHsmContext } from './context.ts';

export const arnOf = (ctx: CloudHsmContext, clusterId: string): string => clusterArn(ctx.region, ctx.caller.accountId, clusterId);

/** Authorizes `cloudhsm:<operation>` on the cluster, then loads it (ResourceNotFound for another account's, region's or an unknown id). */
export async function authorizedCluster(ctx: CloudHsmContext, operation: string, clusterId: string): Promise<ClusterRecord> {
  const arn = arnOf(ctx, clusterId);
  await ctx.authorize(`cloudhsm:${operation}`, arn);
  ctx.resources.add(arn);
  const c = await ctx.clusters.getCluster(clusterId);
  if (c === undefined || c.accountId !== ctx.caller.accountId || c.region !== ctx.region) {
    throw new CloudHsmResourceNotFoundException(`The cluster ${clusterId} was not found.`);
  }
  return c;
}

/** Records the changed cluster in the request's change set, conditional on the revision it was read at. */
export function save(ctx: CloudHsmContext, before: ClusterRecord, after: ClusterRecord): void {
  ctx.uow.changes.push({ kind: 'putCluster', cluster: after, expectRevision: before.revision });
}

/** Tags Coffer refuses beyond the model's patterns: the reserved `aws:` prefix. */
export function checkTags(tags: readonly ClusterTag[]): void {
  const reserved = tags.find((t) => t.Key.toLowerCase().startsWith('aws:'));
  if (reserved !== undefined) throw new CloudHsmTagException(`The tag key ${reserved.Key} uses the reserved prefix aws:.`);
}

/** A tag list with `add` merged in (a key given again takes the new value), within the per-resource limit. */
export function mergeTags(tags: readonly ClusterTag[], add: readonly ClusterTag[]): ClusterTag[] {
  checkTags(add);
  const merged = new Map(tags.map((t) => [t.Key, t.Value]));
  for (const t of add) merged.set(t.Key, t.Value);
  if (merged.size > QUOTAS.tagsPerResource) throw new CloudHsmTagException(`A resource can have at most ${QUOTAS.tagsPerResource} tags.`);
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

export function hsmShape(c: ClusterRecord, h: HsmRecord): Record<string, unknown> {
  return {
    AvailabilityZone: h.availabilityZone, ClusterId: c.clusterId, SubnetId: h.subnetId, EniId: h.eniId, EniIp: h.eniIp,
    HsmId: h.hsmId, HsmType: c.hsmType, State: h.state, ...(h.stateMessage !== undefined ? { StateMessage: h.stateMessage } : {}),
  };
}

export function clusterShape(c: ClusterRecord): Record<string, unknown> {
  const certificates: Record<string, string> = {};
  if (showsCsr(c) && c.clusterCsr !== undefined) certificates.ClusterCsr = c.clusterCsr;
  if (c.clusterCertificate !== undefined) certificates.ClusterCertificate = c.clusterCertificate;
  return {
    BackupPolicy: 'DEFAULT',
    BackupRetentionPolicy: { Type: 'DAYS', Value: String(c.backupRetentionDays) },
    ClusterId: c.clusterId,
    CreateTimestamp: new Date(c.createdAt),
    // With the HSMs whose creation failed (DELETED, with their StateMessage) for a while.
    Hsms: c.hsms.map((h) => hsmShape(c, h)),
    HsmType: c.hsmType,
    SecurityGroup: c.securityGroup,
    State: c.state,
    ...(c.stateMessage !== undefined ? { StateMessage: c.stateMessage } : {}),
    SubnetMapping: c.subnetMapping,
    VpcId: c.vpcId,
    NetworkType: c.networkType,
    Certificates: certificates,
    TagList: c.tags,
    Mode: c.mode,
  };
}

/** A state that refuses the call, said the same way everywhere. */
export const wrongState = (c: ClusterRecord, what: string): CloudHsmInvalidRequestException =>
  new CloudHsmInvalidRequestException(`The cluster ${c.clusterId} is in state ${c.state}: ${what}.`);
