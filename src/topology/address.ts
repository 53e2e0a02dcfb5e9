/**
 * IPv4 arithmetic for the testbed's addressing plan. Pure.
 * Only the RFC 2544 benchmarking range 198.18.0.0/15 may be used: vmpath never puts any other
 * address on an interface, so its traffic can never reach a real network.
 */

/** The benchmarking range (RFC 2544, section C.2.2). */
export const BENCHMARK_RANGE = '198.18.0.0/15';

/** Parses a dotted quad into a 32-bit unsigned integer, or returns null. */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Formats a 32-bit unsigned integer as a dotted quad. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export interface Cidr {
  readonly base: number;
  readonly prefixLength: number;
  /** Number of addresses in the block. */
  readonly size: number;
}

/** Parses "a.b.c.d/n" with the host bits zero; null if malformed. */
export function parseCidr(text: string): Cidr | null {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!match) return null;
  const base = parseIpv4(match[1] ?? '');
  const prefixLength = Number(match[2]);
  if (base === null || prefixLength > 32) return null;
  const size = 2 ** (32 - prefixLength);
  if (base % size !== 0) return null;
  return { base, prefixLength, size };
}

/** True if `inner` lies wholly inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

/** The n-th usable host address of a block (n from 0; skips the network address). */
export function hostAddress(cidr: Cidr, n: number): string {
  return formatIpv4(cidr.base + 1 + n);
}

/** How many host addresses a block offers (no network or broadcast address). */
export function usableAddresses(cidr: Cidr): number {
  return Math.max(0, cidr.size - 2);
}

/** The smallest block a.b.c.d/n that holds every one of `addresses` (at most /30, so that a
 * single address still names a network: Open MPI's TCP selection matches no peer across /32
 * blocks). */
export function coveringCidr(addresses: readonly string[]): string {
  const values = addresses.map((a) => parseIpv4(a)).filter((v): v is number => v !== null);
  if (values.length === 0) throw new RangeError('coveringCidr: no address');
  const low = Math.min(...values);
  const high = Math.max(...values);
  let prefixLength = 30;
  while (
    prefixLength > 0 &&
    Math.floor(low / 2 ** (32 - prefixLength)) !== Math.floor(high / 2 ** (32 - prefixLength))
  )
    prefixLength--;
  const size = 2 ** (32 - prefixLength);
  return `${formatIpv4(Math.floor(low / size) * size)}/${prefixLength}`;
}
