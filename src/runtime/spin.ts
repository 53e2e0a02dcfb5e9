/**
 * When a rank busy-polls for its messages instead of sleeping in the kernel until data comes.
 * Polling saves the wake-up on every message, but only while the rank has a core to itself. On
 * a shared core it takes the time its peer, or any other process, needs to run, and every
 * message then waits for the scheduler's time slices: with one CPU-bound process beside a
 * 2-rank ping-pong on 2 cores, 7.7 ms a round trip polling against 61 us sleeping.
 *
 * So a rank polls only while it keeps its core, and it measures exactly that. A thread that
 * polls never sleeps, so the part of a spell's wall time its own thread was not on a core (wall
 * time less the thread's CPU time, CLOCK_THREAD_CPUTIME_ID) was taken from it. It counts as
 * lost only when the thread was pre-empted meanwhile (its involuntary context switches,
 * RUSAGE_THREAD), and less the CPU time of the process's own other threads (the compiler's, the
 * collector's, which the rank needs anyway): what remains went to another process that wanted
 * the core, a competitor or the peer on an oversubscribed core. Time off the core with no
 * pre-emption is the hypervisor's steal, which sleeping would not give back. Once polling has
 * lost more than MAX_LOST_MS of the last WINDOW_MS of its time, it stops: it sleeps instead, for
 * a back-off that doubles from FIRST_BACKOFF_MS up to MAX_BACKOFF_MS for as long as the
 * contention lasts, and tries again; GOOD_WINDOWS windows in a row that lose less reset the
 * back-off (a competitor that comes back after each short back-off is not forgiven at once). The
 * usage is read every CHECK_MS of a spell, so a competitor (whose scheduler slices, 1.4 ms under
 * this kernel's EEVDF, are taken from the poller whole) stops polling within a few reads. Other
 * readings were tried and dropped: the machine's runnable threads (/proc/loadavg) found a third
 * thread on 12 to 20 of 20 reads with 2 ranks polling alone on 2 cores, and the process's
 * involuntary context switches counted every helper thread's; both stopped polling that had its
 * cores. Open MPI's answer to the same problem is mpi_yield_when_idle (sched_yield in its
 * progress loop when it knows it is oversubscribed); this one also sees other programs' load.
 * A rank under a CPU quota it shares (a testbed host's budget for its guests: `share` cores
 * of it on average) that polls on spends the quota, and the kernel then throttles the whole
 * group for the rest of the QUOTA_PERIOD_MS period (7 ms at a time under paper's 0.875
 * cores). That too is time off the core with a pre-emption, but no other process's: so a
 * stretch of it (MIN_THROTTLE_MS or more) lost once the process has used QUOTA_MARGIN of its
 * share over the last period is the quota's and is not counted, one a period, as the quota
 * throttles. More of them are contention: the ranks of one budget taking turns on a core
 * they share lose a stretch every time slice. The rank polls on through the throttle, as an
 * MPI library's ranks do: on paper, 2 ranks one a host, a loop of 100,000 barriers took
 * 13.3-13.9 us a call so (throttled about 26 times in 1.4 s) against 19.0-19.7 when the rank
 * slept whenever its share was spent (docs/benchmarks.md).
 * A competitor outside the group keeps the rank's use below its share: that is contention.
 * Whether a rank may poll at all (no more ranks than cores) is init.ts's rule; how long a
 * spell lasts without news, comm.ts's.
 * Pure: the clock and the usage are injected (meter.ts reads them).
 */
/** What the policy reads of the polling thread: its CPU milliseconds and involuntary context
 * switches, and its process's CPU milliseconds, each since any fixed origin. */
export interface Usage {
  readonly cpuMs: number;
  readonly preemptions: number;
  /** CPU milliseconds of all the process's threads, the polling one included. */
  readonly processCpuMs: number;
}

export interface SpinMeter {
  /** Wall milliseconds from any fixed origin. */
  now(): number;
  usage(): Usage;
}

/** How often a spell reads its thread's usage (each read is two system calls, about 1 us). */
export const CHECK_MS = 0.5;
/** The polling time over which lost time is counted. */
export const WINDOW_MS = 20;
/** Time taken by other threads that a window of polling tolerates. */
export const MAX_LOST_MS = 4;
/** Windows in a row that lose little before the back-off is the first one again. */
export const GOOD_WINDOWS = 5;
/** The first back-off, and the longest. */
export const FIRST_BACKOFF_MS = 10;
export const MAX_BACKOFF_MS = 5000;

/** The period over which a CPU quota is counted (CFS's default, the testbed's budgets'). */
export const QUOTA_PERIOD_MS = 100;
/** The part of its share of a quota from which the time a polling rank loses is taken for the
 * quota's throttle (the rank reads its use every CHECK_MS of a spell; its helper threads count
 * too). */
export const QUOTA_MARGIN = 0.85;
/** The shortest stretch off the core taken for a throttle (shorter ones count as contention). */
export const MIN_THROTTLE_MS = 1;
/** Two stretches taken for throttles are at least this part of a period apart. */
export const THROTTLE_SPACING = 0.8;

/** A reading of the process's CPU time, for its share of a quota. */
interface Use {
  readonly wall: number;
  readonly processCpuMs: number;
}

/** A spell of polling under way. */
export interface Spell {
  readonly began: number;
}

/** A reading of the clock and the thread's usage. */
interface Mark extends Usage {
  readonly wall: number;
}

export class SpinPolicy {
  readonly #meter: SpinMeter;
  /** The window: polling time and time lost to other threads, in the spells counted so far. */
  #wall = 0;
  #lost = 0;
  #mark: Mark = { wall: Number.NEGATIVE_INFINITY, cpuMs: 0, preemptions: 0, processCpuMs: 0 };
  /** Windows in a row that lost little. */
  #good = 0;
  #backoffMs = FIRST_BACKOFF_MS;
  #sleepUntil = Number.NEGATIVE_INFINITY;
  /** Under a quota: the process CPU milliseconds a period from which time off the core is the
   * quota's (Infinity: none), and readings of its use, oldest first, reaching back at least one
   * period. */
  readonly #quotaMs: number;
  readonly #uses: Use[] = [];
  /** When the last stretch off the core was taken for the quota's throttle. */
  #throttledAt = Number.NEGATIVE_INFINITY;

  /** `share`: the cores of a CPU quota this rank may use on average (Infinity: no quota). */
  constructor(meter: SpinMeter, share = Number.POSITIVE_INFINITY) {
    this.#meter = meter;
    this.#quotaMs = share * QUOTA_PERIOD_MS * QUOTA_MARGIN;
    this.#quotaSpent(this.#read());
  }

  /** A spell of polling may start now: it is not backing off. */
  allowed(): boolean {
    return this.#meter.now() >= this.#sleepUntil;
  }

  begin(): Spell {
    this.#mark = this.#read();
    return { began: this.#mark.wall };
  }

  /** During a spell: false when it must end because other processes took too much of its
   * core (which backs off). Reads the usage at most every CHECK_MS. */
  keep(_spell: Spell): boolean {
    if (this.#meter.now() - this.#mark.wall < CHECK_MS) return true;
    return this.#count();
  }

  /** A spell ended: counts its rest into the window. */
  end(_spell: Spell): void {
    if (this.#meter.now() >= this.#sleepUntil) this.#count(); // else keep() backed off already
  }

  /** Counts the time since the last mark: its part off the core is lost to another thread if
   * this one was pre-empted meanwhile (else the machine itself was not running it: a
   * hypervisor's steal, which sleeping would not give back), but for the period's one stretch
   * of a quota's throttle once the process has spent its share. Backs off past MAX_LOST_MS in
   * a window; a full window that lost less resets the back-off. */
  #count(): boolean {
    const mark = this.#read();
    const wall = mark.wall - this.#mark.wall;
    const throttled = this.#quotaSpent(mark);
    if (mark.preemptions > this.#mark.preemptions) {
      const own = mark.cpuMs - this.#mark.cpuMs;
      const helpers = mark.processCpuMs - this.#mark.processCpuMs - own;
      const lost = Math.max(0, wall - own - helpers);
      // The quota throttles once a period, for the rest of it: one stretch off the core (the
      // reading after it comes up to a CHECK_MS or so late, hence the slack).
      const periodOver = mark.wall - this.#throttledAt >= QUOTA_PERIOD_MS * THROTTLE_SPACING;
      if (throttled && lost >= MIN_THROTTLE_MS && periodOver) this.#throttledAt = mark.wall;
      else this.#lost += lost;
    }
    this.#wall += wall;
    this.#mark = mark;
    if (this.#lost > MAX_LOST_MS) {
      this.#backOff(mark.wall);
      return false;
    }
    if (this.#wall >= WINDOW_MS) {
      if (++this.#good >= GOOD_WINDOWS) this.#backoffMs = FIRST_BACKOFF_MS;
      this.#reset();
    }
    return true;
  }

  #read(): Mark {
    return { wall: this.#meter.now(), ...this.#meter.usage() };
  }

  /** Whether the process used its share of a quota over the last period: never, without a
   * quota (or with one a polling thread cannot spend: a core or more); else `mark` is recorded,
   * and the use counted from the newest reading at least a period old, per period of the time
   * since (which is a period or more). */
  #quotaSpent(mark: Mark): boolean {
    if (this.#quotaMs >= QUOTA_PERIOD_MS) return false;
    const uses = this.#uses;
    uses.push({ wall: mark.wall, processCpuMs: mark.processCpuMs });
    while (uses.length > 2 && (uses[1] as Use).wall <= mark.wall - QUOTA_PERIOD_MS) uses.shift();
    const since = uses[0] as Use;
    const periods = Math.max(1, (mark.wall - since.wall) / QUOTA_PERIOD_MS);
    return mark.processCpuMs - since.processCpuMs >= this.#quotaMs * periods;
  }

  #backOff(now: number): void {
    this.#good = 0;
    this.#sleepUntil = now + this.#backoffMs;
    this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
    this.#reset();
  }

  #reset(): void {
    this.#wall = 0;
    this.#lost = 0;
  }
}
