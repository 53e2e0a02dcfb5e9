/**
 * Message classes: given where ranks run and what they send each other, which messages stay in
 * a vm, which cross between vms of one host, which cross hosts. Pure.
 */
import { MESSAGE_CLASSES, type MessageClass } from '../topology/types.js';
import type { Placed } from './patterns.js';

export { MESSAGE_CLASSES, type MessageClass };

/** What one rank sends another: a communication matrix entry (the runtime's, or a pattern's). */
export interface Traffic {
  readonly from: number;
  readonly to: number;
  readonly messages: number;
  readonly bytes: number;
}

export interface Classified {
  readonly byClass: Readonly<Record<MessageClass, { messages: number; bytes: number }>>;
  readonly messages: number;
  readonly bytes: number;
  /** Shares of inter-host messages and bytes, 0..1 (0 when nothing is sent). */
  readonly interHostMessageShare: number;
  readonly interHostByteShare: number;
}

export function classOf(
  a: Pick<Placed, 'vm' | 'host'>,
  b: Pick<Placed, 'vm' | 'host'>,
): MessageClass {
  if (a.vm === b.vm) return 'intra-vm';
  return a.host === b.host ? 'inter-vm' : 'inter-host';
}

export function classify(placement: readonly Placed[], traffic: readonly Traffic[]): Classified {
  const byClass = {
    'intra-vm': { messages: 0, bytes: 0 },
    'inter-vm': { messages: 0, bytes: 0 },
    'inter-host': { messages: 0, bytes: 0 },
  };
  for (const t of traffic) {
    const a = placement[t.from];
    const b = placement[t.to];
    if (!a || !b)
      throw new RangeError(
        `traffic from rank ${t.from} to rank ${t.to}, but the placement has ${placement.length} ranks`,
      );
    const c = byClass[classOf(a, b)];
    c.messages += t.messages;
    c.bytes += t.bytes;
  }
  const messages = MESSAGE_CLASSES.reduce((s, c) => s + byClass[c].messages, 0);
  const bytes = MESSAGE_CLASSES.reduce((s, c) => s + byClass[c].bytes, 0);
  return {
    byClass,
    messages,
    bytes,
    interHostMessageShare: messages ? byClass['inter-host'].messages / messages : 0,
    interHostByteShare: bytes ? byClass['inter-host'].bytes / bytes : 0,
  };
}
