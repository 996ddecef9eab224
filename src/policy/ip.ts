/**
 * IPv4 / IPv6 addresses and CIDR ranges for IpAddress / NotIpAddress. A policy value without a
 * prefix is a single address (/32, /128); host bits below the prefix are ignored.
 */

export interface IpAddr {
  readonly v6: boolean;
  readonly value: bigint;
}

export interface Cidr {
  readonly v6: boolean;
  readonly network: bigint;
  readonly mask: bigint;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseV4(s: string): bigint | undefined {
  const m = V4.exec(s);
  if (!m) return undefined;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    v = (v << 8n) | BigInt(octet);
  }
  return v;
}

function groups(part: string): bigint[] | undefined {
  if (part === '') return [];
  const out: bigint[] = [];
  const items = part.split(':');
  for (let i = 0; i < items.length; i++) {
    const g = items[i] as string;
    if (i === items.length - 1 && g.includes('.')) {
      const v4 = parseV4(g);
      if (v4 === undefined) return undefined;
      out.push(v4 >> 16n, v4 & 0xffffn);
    } else if (HEX_GROUP.test(g)) out.push(BigInt(`0x${g}`));
    else return undefined;
  }
  return out;
}

function parseV6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let v = 0n;
  for (const g of [...head, ...new Array<bigint>(missing).fill(0n), ...tail]) v = (v << 16n) | g;
  return v;
}

/** The longest textual address: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. */
const MAX_ADDRESS_LENGTH = 45;

/** An IPv4 or IPv6 address; anything longer than an address can be is refused before it is split. */
export function parseIp(s: string): IpAddr | undefined {
  if (s.length > MAX_ADDRESS_LENGTH) return undefined;
  if (s.includes(':')) {
    const value = parseV6(s);
    return value === undefined ? undefined : { v6: true, value };
  }
  const value = parseV4(s);
  return value === undefined ? undefined : { v6: false, value };
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const bits = ip.v6 ? 128 : 32;
  let prefix = bits;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return undefined;
    prefix = Number(p);
  }
  const all = (1n << BigInt(bits)) - 1n;
  const mask = all ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { v6: ip.v6, network: ip.value & mask, mask };
}

export const cidrContains = (c: Cidr, ip: IpAddr): boolean => c.v6 === ip.v6 && (ip.value & c.mask) === c.network;
