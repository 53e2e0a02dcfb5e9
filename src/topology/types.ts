/**
 * Resolved topology types: what a validated spec becomes. Every field is present (defaults
 * applied) and the objects are frozen. Plans and the testbed read only these, never raw input.
 */

/** How a vm reaches the wire (DESIGN.md section 2). `native` means no vm: ranks run on the host.
 * `shm` adds host-local shared-memory channels between co-located vms to the direct path: such
 * vms reach the wire through iov VFs, and ranks in two shm vms of one host talk through shared
 * memory (the runtime's local transport) instead of the network. */
export type Datapath = 'native' | 'bridged' | 'iov' | 'shm';
export const DATAPATHS: readonly Datapath[] = ['native', 'bridged', 'iov', 'shm'];

/** How a data path's vms reach the uplink: they are the host itself (native), ports of the
 * host's bridge, or owners of virtual functions on it. A spec is checked against this (a host's
 * vms attach one way; VFs are counted); everything else a data path is and does is its record
 * in src/testbed/datapaths/. */
export type Attachment = 'host' | 'bridge' | 'vf';
export const ATTACHMENT: Readonly<Record<Datapath, Attachment>> = {
  native: 'host',
  bridged: 'bridge',
  iov: 'vf',
  shm: 'vf',
};

/** Data paths whose vms attach to the uplink with a macvlan VF. */
export function usesVf(datapath: Datapath): boolean {
  return ATTACHMENT[datapath] === 'vf';
}

/** Where a message goes, by where its two ranks run: inside one vm, between vms of one host,
 * across hosts. Placement decides the class; the data path decides how each class travels. */
export type MessageClass = 'intra-vm' | 'inter-vm' | 'inter-host';
export const MESSAGE_CLASSES: readonly MessageClass[] = ['intra-vm', 'inter-vm', 'inter-host'];

/** The embedded switch of an SR-IOV NIC: `veb` switches vm-to-vm frames inside the NIC, `vepa`
 * sends them to the external switch and back (802.1Qbg). Emulated with macvlan modes. */
export type IovMode = 'veb' | 'vepa';
export const IOV_MODES: readonly IovMode[] = ['veb', 'vepa'];

/** How a host's `bridged` vms reach its bridge: through the emulated Dom0's user-space backend
 * (`user`, the split-driver model: every frame copied through a process of the host), or
 * straight onto the bridge in the kernel (`kernel`, the vhost-net analog). */
export type Dom0Backend = 'user' | 'kernel';
export const DOM0_BACKENDS: readonly Dom0Backend[] = ['user', 'kernel'];

/** A host's privileged domain (DESIGN.md section 2). */
export interface Dom0 {
  readonly backend: Dom0Backend;
  /** Its CPU budget (the backend runs under it), in cores or as a share of the host's cores;
   * null: no budgets on this host. With a budget, the host's guests (the ranks, on every data
   * path) get the host's cores minus it. */
  readonly cpus: { readonly cores: number } | { readonly share: number } | null;
}

export interface Uplink {
  /** Egress rate shaped with tc tbf, in Mbit/s; null means not shaped. */
  readonly rateMbit: number | null;
  /** tbf bucket size in bytes; null means derived from the rate (see testbed/shaping.ts). */
  readonly burstBytes: number | null;
  /** One-way delay in ms (needs netem); 0 means none. */
  readonly delayMs: number;
}

export interface IovOptions {
  readonly mode: IovMode;
  /** Virtual functions the uplink can export: bounded by the NIC's Rx/Tx queue pairs. */
  readonly maxVfs: number;
}

export interface Vm {
  readonly name: string;
  /** vCPUs; one rank runs per slot. */
  readonly slots: number;
  readonly datapath: Datapath;
  /** IPv4 address of the vm's interface; null when the vm is native (the host carries it). */
  readonly address: string | null;
}

export interface Host {
  readonly name: string;
  /** The cores this host stands for, when its dom0 has a budget; null: this machine's cores
   * divided among the hosts, decided when the testbed is built (testbed/budgets.ts). */
  readonly cpus: number | null;
  readonly dom0: Dom0;
  readonly uplink: Uplink;
  readonly iov: IovOptions;
  readonly vms: readonly Vm[];
  /** True when the host runs its ranks natively (all its vms are `native`). */
  readonly native: boolean;
  /** IPv4 address of the host on the wire; set only for native hosts. */
  readonly address: string | null;
}

export interface Addressing {
  /** Subnet inside 198.18.0.0/15 (RFC 2544), e.g. "198.18.0.0/15". */
  readonly subnet: string;
  readonly prefixLength: number;
}

export interface Topology {
  readonly name: string;
  readonly description: string;
  readonly addressing: Addressing;
  /** The switch namespace joining the uplinks; null when two hosts share one veth cable. */
  readonly switch: { readonly name: string } | null;
  readonly hosts: readonly Host[];
}
