/**
 * What the busy-polling policy (spin.ts) reads: the clock and the polling thread's usage.
 * The policy itself is pure; this is its door to the system.
 */
import { sharedMemory } from '../transport/pipe.js';
import type { SpinMeter } from './spin.js';

/** This thread's meter: performance.now(), and the thread's CPU time and involuntary context
 * switches from the native addon. Without the addon, the process's (process.resourceUsage),
 * which also count the compiler's and the collector's threads. */
export function threadMeter(): SpinMeter {
  const addon = sharedMemory();
  const usage =
    typeof addon === 'string'
      ? () => {
          const used = process.resourceUsage();
          const cpuMs = (used.userCPUTime + used.systemCPUTime) / 1000;
          return { cpuMs, preemptions: used.involuntaryContextSwitches, processCpuMs: cpuMs };
        }
      : () => {
          const [cpuMs, preemptions, processCpuMs] = addon.threadUsage();
          return { cpuMs, preemptions, processCpuMs };
        };
  return { now: () => performance.now(), usage };
}
