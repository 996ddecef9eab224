/**
 * What a CloudHSMv2 operation receives (design/hsm-tier.md §2): the caller, the region of its
 * credential scope, the committed clusters (reads) and the request's change set (writes, committed
 * by the pipeline with the call's audit record), and the questions it may ask. Built per request
 * by the factory the composition root wires (serve.ts).
 */
import type { Caller, RequestInfo } from '../context.ts';
import type { ClusterRepository } from '../../ports/cluster-repository.ts';
import type { UnitOfWork } from '../../ports/changes.ts';
import type { HsmUserDeps } from '../../services/hsm-users.ts';
import type { HsmPool } from '../../domain/hsm-pool.ts';

/**
 * Checks InitializeCluster's certificates (design §2.1): the trust anchor self-signed and valid,
 * the signed certificate issued by it over the CSR's key and inside its validity period. Answers
 * the lineage id (SHA-256 of the signed certificate) or why it refuses them.
 */
export type ClusterCertificateChecker = (csrPem: string, signedCertPem: string, trustAnchorPem: string, now: Date) =>
  { ok: true; lineageId: string } | { ok: false; reason: string } | Promise<{ ok: true; lineageId: string } | { ok: false; reason: string }>;

export interface CloudHsmContext {
  readonly requestId: string;
  readonly caller: Caller;
  /** The region of the request's credential scope. */
  readonly region: string;
  readonly request: RequestInfo;
  /** ARNs the call touched (its audit record's resources). */
  readonly resources: Set<string>;
  readonly clusters: ClusterRepository;
  readonly uow: UnitOfWork;
  now(): number;
  /** Rejects with CloudHsmAccessDeniedException unless the caller's IAM policies allow `action` on `resource`. */
  authorize(action: string, resource: string): Promise<void>;
  /** Seals a secret (an HSM's PINs) under the key store, bound to `id`. */
  seal(id: string, secret: string): string;
  /** Whether an HSM module is configured (CreateHsm needs one to make tokens). */
  readonly hsmModule: boolean;
  /** The HSM pool (COFFER_HSM_POOL): the subnets and tokens clusters may use; undefined: every well-formed subnet, tokens on free slots. */
  readonly hsmPool: HsmPool | undefined;
  /** The HSM module and the SecretBox, for the data plane's token work (CofferHsmService). */
  readonly hsm: HsmUserDeps;
  readonly checkCertificates: ClusterCertificateChecker;
  /** Failed HSM logins in a row after which a user is locked out (COFFER_HSM_LOGIN_ATTEMPTS). */
  readonly loginAttempts: number;
  /** Asks the job runner to run soon (after this call's change set is committed). */
  kick(): void;
}

export interface CloudHsmOperation {
  readonly name: string;
  /** The slow part (token work, scrypt), run before the state-change lock with an empty change set; its result goes to `run`. */
  prepare?(input: Record<string, unknown>, ctx: CloudHsmContext): Promise<unknown>;
  run(input: Record<string, unknown>, ctx: CloudHsmContext, prepared?: unknown): Promise<object | undefined>;
}

export function defineCloudHsmOperation<I extends object, O extends object | undefined>(
  name: string,
  run: (input: I, ctx: CloudHsmContext) => Promise<O>,
): CloudHsmOperation {
  return { name, run: (input, ctx) => run(input as I, ctx) };
}
