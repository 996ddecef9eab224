/**
 * ModifyCluster (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_ModifyCluster.html):
 * changes the backup retention (DAYS 7–379). Errors: CloudHsmInvalidRequestException,
 * CloudHsmResourceNotFoundException, CloudHsmAccessDeniedException.
 * Differences from AWS: an HsmType change (hsm1.medium → hsm2m.medium migration) is refused for now.
 */
import { CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import { retentionDaysOf, revise } from '../../domain/cluster.ts';
import { authorizedCluster, clusterShape, save, wrongState } from './common.ts';
import { defineCloudHsmOperation } from './context.ts';

interface Input { ClusterId: string; HsmType?: string; BackupRetentionPolicy?: { Type?: string; Value?: string } }

export const modifyCluster = defineCloudHsmOperation('ModifyCluster', async (input: Input, ctx) => {
  const c = await authorizedCluster(ctx, 'ModifyCluster', input.ClusterId);
  if (input.HsmType !== undefined && input.HsmType !== c.hsmType) throw new CloudHsmInvalidRequestException('Changing a cluster\'s HSM type is not supported yet.');
  if (input.BackupRetentionPolicy === undefined) {
    if (input.HsmType !== undefined) return { Cluster: clusterShape(c) };
    throw new CloudHsmInvalidRequestException('Give a BackupRetentionPolicy (or an HsmType) to modify.');
  }
  if (c.state === 'DELETE_IN_PROGRESS' || c.state === 'DELETED') throw wrongState(c, 'it cannot be modified');
  const retention = retentionDaysOf(input.BackupRetentionPolicy);
  if (!retention.ok) throw new CloudHsmInvalidRequestException(retention.reason);
  if (retention.days === c.backupRetentionDays) return { Cluster: clusterShape(c) };
  const after = revise(c, { backupRetentionDays: retention.days });
  save(ctx, c, after);
  return { Cluster: clusterShape(after) };
});
