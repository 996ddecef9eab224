/**
 * DeleteHsm (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_DeleteHsm.html): the
 * HSM named by HsmId, EniId or EniIp (exactly one) goes DELETE_IN_PROGRESS; the job runner wipes
 * its token and drops it from Cluster.Hsms. Answers `{HsmId}`; deleting one already being deleted
 * answers it again. Errors: CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException,
 * CloudHsmAccessDeniedException.
 * Differences from AWS: no backup is taken first (backups come later).
 */
import { CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException } from '../../errors/cloudhsm-errors.ts';
import { liveHsms, withHsm } from '../../domain/cluster.ts';
import { authorizedCluster, save } from './common.ts';
import { defineCloudHsmOperation } from './context.ts';

interface Input { ClusterId: string; HsmId?: string; EniId?: string; EniIp?: string }

export const deleteHsm = defineCloudHsmOperation('DeleteHsm', async (input: Input, ctx) => {
  const given = [input.HsmId, input.EniId, input.EniIp].filter((x) => x !== undefined).length;
  if (given !== 1) throw new CloudHsmInvalidRequestException('Give exactly one of HsmId, EniId or EniIp.');
  const c = await authorizedCluster(ctx, 'DeleteHsm', input.ClusterId);
  const h = liveHsms(c).find((x) => x.hsmId === input.HsmId || x.eniId === input.EniId || x.eniIp === input.EniIp);
  if (h === undefined) throw new CloudHsmResourceNotFoundException(`No HSM of the cluster ${c.clusterId} has that ${input.HsmId !== undefined ? 'id' : input.EniId !== undefined ? 'ENI id' : 'ENI address'}.`);
  if (h.state !== 'DELETE_IN_PROGRESS') {
    save(ctx, c, withHsm(c, h.hsmId, { state: 'DELETE_IN_PROGRESS' }));
    ctx.kick();
  }
  return { HsmId: h.hsmId };
});
