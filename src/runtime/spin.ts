/**
 * When a rank busy-polls for its messages instead of sleeping in the kernel until data comes.
 * Polling saves the wake-up on every message (an 8-byte round trip between two vms here: 70 us
 * polling against 78 us sleeping), but only while the rank has a core to itself. On a shared
 * core it takes the time its peer, or any other process, needs to run, and every message then
 * waits for the scheduler's time slices: with one CPU-bound process beside a 2-rank ping-pong
 * on 2 cores, 7.7 ms a round trip polling against 61 us sleeping.
 *
 * So a rank polls only while polling gets the CPU it asks for. The policy measures, over spells
 * of polling, the share of the wall time the process was on a core; below MIN_SHARE something
 * else wants the cores, and the rank sleeps instead for a back-off that doubles, up to
 * MAX_BACKOFF_MS, for as long as the contention lasts (then tries again). Under lasting
 * contention it polls one window in MAX_BACKOFF_MS. Open MPI's answer to the same problem is
 * mpi_yield_when_idle (sched_yield in its progress loop, when it knows it is oversubscribed);
 * this one also sees other programs' load. The rest of the policy (never poll when the ranks
 * outnumber the cores, how long a spell lasts without news) is in init.ts and comm.ts.
 * Pure: the clock and the CPU meter are injected.
 */

/** Milliseconds of wall time and of this process's CPU time, both from any fixed origin. */
export interface SpinMeter {
  now(): number;
  cpu(): number;
}

/** The process's own meter: performance.now() and process.cpuUsage() (user + system). */
export const PROCESS_METER: SpinMeter = {
  now: () => performance.now(),
  cpu: () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  },
};

/** Polling is judged once its spells add up to this much wall time. */
export const WINDOW_MS = 20;
/** Below this share of the wall time on a core, polling competes for the CPU. */
export const MIN_SHARE = 0.8;
/** The first back-off, and the longest. */
export const FIRST_BACKOFF_MS = 50;
export const MAX_BACKOFF_MS = 2000;

/** A spell of polling under way: when and at what CPU time it began. */
export interface Spell {
  readonly wall: number;
  readonly cpu: number;
}

export class SpinPolicy {
  readonly #meter: SpinMeter;
  #wall = 0;
  #cpu = 0;
  #backoffMs = FIRST_BACKOFF_MS;
  #sleepUntil = Number.NEGATIVE_INFINITY;

  constructor(meter: SpinMeter = PROCESS_METER) {
    this.#meter = meter;
  }

  /** A spell of polling may start now (false while backing off). */
  allowed(): boolean {
    return this.#meter.now() >= this.#sleepUntil;
  }

  begin(): Spell {
    return { wall: this.#meter.now(), cpu: this.#meter.cpu() };
  }

  /** A spell ended: counts it, and once a window is full decides whether to back off. */
  end(spell: Spell): void {
    const now = this.#meter.now();
    this.#wall += now - spell.wall;
    this.#cpu += this.#meter.cpu() - spell.cpu;
    if (this.#wall < WINDOW_MS) return;
    if (this.#cpu / this.#wall < MIN_SHARE) {
      this.#sleepUntil = now + this.#backoffMs;
      this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
    } else this.#backoffMs = FIRST_BACKOFF_MS;
    this.#wall = 0;
    this.#cpu = 0;
  }

  /** Whether the last full window found the cores contended (for tests and reports). */
  get backingOff(): boolean {
    return !this.allowed();
  }
}
