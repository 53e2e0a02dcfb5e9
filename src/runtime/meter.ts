/**
 * What the busy-polling policy (spin.ts) reads of this process and this machine: the clock, the
 * process's CPU time and involuntary context switches (getrusage), and the threads runnable now
 * (/proc/loadavg). The policy itself is pure; this is its door to the system.
 */
import { openSync, readSync } from 'node:fs';
import type { SpinMeter } from './spin.js';

/** The process's own meter: performance.now(), getrusage, and /proc/loadavg read in place
 * (an open file read again from its start: about 2 us). */
export function processMeter(): SpinMeter {
  let loadavg: number | null | undefined;
  const text = Buffer.alloc(128);
  return {
    now: () => performance.now(),
    usage: () => {
      const used = process.resourceUsage();
      return {
        cpuMs: (used.userCPUTime + used.systemCPUTime) / 1000,
        preemptions: used.involuntaryContextSwitches,
      };
    },
    runnable: () => {
      try {
        loadavg ??= openSync('/proc/loadavg', 'r');
        if (loadavg === null) return null;
        // "0.52 0.48 0.40 3/215 4242": the fourth field is runnable/all threads.
        const read = readSync(loadavg, text, 0, text.length, 0);
        const running = Number(/ (\d+)\//.exec(text.toString('latin1', 0, read))?.[1]);
        return Number.isInteger(running) ? running : null;
      } catch {
        loadavg = null;
        return null;
      }
    },
  };
}
