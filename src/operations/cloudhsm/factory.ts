/**
 * Builds each CloudHSMv2 request's context (context.ts) over the services the composition root
 * gives: IAM decisions through the authorizer (an IAM deny is CloudHsmAccessDeniedException; the
 * account root may do anything, as for KMS), the clusters' repository, the key store's SecretBox.
 */
import { AccessDeniedException } from '../../errors/common-errors.ts';
import { CloudHsmAccessDeniedException } from '../../errors/cloudhsm-errors.ts';
import type { Clock } from '../../core/clock.ts';
import type { Authorizer } from '../../services/authorizer.ts';
import type { ClusterRepository } from '../../ports/cluster-repository.ts';
import type { SecretBox } from '../../ports/secret-box.ts';
import type { Caller, RequestInfo } from '../context.ts';
import type { UnitOfWork } from '../../ports/changes.ts';
import type { CloudHsmContext, ClusterCertificateChecker } from './context.ts';
import type { HsmModule } from '../../ports/hsm.ts';
import type { HsmPool } from '../../domain/hsm-pool.ts';

export interface CloudHsmServices {
  readonly authorizer: Pick<Authorizer, 'authorizeAccount'>;
  readonly clusters: ClusterRepository;
  readonly secrets: SecretBox;
  readonly clock: Clock;
  readonly hsmModule: boolean;
  /** COFFER_HSM_POOL's pool, if set. */
  readonly hsmPool?: HsmPool | undefined;
  /** The module itself, for the data plane's token work. */
  readonly module?: HsmModule | undefined;
  readonly checkCertificates: ClusterCertificateChecker;
  /** COFFER_HSM_LOGIN_ATTEMPTS (default 5). */
  readonly loginAttempts?: number;
  /** Runs the cluster jobs soon (Scheduler.kick). */
  readonly kick: () => void;
}

export function createCloudHsmContextFactory(s: CloudHsmServices) {
  return (caller: Caller, region: string, requestId: string, request: RequestInfo, resources: Set<string>, uow: UnitOfWork): CloudHsmContext => ({
    requestId, caller, region, request, resources, uow,
    clusters: s.clusters,
    now: () => s.clock.now(),
    authorize: async (action, resource) => {
      try {
        await s.authorizer.authorizeAccount(caller, request, action, resource);
      } catch (e) {
        if (e instanceof AccessDeniedException) throw new CloudHsmAccessDeniedException(e.message);
        throw e;
      }
    },
    seal: (id, secret) => s.secrets.seal(id, secret),
    hsmModule: s.hsmModule,
    hsmPool: s.hsmPool,
    hsm: { module: s.module, secrets: s.secrets },
    checkCertificates: s.checkCertificates,
    loginAttempts: s.loginAttempts ?? 5,
    kick: s.kick,
  });
}
