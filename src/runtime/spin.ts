/**
 * When a rank busy-polls for its messages instead of sleeping in the kernel until data comes.
 * Polling saves the wake-up on every message, but only while the rank has a core to itself. On
 * a shared core it takes the time its peer, or any other process, needs to run, and every
 * message then waits for the scheduler's time slices: with one CPU-bound process beside a
 * 2-rank ping-pong on 2 cores, 7.7 ms a round trip polling against 61 us sleeping.
 *
 * So a rank polls only while nothing else wants its core, and stops once something does for
 * longer than a moment (a burst of a JIT compiler's or a launcher's thread is no reason to
 * sleep; on 2 cores with 2 polling ranks such bursts came every few milliseconds):
 *   - the machine's runnable threads (/proc/loadavg, this rank included) outnumber its cores
 *     on more than LOADED_SHARE of the reads (every CHECK_MS of a spell) since the window began,
 *     once there are LOADED_READS of them: someone waits for a core. With 2 ranks polling on
 *     the 2 shared cores here and nothing else running, 15-20% of the reads found a third
 *     thread (the kernel's, a launcher's); with a CPU-bound process beside them, nearly all;
 *   - the process was pre-empted (an involuntary context switch) more than MAX_PREEMPTIONS
 *     times in one window of polling;
 *   - over WINDOW_MS of polling, it was on a core less than MIN_SHARE of the wall time (a core
 *     taken from outside, which the other two do not see).
 * Then it sleeps instead, for a back-off that doubles from FIRST_BACKOFF_MS up to
 * MAX_BACKOFF_MS for as long as the contention lasts, and tries again. Open MPI's answer to the
 * same problem is mpi_yield_when_idle (sched_yield in its progress loop when it knows it is
 * oversubscribed); this one also sees other programs' load. Whether a rank may poll at all (the
 * ranks leave the cores room) is init.ts's rule; how long a spell lasts without news, comm.ts's.
 * Pure: the clock, the process's usage and the machine's load are injected (meter.ts reads
 * them from this process and /proc).
 */
/** What the policy reads of the process: CPU milliseconds and involuntary context switches
 * since any fixed origin. */
export interface Usage {
  readonly cpuMs: number;
  readonly preemptions: number;
}

export interface SpinMeter {
  /** Wall milliseconds from any fixed origin. */
  now(): number;
  usage(): Usage;
  /** Threads of the machine runnable now (running or waiting for a core), or null if unknown. */
  runnable(): number | null;
}

/** How often a spell reads the machine's load (each read costs about 2 us). */
export const CHECK_MS = 0.5;
/** Reads of the load a window needs before their share decides, and the share of them that
 * must find a thread waiting for a core for polling to stop. */
export const LOADED_READS = 20;
export const LOADED_SHARE = 0.5;
/** Pre-emptions within one window that polling tolerates. */
export const MAX_PREEMPTIONS = 5;
/** Polling's share of the wall time on a core is judged once its spells add up to this. */
export const WINDOW_MS = 20;
/** Below this share of the wall time on a core, polling competes for the CPU. */
export const MIN_SHARE = 0.8;
/** The first back-off, and the longest. */
export const FIRST_BACKOFF_MS = 10;
export const MAX_BACKOFF_MS = 5000;

/** A spell of polling under way: when it began, and the process's usage then. */
export interface Spell {
  readonly wall: number;
  readonly usage: Usage;
}

export class SpinPolicy {
  readonly #cores: number;
  readonly #meter: SpinMeter;
  #wall = 0;
  #cpu = 0;
  #preemptions = 0;
  #reads = 0;
  #loaded = 0;
  #backoffMs = FIRST_BACKOFF_MS;
  #sleepUntil = Number.NEGATIVE_INFINITY;
  #checkedAt = Number.NEGATIVE_INFINITY;

  /** `cores`: the cores this machine runs threads on. */
  constructor(cores: number, meter: SpinMeter) {
    this.#cores = cores;
    this.#meter = meter;
  }

  /** A spell of polling may start now: not backing off, and no thread waits for a core (as
   * read within the last CHECK_MS). */
  allowed(): boolean {
    const now = this.#meter.now();
    return now >= this.#sleepUntil && this.#idleCores(now);
  }

  begin(): Spell {
    return { wall: this.#meter.now(), usage: this.#meter.usage() };
  }

  /** During a spell: false when it must end because a thread waits for a core (which backs
   * off). Reads the load at most every CHECK_MS. */
  keep(): boolean {
    return this.#idleCores(this.#meter.now());
  }

  /** A spell ended: counts it, backs off at once if the process was pre-empted more than
   * MAX_PREEMPTIONS times in this window, and once a window is full, backs off if polling got
   * too little of a core. */
  end(spell: Spell): void {
    const now = this.#meter.now();
    if (now < this.#sleepUntil) return; // keep() ended it and backed off already
    const usage = this.#meter.usage();
    this.#preemptions += usage.preemptions - spell.usage.preemptions;
    if (this.#preemptions > MAX_PREEMPTIONS) {
      this.#backOff(now);
      return;
    }
    this.#wall += now - spell.wall;
    this.#cpu += usage.cpuMs - spell.usage.cpuMs;
    if (this.#wall < WINDOW_MS) return;
    if (this.#cpu / this.#wall < MIN_SHARE) this.#backOff(now);
    else {
      this.#backoffMs = FIRST_BACKOFF_MS;
      this.#reset();
    }
  }

  /** Threads have not waited for a core on most reads of this window (this rank is one of
   * the runnable ones); unknown counts as none. The load is read at most every CHECK_MS. */
  #idleCores(now: number): boolean {
    if (now - this.#checkedAt < CHECK_MS) return true;
    this.#checkedAt = now;
    const runnable = this.#meter.runnable();
    if (runnable === null) return true;
    this.#reads++;
    if (runnable > this.#cores) this.#loaded++;
    if (this.#reads < LOADED_READS || this.#loaded <= LOADED_SHARE * this.#reads) return true;
    this.#backOff(now);
    return false;
  }

  #backOff(now: number): void {
    this.#sleepUntil = now + this.#backoffMs;
    this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
    this.#reset();
  }

  #reset(): void {
    this.#wall = 0;
    this.#cpu = 0;
    this.#preemptions = 0;
    this.#reads = 0;
    this.#loaded = 0;
  }
}
