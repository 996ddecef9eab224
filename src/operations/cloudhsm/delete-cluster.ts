/**
 * DeleteCluster (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_DeleteCluster.html):
 * a cluster with no HSM goes DELETE_IN_PROGRESS, then (job runner) DELETED; its record stays
 * visible 7 days. Errors: CloudHsmInvalidRequestException (HSMs left, already deleted),
 * CloudHsmResourceNotFoundException, CloudHsmAccessDeniedException.
 */
import { liveHsms, revise } from '../../domain/cluster.ts';
import { CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import { authorizedCluster, clusterShape, save, wrongState } from './common.ts';
import { defineCloudHsmOperation } from './context.ts';

export const deleteCluster = defineCloudHsmOperation('DeleteCluster', async (input: { ClusterId: string }, ctx) => {
  const c = await authorizedCluster(ctx, 'DeleteCluster', input.ClusterId);
  if (c.state === 'DELETE_IN_PROGRESS' || c.state === 'DELETED') throw wrongState(c, 'it is already being deleted');
  const hsms = liveHsms(c).length;
  if (hsms > 0) throw new CloudHsmInvalidRequestException(`The cluster ${c.clusterId} still has ${hsms} HSM${hsms === 1 ? '' : 's'}: delete ${hsms === 1 ? 'it' : 'them'} first.`);
  const after = revise(c, { state: 'DELETE_IN_PROGRESS' });
  save(ctx, c, after);
  ctx.kick();
  return { Cluster: clusterShape(after) };
});
