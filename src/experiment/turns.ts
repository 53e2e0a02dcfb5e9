/**
 * Turns among jobs that measure one machine together: each measurement waits for its job's
 * turn, and the turn passes to the next job still running (round-robin) when it ends. Jobs that
 * take the same measurements in the same order then take their k-th ones back to back, and a
 * drift of the machine over minutes falls on all of them alike instead of on whichever ran then.
 * Pure.
 */

/** One job's handle: wait for the turn, measure, pass it on. */
export interface Turn {
  /** Runs `measure` in this job's turn and passes the turn on when it ends (or throws). */
  run<T>(measure: () => Promise<T> | T): Promise<T>;
}

export class Turns {
  private current = 0;
  private readonly running: boolean[];
  private readonly waiting = new Map<number, () => void>();

  constructor(jobs: number) {
    if (!Number.isInteger(jobs) || jobs < 1)
      throw new RangeError(`turns among ${jobs} jobs; allowed: 1 or more`);
    this.running = Array.from({ length: jobs }, () => true);
  }

  /** The handle of job `index` (0-based, the order the turn goes in). */
  of(index: number): Turn {
    if (!(index in this.running)) throw new RangeError(`job ${index} of ${this.running.length}`);
    return {
      run: async <T>(measure: () => Promise<T> | T): Promise<T> => {
        if (!this.running[index]) throw new RangeError(`job ${index} has left the turns`);
        if (this.current !== index) await new Promise<void>((go) => this.waiting.set(index, go));
        try {
          return await measure();
        } finally {
          this.pass(index);
        }
      },
    };
  }

  /** Job `index` takes no more measurements (it finished or failed): the turn skips it. */
  leave(index: number): void {
    if (!this.running[index]) return;
    this.running[index] = false;
    if (this.current === index) this.pass(index);
  }

  private pass(from: number): void {
    const n = this.running.length;
    for (let k = 1; k <= n; k++) {
      const next = (from + k) % n;
      if (!this.running[next]) continue;
      this.current = next;
      const go = this.waiting.get(next);
      this.waiting.delete(next);
      go?.();
      return;
    }
  }
}
