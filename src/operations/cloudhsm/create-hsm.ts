/**
 * CreateHsm (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_CreateHsm.html): adds
 * an HSM in an AZ of the cluster's SubnetMapping, with a synthesised ENI (id and an address in the
 * subnet's synthesised /24, or the IpAddress given there). Answers the HSM in CREATE_IN_PROGRESS;
 * the job runner initialises its token through the HSM module and makes it ACTIVE (or DELETED
 * with a StateMessage). Its SO PIN and system PIN are made here and stored only sealed. With an
 * HSM pool (COFFER_HSM_POOL) it claims a free entry of the zone's subnet: an operator's token (its
 * serial and SO PIN from the pool) or a free slot; none left is CloudHsmInvalidRequestException.
 * Errors: CloudHsmInvalidRequestException (AZ, address, state, quotas of 6 HSMs per account and
 * region and 28 per cluster), CloudHsmResourceNotFoundException, CloudHsmAccessDeniedException,
 * CloudHsmInternalFailureException (no HSM module configured).
 */
import { CloudHsmInternalFailureException, CloudHsmInvalidRequestException } from '../../errors/cloudhsm-errors.ts';
import { eniIpProblem, freeEniIp, liveHsms, newEniId, newHsmId, newPin, pinSealId, QUOTAS, revise, type HsmRecord } from '../../domain/cluster.ts';
import { authorizedCluster, hsmShape, save, wrongState } from './common.ts';
import { defineCloudHsmOperation, type CloudHsmContext } from './context.ts';
import { claimablePoolEntry, type HsmPool, type HsmPoolEntry } from '../../domain/hsm-pool.ts';

interface Input { ClusterId: string; AvailabilityZone: string; IpAddress?: string }

const ALLOWS: ReadonlySet<string> = new Set(['UNINITIALIZED', 'INITIALIZED', 'ACTIVE', 'DEGRADED']);

export const createHsm = defineCloudHsmOperation('CreateHsm', async (input: Input, ctx) => {
  const c = await authorizedCluster(ctx, 'CreateHsm', input.ClusterId);
  if (!ALLOWS.has(c.state)) throw wrongState(c, 'HSMs can be added only to a cluster that is UNINITIALIZED, INITIALIZED, ACTIVE or DEGRADED');
  const subnetId = c.subnetMapping[input.AvailabilityZone];
  if (subnetId === undefined) {
    throw new CloudHsmInvalidRequestException(`The Availability Zone ${input.AvailabilityZone} is not in the cluster's subnet mapping (${Object.keys(c.subnetMapping).join(', ')}).`);
  }
  const live = liveHsms(c);
  if (live.length >= QUOTAS.hsmsPerCluster) throw new CloudHsmInvalidRequestException(`The cluster already has ${live.length} HSMs, the most it may have (${QUOTAS.hsmsPerCluster}).`);
  const inRegion = (await ctx.clusters.listClusters(ctx.caller.accountId, ctx.region)).reduce((n, x) => n + liveHsms(x).length, 0);
  if (inRegion >= QUOTAS.hsmsPerRegion) {
    throw new CloudHsmInvalidRequestException(`The account already has ${inRegion} HSMs in ${ctx.region}, the most it may have (${QUOTAS.hsmsPerRegion}).`);
  }
  if (!ctx.hsmModule) throw new CloudHsmInternalFailureException('No HSM module is configured: Coffer cannot create HSMs (set COFFER_PKCS11_MODULE).');
  const taken = new Set(live.map((h) => h.eniIp));
  let eniIp: string | undefined;
  if (input.IpAddress !== undefined) {
    const problem = eniIpProblem(subnetId, input.IpAddress, taken);
    if (problem !== undefined) throw new CloudHsmInvalidRequestException(problem);
    eniIp = input.IpAddress;
  } else {
    eniIp = freeEniIp(subnetId, taken);
    if (eniIp === undefined) throw new CloudHsmInvalidRequestException(`The subnet ${subnetId} has no free address.`);
  }
  const entry = ctx.hsmPool === undefined ? undefined : await claimEntry(ctx, ctx.hsmPool, subnetId);
  const hsmId = newHsmId();
  const hsm: HsmRecord = {
    hsmId, availabilityZone: input.AvailabilityZone, subnetId, eniId: newEniId(), eniIp, state: 'CREATE_IN_PROGRESS', createdAt: ctx.now(),
    soPinSealed: ctx.seal(pinSealId(hsmId, 'so'), entry?.token?.soPin ?? newPin()), systemPinSealed: ctx.seal(pinSealId(hsmId, 'system'), newPin()),
    ...(entry !== undefined ? { poolEntry: entry.key } : {}),
    ...(entry?.token !== undefined ? { tokenSerial: entry.token.serial } : {}),
  };
  save(ctx, c, revise(c, { hsms: [...c.hsms, hsm] }));
  ctx.kick();
  return { Hsm: hsmShape(c, hsm) };
});

/** A pool entry of the subnet that no live HSM of any cluster holds (the pool is the process's, shared by every account). */
async function claimEntry(ctx: CloudHsmContext, pool: HsmPool, subnetId: string): Promise<HsmPoolEntry> {
  const claimed = new Set<string>();
  for (const id of await ctx.clusters.clusterIds()) {
    const c = await ctx.clusters.getCluster(id);
    for (const h of c === undefined ? [] : liveHsms(c)) if (h.poolEntry !== undefined) claimed.add(h.poolEntry);
  }
  if (!pool.entries.some((e) => e.subnetId === subnetId)) throw new CloudHsmInvalidRequestException(`The subnet ${subnetId} is no longer in Coffer's HSM pool.`);
  const entry = claimablePoolEntry(pool, subnetId, claimed);
  if (entry === undefined) throw new CloudHsmInvalidRequestException(`The subnet ${subnetId} has no free HSM left in Coffer's HSM pool.`);
  return entry;
}
