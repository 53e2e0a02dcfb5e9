/**
 * Statistics of repeated measurements. Pure.
 * Confidence intervals use Student's t distribution on the sample mean (as netperf's -I does),
 * with the quantile from jstat; means, deviations and quantiles from simple-statistics.
 */
import jstat from 'jstat';
import { mean, quantileSorted, sampleStandardDeviation } from 'simple-statistics';

export interface Summary {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n - 1); 0 for a single sample. */
  readonly stddev: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  return {
    n: samples.length,
    mean: mean([...samples]),
    stddev: samples.length > 1 ? sampleStandardDeviation([...samples]) : 0,
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

export interface Interval {
  /** Confidence level, e.g. 0.99. */
  readonly level: number;
  readonly mean: number;
  /** Half-width of the interval around the mean; Infinity with fewer than two samples. */
  readonly halfWidth: number;
  /** Half-width as a percentage of the mean. */
  readonly halfWidthPct: number;
}

/** Two-sided t interval for the mean at `level` (0 < level < 1). */
export function confidenceInterval(samples: readonly number[], level: number): Interval {
  const { n, mean: m, stddev } = summarize(samples);
  if (n < 2)
    return {
      level,
      mean: m,
      halfWidth: Number.POSITIVE_INFINITY,
      halfWidthPct: Number.POSITIVE_INFINITY,
    };
  const t = jstat.jStat.studentt.inv(1 - (1 - level) / 2, n - 1);
  const halfWidth = (t * stddev) / Math.sqrt(n);
  return {
    level,
    mean: m,
    halfWidth,
    halfWidthPct: m === 0 ? Number.POSITIVE_INFINITY : (100 * halfWidth) / Math.abs(m),
  };
}

/** Percentiles (0-100) of samples, by linear interpolation of the sorted samples. */
export function percentiles(
  samples: Float64Array | readonly number[],
  ps: readonly number[],
): number[] {
  if (samples.length === 0) return ps.map(() => Number.NaN);
  const sorted = Float64Array.from(samples).sort();
  const asArray = Array.from(sorted);
  return ps.map((p) => quantileSorted(asArray, p / 100));
}

/** Median of samples. */
export function median(samples: readonly number[]): number {
  return percentiles(samples, [50])[0] ?? Number.NaN;
}
