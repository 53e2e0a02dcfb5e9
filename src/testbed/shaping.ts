/**
 * Link shaping with tc: a token bucket filter (tbf) caps an interface's egress at the uplink
 * rate; a delay needs netem (which this project's CI kernel lacks; applying it then fails with
 * E_TESTBED_UNSUPPORTED). Both directions of a link are shaped by shaping each end's egress.
 * Pure: returns steps.
 */
import type { Uplink } from '../topology/types.js';
import { type Step, tc } from './plan.js';

/** Bytes per second of a rate in Mbit/s (10^6 bits). */
export function bytesPerSecond(rateMbit: number): number {
  return (rateMbit * 1e6) / 8;
}

/** tbf bucket: one millisecond of traffic at the rate, and never less than two 64 KiB GSO
 * segments, so large segments pass without being split into many tiny bursts. */
export function defaultBurstBytes(rateMbit: number): number {
  return Math.max(2 * 65_536, Math.ceil(bytesPerSecond(rateMbit) / 1000));
}

/** tbf queue limit: 10 ms of traffic, at least two buckets (a short queue keeps latency honest). */
export function queueLimitBytes(rateMbit: number, burstBytes: number): number {
  return Math.max(2 * burstBytes, Math.ceil(bytesPerSecond(rateMbit) / 100));
}

/** tc's notation for a rate in Mbit/s: kbit keeps fractional rates exact enough. */
function tcRate(rateMbit: number): string {
  return `${Math.round(rateMbit * 1000)}kbit`;
}

/** Steps that shape `dev` in `netns` as `uplink` asks; none when it is neither rated nor delayed. */
export function planShaping(netns: string, dev: string, uplink: Uplink): Step[] {
  const steps: Step[] = [];
  const object = { kind: 'qdisc', netns, dev } as const;
  let parent = ['root'];
  if (uplink.delayMs > 0) {
    steps.push(
      tc(
        netns,
        [
          'qdisc',
          'add',
          'dev',
          dev,
          'root',
          'handle',
          '1:',
          'netem',
          'delay',
          `${uplink.delayMs}ms`,
        ],
        `delay ${uplink.delayMs} ms on ${dev} (netem)`,
        object,
      ),
    );
    parent = ['parent', '1:1', 'handle', '10:'];
  }
  if (uplink.rateMbit !== null) {
    const burst = uplink.burstBytes ?? defaultBurstBytes(uplink.rateMbit);
    const limit = queueLimitBytes(uplink.rateMbit, burst);
    steps.push(
      tc(
        netns,
        [
          'qdisc',
          'add',
          'dev',
          dev,
          ...parent,
          'tbf',
          'rate',
          tcRate(uplink.rateMbit),
          'burst',
          String(burst),
          'limit',
          String(limit),
        ],
        `shape ${dev} to ${uplink.rateMbit} Mbit/s (tbf burst ${burst} B)`,
        uplink.delayMs > 0 ? undefined : object,
      ),
    );
  }
  return steps;
}
