/** The CloudHSMv2 operations Coffer answers, by AWS name (the operation table's `cloudhsm` rows). */
import type { CloudHsmOperation } from './context.ts';
import { createCluster } from './create-cluster.ts';
import { describeClusters } from './describe-clusters.ts';
import { createHsm } from './create-hsm.ts';
import { deleteHsm } from './delete-hsm.ts';
import { deleteCluster } from './delete-cluster.ts';
import { modifyCluster } from './modify-cluster.ts';
import { initializeCluster } from './initialize-cluster.ts';
import { listTags, tagResource, untagResource } from './tags.ts';

export const CLOUDHSM_OPERATIONS: ReadonlyMap<string, CloudHsmOperation> = new Map(
  [createCluster, describeClusters, createHsm, deleteHsm, deleteCluster, modifyCluster, initializeCluster, tagResource, untagResource, listTags]
    .map((op) => [op.name, op]),
);
