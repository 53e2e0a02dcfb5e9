/**
 * Reading what an Open MPI job says: its ranks' output (mpirun --tag-output puts
 * `[JOB,RANK]<stdout>:` before every line), why it failed (mpirun's own messages, Open MPI
 * 4.1's wording), and when each rank's program ran (the clock library's files, see
 * apps/mpi-clock/clock.c). Pure.
 */

/** A line of a rank, or of mpirun itself (rank null). */
export interface TaggedLine {
  readonly rank: number | null;
  readonly stream: 'out' | 'err';
  readonly text: string;
}

const TAG = /^\[\d+,(\d+)\]<(stdout|stderr)>:(.*)$/;

/** One line as mpirun --tag-output printed it on `stream`. */
export function untag(line: string, stream: 'out' | 'err'): TaggedLine {
  const m = TAG.exec(line);
  if (!m) return { rank: null, stream, text: line };
  return { rank: Number(m[1]), stream: m[2] === 'stdout' ? 'out' : 'err', text: m[3] as string };
}

/** The last `keep` lines of each rank, in arrival order. */
export class Tails {
  readonly #keep: number;
  readonly #lines = new Map<number, string[]>();

  constructor(keep: number) {
    this.#keep = keep;
  }

  add(rank: number, text: string): void {
    const lines = this.#lines.get(rank) ?? [];
    lines.push(text);
    if (lines.length > this.#keep) lines.shift();
    this.#lines.set(rank, lines);
  }

  of(rank: number): string[] {
    return [...(this.#lines.get(rank) ?? [])];
  }
}

/** How the first rank to fail ended, as mpirun reports it. */
export interface RankFailure {
  readonly rank: number;
  /** Its exit code, or the error code it passed to MPI_Abort. */
  readonly exitCode: number | null;
  readonly signal: number | null;
  readonly signalName: string | null;
  readonly aborted: boolean;
}

/** The failing rank in mpirun's messages, or null when they name none. */
export function rankFailure(text: string): RankFailure | null {
  const exit = /Process name:\s*\[\[\d+,\d+\],(\d+)\]\s*\n\s*Exit code:\s*(\d+)/.exec(text);
  const signalled =
    /process rank (\d+) with PID \d+ on node \S+ exited on signal (\d+)(?: \(([^)]*)\))?/.exec(
      text,
    );
  const abort =
    /MPI_ABORT was invoked on rank (\d+) in communicator \S+\s+with errorcode (-?\d+)/.exec(text);
  const none = { exitCode: null, signal: null, signalName: null, aborted: false };
  if (abort) return { ...none, rank: Number(abort[1]), exitCode: Number(abort[2]), aborted: true };
  if (signalled)
    return {
      ...none,
      rank: Number(signalled[1]),
      signal: Number(signalled[2]),
      signalName: signalled[3] ?? null,
    };
  if (exit) return { ...none, rank: Number(exit[1]), exitCode: Number(exit[2]) };
  return null;
}

/** Open MPI's error report (the text between its dashed rules), condensed to a few lines. */
export function mpirunMessage(text: string, lines = 4): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^-+$/.test(l) && !TAG.test(l))
    .slice(0, lines)
    .join(' ');
}

/** When the ranks' programs ran, from the clock files (`INIT_DONE FINALIZE_START` each): from
 * the first MPI_Init's return to the last MPI_Finalize's entry, in seconds; null when a rank
 * wrote none (it never got from MPI_Init to MPI_Finalize). */
export function programSeconds(files: readonly string[], ranks: number): number | null {
  if (files.length < ranks || ranks === 0) return null;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const text of files) {
    const [a, b] = text.trim().split(/\s+/).map(Number);
    if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
    start = Math.min(start, a as number);
    end = Math.max(end, b as number);
  }
  return Math.max(0, end - start);
}
