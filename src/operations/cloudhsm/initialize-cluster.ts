/**
 * InitializeCluster (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_InitializeCluster.html):
 * needs UNINITIALIZED, at least one ACTIVE HSM and the cluster's CSR; the injected checker
 * (ClusterCertificateChecker) decides on SignedCert and TrustAnchor. The cluster then stores the
 * certificate, the anchor and the lineage id, and goes INITIALIZE_IN_PROGRESS; the job runner
 * makes it INITIALIZED. Errors: CloudHsmInvalidRequestException (state, no ACTIVE HSM, the
 * checker's reason), CloudHsmResourceNotFoundException, CloudHsmAccessDeniedException.
 * Differences from AWS: the cluster key (CK) and the unactivated admin come with the data plane.
 */
import { CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import { INITIALIZE_MESSAGE, revise } from '../../domain/cluster.ts';
import { authorizedCluster, save, wrongState } from './common.ts';
import { defineCloudHsmOperation } from './context.ts';

interface Input { ClusterId: string; SignedCert: string; TrustAnchor: string }

export const initializeCluster = defineCloudHsmOperation('InitializeCluster', async (input: Input, ctx) => {
  const c = await authorizedCluster(ctx, 'InitializeCluster', input.ClusterId);
  if (c.state !== 'UNINITIALIZED') throw wrongState(c, 'only an UNINITIALIZED cluster can be initialized');
  if (!c.hsms.some((h) => h.state === 'ACTIVE')) throw new CloudHsmInvalidRequestException(`The cluster ${c.clusterId} has no ACTIVE HSM: create one and wait until it is ACTIVE.`);
  if (c.clusterCsr === undefined) throw new CloudHsmInvalidRequestException(`The cluster ${c.clusterId} has no CSR yet: wait until its first HSM made it.`);
  const verdict = await ctx.checkCertificates(c.clusterCsr, input.SignedCert, input.TrustAnchor, new Date(ctx.now()));
  if (!verdict.ok) throw new CloudHsmInvalidRequestException(verdict.reason);
  const after = revise(c, {
    state: 'INITIALIZE_IN_PROGRESS', stateMessage: INITIALIZE_MESSAGE,
    clusterCertificate: input.SignedCert, trustAnchor: input.TrustAnchor, lineageId: verdict.lineageId,
  });
  save(ctx, c, after);
  ctx.kick();
  return { State: 'INITIALIZE_IN_PROGRESS', StateMessage: INITIALIZE_MESSAGE };
});
