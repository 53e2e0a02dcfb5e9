/**
 * Which failure of a rank is the job's. A rank's exit crosses ssh's or srun's forwarding from
 * its node, and the exits of the ranks it took down (they learn of it on their own sockets)
 * may overtake it; the rendezvous, too, may learn that the rank is gone after they end. So the
 * job's failure is the first rank the rendezvous lost: its own failure (its exit code) when
 * that comes in time, else that it ended without finalize. Its process still running is
 * waited for longer (its exit is on its way). A failure with no rank lost is reported after a
 * moment, the earliest first.
 */

/** How long a failure waits for the first lost rank's own when ranks run on other nodes
 * (ssh's and srun's forwarding of it can lag behind the others' under load). */
export const OWN_EXIT_WAIT_MS = 3000;
/** How many such waits the first lost rank gets while its process is still running. */
export const RUNNING_WAITS = 4;

export interface FirstFailure {
  /** The rendezvous lost this rank (its connection closed before it finalized). */
  lost(rank: number): void;
  /** A rank failed; `report` makes its failure the job's. */
  failed(rank: number, report: () => void): void;
  /** Every rank has ended: nothing more will come, decide now. */
  settle(): void;
}

export interface FirstFailureOptions {
  readonly waitMs: number;
  /** Reports that the first lost rank ended without finalize and without a failure of its own. */
  readonly silent: (rank: number) => void;
  /** Whether the rank's process (or its ssh session) has not ended yet, if that is known. */
  readonly running?: (rank: number) => boolean;
}

/** Makes one report at most. */
export function firstFailure(options: FirstFailureOptions): FirstFailure {
  const { waitMs, silent, running = () => false } = options;
  let first: number | null = null;
  let decided = false;
  const waiting = new Map<number, () => void>();
  const decide = (report: () => void) => {
    if (decided) return;
    decided = true;
    report();
  };
  const settle = () => {
    if (first === null) {
      const earliest = waiting.values().next().value;
      if (earliest) decide(earliest);
      return;
    }
    const lostRank = first;
    decide(waiting.get(lostRank) ?? (() => silent(lostRank)));
  };
  const awaitOwn = (rank: number, waits: number) =>
    setTimeout(() => {
      if (decided) return;
      if (running(rank) && waits < RUNNING_WAITS) awaitOwn(rank, waits + 1);
      else settle();
    }, waitMs).unref();
  return {
    lost(rank) {
      if (first !== null) return;
      first = rank;
      const own = waiting.get(rank);
      if (own) decide(own);
      else awaitOwn(rank, 1);
    },
    failed(rank, report) {
      if (decided) return;
      if (rank === first) return decide(report);
      if (waiting.has(rank)) return;
      waiting.set(rank, report);
      // Once a rank is lost, the wait that its loss began decides.
      setTimeout(() => first === null && settle(), waitMs).unref();
    },
    settle,
  };
}
