/**
 * What the bench tests take and return. Results are data (a union on `test`); the CLI renders.
 */

export const MiB = 1024 * 1024;

export interface StreamParams {
  readonly test: 'stream';
  /** Bytes per write (netperf -m). */
  readonly sizeBytes: number;
  /** Measured time, after the warm-up. */
  readonly durationMs: number;
  readonly warmupMs: number;
}

export interface RrParams {
  readonly test: 'rr';
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

export type TestParams = StreamParams | RrParams;

/** The time window a run measured, in ms since the epoch (comparable across processes). */
export interface Window {
  readonly startMs: number;
  readonly endMs: number;
}

export interface StreamRun {
  readonly test: 'stream';
  /** Bytes the receiver counted after the warm-up. */
  readonly bytes: number;
  readonly seconds: number;
  /** Receiver's figure in MiB/s (2^20 bytes). */
  readonly mibps: number;
  readonly sentBytes: number;
  /** Sender CPU time (user + system) over the run, as a percentage of one core; null if unknown. */
  readonly senderCpuPct: number | null;
  readonly window: Window;
}

export interface LatencyUs {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface RrRun {
  readonly test: 'rr';
  readonly transactions: number;
  readonly seconds: number;
  readonly transactionsPerSecond: number;
  readonly latencyUs: LatencyUs;
  readonly window: Window;
}

export type Run = StreamRun | RrRun;

/** The figure confidence and totals are computed on: MiB/s for stream, transactions/s for rr. */
export function figureOf(run: Run): number {
  return run.test === 'stream' ? run.mibps : run.transactionsPerSecond;
}
