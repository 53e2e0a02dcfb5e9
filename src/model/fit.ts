/**
 * Piecewise-linear fits of time against message size, as SimGrid's SMPI corrects its network
 * model by size range: t(m) = a + G m on each segment, least squares on relative error (so that
 * 8-byte latencies weigh as much as 4-MiB transfers). Breakpoints are chosen among powers of two
 * from 1 Ki to 16 Mi: the fewest segments (at most three) whose error is within 10% of the best
 * found, or under 3%; or, where the caller knows where the cost changes, given (fitAt). Each fit
 * keeps its points. Pure.
 */

export interface Segment {
  /** The first size of the segment (bytes); the last segment runs to infinity. */
  readonly fromBytes: number;
  /** Seconds at zero bytes (the intercept). */
  readonly a: number;
  /** Seconds per byte. */
  readonly g: number;
}

export interface PiecewiseFit {
  readonly segments: readonly Segment[];
  /** Root mean square relative error over the fitted points. */
  readonly error: number;
  readonly points: number;
  /** The points it was fitted to (absent in older calibrations and in fits made of fits: means,
   * scalings). */
  readonly samples?: readonly Point[];
}

export interface Point {
  readonly bytes: number;
  readonly seconds: number;
}

function fitLine(points: readonly Point[]): { a: number; g: number; sse: number } {
  // Weighted least squares with weights 1/t^2: minimises the squared relative error.
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const w = 1 / (p.seconds * p.seconds);
    sw += w;
    sx += w * p.bytes;
    sy += w * p.seconds;
    sxx += w * p.bytes * p.bytes;
    sxy += w * p.bytes * p.seconds;
  }
  const det = sw * sxx - sx * sx;
  let g = det > 0 ? (sw * sxy - sx * sy) / det : 0;
  let a = (sy - g * sx) / sw;
  // Physical bounds: no negative time per byte or at zero bytes.
  if (g < 0) {
    g = 0;
    a = sy / sw;
  }
  if (a < 0) {
    a = 0;
    g = sxx > 0 ? sxy / sxx : 0;
  }
  let sse = 0;
  for (const p of points) sse += ((a + g * p.bytes - p.seconds) / p.seconds) ** 2;
  return { a, g, sse };
}

const CANDIDATES = Array.from({ length: 15 }, (_, i) => 1024 * 2 ** i); // 1 Ki .. 16 Mi

export function segmentAt(fit: PiecewiseFit, bytes: number): Segment {
  let found = fit.segments[0] as Segment;
  for (const s of fit.segments) if (bytes >= s.fromBytes) found = s;
  return found;
}

/** Time for `bytes` under a fit. */
export function evaluate(fit: PiecewiseFit, bytes: number): number {
  const s = segmentAt(fit, bytes);
  return s.a + s.g * bytes;
}

/** The points a fit can use (a size, a positive finite time), by size. */
const fittable = (input: readonly Point[]): Point[] =>
  input
    .filter((p) => p.bytes >= 0 && p.seconds > 0 && Number.isFinite(p.seconds))
    .sort((a, b) => a.bytes - b.bytes);

/** Lines on the segments that `breaks` (ascending) make of sorted `points`, with how many
 * points each rests on. */
function segmented(
  points: readonly Point[],
  breaks: readonly number[],
): { segments: Segment[]; error: number; counts: number[] } {
  const bounds = [0, ...breaks, Number.POSITIVE_INFINITY];
  let sse = 0;
  const segments: Segment[] = [];
  const counts: number[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i] as number;
    const hi = bounds[i + 1] as number;
    const inside = points.filter((p) => p.bytes >= lo && p.bytes < hi);
    const line = fitLine(inside);
    sse += line.sse;
    segments.push({ fromBytes: lo, a: line.a, g: line.g });
    counts.push(inside.length);
  }
  return { segments, error: Math.sqrt(sse / points.length), counts };
}

/** The fit of `input` on segments that break where the caller knows the cost changes (a
 * transport's threshold), not where the points' noise would put them: each segment needs two
 * points or more. */
export function fitAt(input: readonly Point[], breaks: readonly number[]): PiecewiseFit {
  const points = fittable(input);
  const { segments, error, counts } = segmented(
    points,
    [...breaks].sort((a, b) => a - b),
  );
  counts.forEach((n, i) => {
    if (n < 2) {
      const to = segments[i + 1]?.fromBytes ?? Number.POSITIVE_INFINITY;
      throw new RangeError(
        `a fit needs two points or more from ${segments[i]?.fromBytes} to ${to} bytes, got ${n}`,
      );
    }
  });
  return { segments, error, points: points.length, samples: points };
}

/** The fit of `input`; each segment rests on `minPoints` points or more (2 by default; more
 * when single points are noisy). */
export function fitPiecewise(input: readonly Point[], minPoints = 2): PiecewiseFit {
  const points = fittable(input);
  if (points.length < 2)
    throw new RangeError(`a fit needs two points or more, got ${points.length}`);
  const usable = CANDIDATES.filter(
    (c) =>
      points.filter((p) => p.bytes < c).length >= minPoints &&
      points.filter((p) => p.bytes >= c).length >= minPoints,
  );
  const options: number[][] = [[]];
  for (const b of usable) options.push([b]);
  for (const b1 of usable)
    for (const b2 of usable)
      if (b2 > b1 && points.filter((p) => p.bytes >= b1 && p.bytes < b2).length >= minPoints)
        options.push([b1, b2]);
  const candidates = options.map((breaks) => {
    const { segments, error } = segmented(points, breaks);
    return { segments, error };
  });
  const best = Math.min(...candidates.map((c) => c.error));
  const chosen = candidates
    .filter((c) => c.error <= Math.max(best * 1.1, 0.03))
    .sort(
      (x, y) => x.segments.length - y.segments.length || x.error - y.error,
    )[0] as (typeof candidates)[number];
  return { ...chosen, points: points.length, samples: points };
}

/** The mean of several fits, exactly: a piecewise line again, with the union of their
 * breakpoints (between two, each fit is one line, and so is their mean). */
export function meanFit(fits: readonly PiecewiseFit[]): PiecewiseFit {
  if (fits.length === 0) throw new RangeError('a mean of no fits');
  if (fits.length === 1) return fits[0] as PiecewiseFit;
  const breaks = [...new Set(fits.flatMap((f) => f.segments.map((s) => s.fromBytes)))].sort(
    (x, y) => x - y,
  );
  const mean = (f: (s: Segment) => number) => (bytes: number) =>
    fits.reduce((sum, fit) => sum + f(segmentAt(fit, bytes)), 0) / fits.length;
  return {
    segments: breaks.map((fromBytes) => ({
      fromBytes,
      a: mean((s) => s.a)(fromBytes),
      g: mean((s) => s.g)(fromBytes),
    })),
    error: fits.reduce((sum, f) => sum + f.error, 0) / fits.length,
    points: fits.reduce((sum, f) => sum + f.points, 0),
  };
}

/** A fit times `k`: every segment's intercept and slope scaled. */
export function scaleFit(fit: PiecewiseFit, k: number): PiecewiseFit {
  return {
    segments: fit.segments.map((s) => ({ ...s, a: s.a * k, g: s.g * k })),
    error: fit.error,
    points: fit.points,
  };
}
