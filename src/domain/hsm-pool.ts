/**
 * The HSM pool (design/hsm-tier.md §1.1, "Where tokens come from"): which tokens Coffer may make
 * HSMs of when an operator, not Coffer, provisions them, as real HSMs need (`C_InitToken` on a free
 * slot is a SoftHSM convenience). Pure rules; the file is read by adapters/hsm/pool-file.ts.
 *
 * The file (COFFER_HSM_POOL) is JSON:
 * ```
 * { "hsms": [
 *   { "subnetId": "subnet-0a1b2c3d4e5f60718", "availabilityZone": "us-east-1a", "tokenSerial": "5f3c1a9e2b7d4c60", "soPin": "…" },
 *   { "subnetId": "subnet-0b2c3d4e5f6071829", "availabilityZone": "us-east-1b", "tokenSerial": "0c9d8e7f6a5b4c3d", "soPin": "…" },
 *   { "subnetId": "subnet-0b2c3d4e5f6071829", "availabilityZone": "us-east-1b" }
 * ] }
 * ```
 * Each entry is one HSM's worth of capacity in one subnet: a token the operator initialised
 * (`tokenSerial`, with the SO PIN it was initialised with), or, without `tokenSerial`, a free slot
 * Coffer initialises itself (with an SO PIN of its own, as without a pool).
 *
 * With a pool:
 * - CreateCluster accepts only subnets the pool lists, and takes each subnet's Availability Zone
 *   from it (two subnets in one zone are refused, as AWS does);
 * - CreateHsm claims an entry of the zone's subnet that no live HSM holds, or is refused when none
 *   is left; the HSM's record names the entry (`poolEntry`) and, for a token of the operator's,
 *   its serial and SO PIN (sealed); DeleteHsm wipes the token (C_InitToken with that SO PIN,
 *   which it keeps) and so returns the entry to the pool.
 * Without a pool every well-formed subnet is accepted and gets the zones `<region>a`, `b`, … in
 * order (domain/cluster.ts subnetMappingOf).
 */

/** The prefix of the key of an entry that is an operator's token. */
export const POOL_TOKEN = 'token:';

export interface HsmPoolEntry {
  /** Stable name of the entry, kept in the HSM record that claims it: `token:<serial>` or `slot:<subnetId>#<n>` (n-th free-slot entry of the subnet). */
  readonly key: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  /** A token the operator initialised, and its SO PIN; absent: a free slot Coffer initialises. */
  readonly token?: { readonly serial: string; readonly soPin: string };
}

export interface HsmPool {
  readonly entries: readonly HsmPoolEntry[];
}

const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const ZONE = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
const ENTRY_FIELDS: ReadonlySet<string> = new Set(['subnetId', 'availabilityZone', 'tokenSerial', 'soPin']);
/** PKCS#11 token serials are 16 characters (CK_TOKEN_INFO.serialNumber), space-padded. */
const SERIAL_MAX = 16;
const MAX_ENTRIES = 1000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses the pool file's text. Answers the pool, or what is wrong with it (naming the entry by its
 * position, never echoing an SO PIN).
 */
export function parseHsmPool(text: string): HsmPool | { readonly problem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { problem: 'is not JSON' };
  }
  if (!isRecord(doc) || !Array.isArray(doc.hsms) || Object.keys(doc).some((k) => k !== 'hsms')) {
    return { problem: 'must be an object with one field, "hsms", a list of entries' };
  }
  if (doc.hsms.length === 0) return { problem: 'lists no HSM ("hsms" is empty)' };
  if (doc.hsms.length > MAX_ENTRIES) return { problem: `lists more than ${MAX_ENTRIES} HSMs` };
  const entries: HsmPoolEntry[] = [];
  const zoneOf = new Map<string, string>();
  const serials = new Set<string>();
  const freeSlots = new Map<string, number>();
  for (const [i, raw] of doc.hsms.entries()) {
    const at = `entry ${i + 1}`;
    if (!isRecord(raw)) return { problem: `${at} is not an object` };
    const unknown = Object.keys(raw).find((k) => !ENTRY_FIELDS.has(k));
    if (unknown !== undefined) return { problem: `${at} has an unknown field "${unknown.slice(0, 40)}" (known: ${[...ENTRY_FIELDS].join(', ')})` };
    const { subnetId, availabilityZone, tokenSerial, soPin } = raw;
    if (typeof subnetId !== 'string' || !SUBNET.test(subnetId)) return { problem: `${at}: "subnetId" must be a subnet ID (subnet- and 8 to 17 hex digits)` };
    if (typeof availabilityZone !== 'string' || !ZONE.test(availabilityZone)) return { problem: `${at}: "availabilityZone" must be an Availability Zone name such as us-east-1a` };
    const zone = zoneOf.get(subnetId);
    if (zone !== undefined && zone !== availabilityZone) return { problem: `${at}: subnet ${subnetId} is in ${zone} in an earlier entry, not ${availabilityZone}` };
    zoneOf.set(subnetId, availabilityZone);
    if (tokenSerial === undefined) {
      if (soPin !== undefined) return { problem: `${at}: "soPin" goes with "tokenSerial" (a free slot gets an SO PIN of Coffer's own)` };
      const n = (freeSlots.get(subnetId) ?? 0) + 1;
      freeSlots.set(subnetId, n);
      entries.push({ key: `slot:${subnetId}#${n}`, subnetId, availabilityZone });
      continue;
    }
    if (typeof tokenSerial !== 'string' || tokenSerial.length === 0 || tokenSerial.length > SERIAL_MAX || tokenSerial.trim() !== tokenSerial) {
      return { problem: `${at}: "tokenSerial" must be the token's serial number (1 to ${SERIAL_MAX} characters, as pkcs11-tool -L shows it)` };
    }
    if (serials.has(tokenSerial)) return { problem: `${at}: token ${tokenSerial} is listed twice` };
    serials.add(tokenSerial);
    const pinBytes = typeof soPin === 'string' ? Buffer.byteLength(soPin, 'utf8') : 0;
    if (typeof soPin !== 'string' || pinBytes < 4 || pinBytes > 255) return { problem: `${at}: "soPin" (the SO PIN the token was initialised with, 4 to 255 bytes) is needed with "tokenSerial"` };
    entries.push({ key: `${POOL_TOKEN}${tokenSerial}`, subnetId, availabilityZone, token: { serial: tokenSerial, soPin } });
  }
  const zones = new Map<string, string>();
  for (const [subnet, zone] of zoneOf) {
    const other = zones.get(zone);
    if (other !== undefined) return { problem: `subnets ${other} and ${subnet} are both in ${zone}: each subnet needs a zone of its own` };
    zones.set(zone, subnet);
  }
  return { entries };
}

/**
 * The cluster's Availability Zone → subnet mapping for CreateCluster's SubnetIds under a pool:
 * every subnet must be in the pool. Answers the mapping (zones in the order the subnets were given)
 * or the reason it cannot.
 */
export function poolSubnetMapping(pool: HsmPool, subnetIds: readonly string[]): { ok: true; mapping: Record<string, string> } | { ok: false; reason: string } {
  const mapping: Record<string, string> = {};
  for (const subnet of new Set(subnetIds.map((s) => s.toLowerCase()))) {
    const entry = pool.entries.find((e) => e.subnetId === subnet);
    if (entry === undefined) return { ok: false, reason: `The subnet ${subnet.slice(0, 40)} is not one of the subnets of Coffer's HSM pool (${poolSubnets(pool).join(', ')}).` };
    mapping[entry.availabilityZone] = subnet;
  }
  return { ok: true, mapping };
}

const poolSubnets = (pool: HsmPool): string[] => [...new Set(pool.entries.map((e) => e.subnetId))];

/**
 * The entry CreateHsm claims in `subnetId`: the first one whose key no live HSM (of any cluster,
 * any account) holds. Undefined when the subnet's entries are all claimed.
 */
export function claimablePoolEntry(pool: HsmPool, subnetId: string, claimed: ReadonlySet<string>): HsmPoolEntry | undefined {
  return pool.entries.find((e) => e.subnetId === subnetId && !claimed.has(e.key));
}

/** The entry of this key, if the pool still lists it. */
export const poolEntryOf = (pool: HsmPool, key: string): HsmPoolEntry | undefined => pool.entries.find((e) => e.key === key);
