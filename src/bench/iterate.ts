/**
 * Repetition until confident, like netperf's `-i max,min -I level,width`: run at least `min`
 * times, then stop as soon as the confidence interval's half-width is within `widthPct` percent
 * of the mean, or after `max` runs. The result says which happened. (netperf reads its width as
 * the whole interval; vmpath's --confidence reads it as the half-width, as its issue specifies.)
 */
import { confidenceInterval, type Interval } from './stats.js';

export interface IterationPolicy {
  readonly min: number;
  readonly max: number;
  /** Confidence level, e.g. 0.99. */
  readonly level: number;
  /** Wanted half-width, percent of the mean (netperf's default width is 5, i.e. +/- 2.5%). */
  readonly widthPct: number;
}

/** One run, no confidence asked for. */
export const SINGLE_RUN: IterationPolicy = {
  min: 1,
  max: 1,
  level: 0.99,
  widthPct: Number.POSITIVE_INFINITY,
};

export interface IterationOutcome<T> {
  readonly runs: readonly T[];
  readonly interval: Interval;
  /** True when the interval reached the wanted width; false when `max` runs did not get there;
   * null when a single run was asked for (no interval to reach). */
  readonly confident: boolean | null;
}

/** Runs `once` until the policy is satisfied; `value` picks the figure the interval is on. */
export async function iterate<T>(
  policy: IterationPolicy,
  once: (index: number) => Promise<T>,
  value: (run: T) => number,
): Promise<IterationOutcome<T>> {
  const runs: T[] = [];
  let interval: Interval = {
    level: policy.level,
    mean: Number.NaN,
    halfWidth: Number.POSITIVE_INFINITY,
    halfWidthPct: Number.POSITIVE_INFINITY,
  };
  while (runs.length < policy.max) {
    runs.push(await once(runs.length));
    interval = confidenceInterval(runs.map(value), policy.level);
    if (runs.length >= policy.min && confidentEnough(interval, policy)) break;
  }
  const asked = policy.max > 1;
  return { runs, interval, confident: asked ? confidentEnough(interval, policy) : null };
}

function confidentEnough(interval: Interval, policy: IterationPolicy): boolean {
  return interval.halfWidthPct <= policy.widthPct;
}
