/**
 * A data path as one record: what it is (name, description), how each message class travels on
 * it (its channel), which shared resources a message crosses, how it is drawn, and how the
 * testbed builds it (its planner). The model, the runtime's choice of transport, the report and
 * the planner all read this record; a new data path is a new record (and its name in
 * topology/types.ts, where specs are checked). Pure.
 */
import type { Datapath, Host, MessageClass } from '../../topology/types.js';
import type { PlanContext, Step } from '../plan.js';

/** What carries a class of messages: shared memory inside a vm (`local`) or between co-located
 * vms (`shm`), the host's software bridge, a VF of the NIC, or the host's own interface
 * (`native`, no vms). */
export type Channel = 'local' | 'shm' | 'bridge' | 'vf' | 'native';

/** The runtime's transport on a channel: the local one (a Unix socket plus shared-memory rings)
 * where the channel is memory, TCP over the vm's own interface otherwise, so that the data path
 * carries the traffic. */
export function transportOf(channel: Channel): 'local' | 'tcp' {
  return channel === 'local' || channel === 'shm' ? 'local' : 'tcp';
}

/** Where two ranks meet: their hosts (for the resources between them). */
export interface Ends {
  readonly from: string;
  readonly to: string;
}

export interface DatapathRecord {
  readonly name: Datapath;
  readonly description: string;
  /** How each class travels; ranks of one vm always share the local transport. */
  readonly channels: Readonly<Record<MessageClass, Channel>>;
  /** Whether its vms own virtual functions of the uplink (a NIC has a bounded number). */
  readonly usesVf: boolean;
  /** The shared resources a message of `messageClass` between hosts `ends` crosses, as the
   * model's max-min sharing names them: `up:<host>:out|in`, `bridge:<host>`, `nic:<host>`. */
  resources(messageClass: MessageClass, ends: Ends): string[];
  /** Its colour in the report's charts. */
  readonly colour: string;
  /** The steps that wire a host's vms (or the host itself) to its uplink. */
  plan(host: Host, hostNs: string, ctx: PlanContext, hostIndex: number): Step[];
}

/** The uplink directions a message across hosts crosses, on every data path. */
export function uplinks({ from, to }: Ends): string[] {
  return [`up:${from}:out`, `up:${to}:in`];
}
