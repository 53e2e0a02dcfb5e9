/**
 * Reads what iproute2 reports about a namespace (`ip -s -d -j addr show`, `tc -j qdisc show`)
 * into plain records: interfaces with kind, master, addresses and byte counters; qdiscs with
 * rates. Parsing is pure; `inspectNetns` runs the two commands.
 */
import type { CommandRunner } from '../sys/runner.js';

export interface InterfaceStatus {
  readonly name: string;
  /** veth, bridge, macvlan, ... or null for plain devices such as lo. */
  readonly kind: string | null;
  /** macvlan mode (bridge, vepa) when the interface is a macvlan. */
  readonly mode: string | null;
  /** The bridge this interface is a port of. */
  readonly master: string | null;
  readonly up: boolean;
  readonly addresses: readonly string[];
  readonly rxBytes: number;
  readonly txBytes: number;
}

export interface QdiscStatus {
  readonly dev: string;
  readonly kind: string;
  /** Shaped rate in Mbit/s for tbf; null for other kinds. */
  readonly rateMbit: number | null;
  readonly burstBytes: number | null;
  readonly drops: number;
}

interface IpLink {
  ifname: string;
  flags?: string[];
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
  addr_info?: { family: string; local: string; prefixlen: number }[];
  stats64?: { rx?: { bytes?: number }; tx?: { bytes?: number } };
}

/** Parses `ip -s -d -j addr show`. */
export function parseInterfaces(json: string): InterfaceStatus[] {
  const links = JSON.parse(json || '[]') as IpLink[];
  return links.map((link) => ({
    name: link.ifname,
    kind: link.linkinfo?.info_kind ?? null,
    mode: link.linkinfo?.info_kind === 'macvlan' ? (link.linkinfo.info_data?.mode ?? null) : null,
    master: link.master ?? null,
    up: (link.flags ?? []).includes('UP'),
    addresses: (link.addr_info ?? [])
      .filter((a) => a.family === 'inet')
      .map((a) => `${a.local}/${a.prefixlen}`),
    rxBytes: link.stats64?.rx?.bytes ?? 0,
    txBytes: link.stats64?.tx?.bytes ?? 0,
  }));
}

interface TcQdisc {
  kind: string;
  dev?: string;
  options?: { rate?: number; burst?: number };
  drops?: number;
}

/** Parses `tc -s -j qdisc show` (rates come in bytes per second). */
export function parseQdiscs(json: string): QdiscStatus[] {
  const qdiscs = JSON.parse(json || '[]') as TcQdisc[];
  return qdiscs
    .filter((q) => q.kind !== 'noqueue' && q.dev !== undefined)
    .map((q) => ({
      dev: q.dev ?? '',
      kind: q.kind,
      rateMbit:
        q.kind === 'tbf' && q.options?.rate !== undefined ? (q.options.rate * 8) / 1e6 : null,
      burstBytes: q.kind === 'tbf' ? (q.options?.burst ?? null) : null,
      drops: q.drops ?? 0,
    }));
}

/** Interfaces and qdiscs of one namespace, read live. */
export async function inspectNetns(
  runner: CommandRunner,
  netns: string,
): Promise<{ interfaces: InterfaceStatus[]; qdiscs: QdiscStatus[] }> {
  const [links, tc] = await Promise.all([
    runner.run({
      argv: ['ip', '-n', netns, '-s', '-d', '-j', 'addr', 'show'],
      netns,
      description: `read interfaces of ${netns}`,
    }),
    runner.run({
      argv: ['tc', '-n', netns, '-s', '-j', 'qdisc', 'show'],
      netns,
      description: `read qdiscs of ${netns}`,
    }),
  ]);
  return { interfaces: parseInterfaces(links.stdout), qdiscs: parseQdiscs(tc.stdout) };
}
