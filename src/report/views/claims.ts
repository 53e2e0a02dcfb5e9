/**
 * The study's claims, each checked from stored runs: the paper's figure, ours as a mean with a
 * 95% confidence interval over repeats (Student's t, bench/stats), and a verdict. Pure.
 *
 * A comparison is decided only when the two intervals are disjoint; overlapping intervals (or a
 * single repeat, whose interval is unbounded) make a claim inconclusive. `reversed` means the
 * opposite of the claim holds with disjoint intervals; `not reproduced` that the direction
 * holds but not what the paper adds (a size, a second condition).
 */
import { confidenceInterval } from '../../bench/stats.js';
import { doneRuns, type TypedRun } from '../records.js';
import { PAPER_STREAM } from './tables.js';

export type Verdict = 'reproduced' | 'not reproduced' | 'reversed' | 'inconclusive';

export interface Claim {
  readonly id: number;
  readonly claim: string;
  readonly paper: string;
  readonly ours: string;
  readonly verdict: Verdict;
  /** Why, in a few words (the comparison that decided it, or what is missing). */
  readonly why: string;
}

/** A mean with its 95% interval. */
export interface Estimate {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly n: number;
}

export const LEVEL = 0.95;

export function estimate(samples: readonly number[]): Estimate | null {
  if (samples.length === 0) return null;
  const ci = confidenceInterval(samples, LEVEL);
  return {
    mean: ci.mean,
    low: ci.mean - ci.halfWidth,
    high: ci.mean + ci.halfWidth,
    n: samples.length,
  };
}

/** 'above' when a's interval lies wholly above b's, 'below' when wholly below, else 'overlap'. */
export function compare(a: Estimate, b: Estimate): 'above' | 'below' | 'overlap' {
  if (a.low > b.high) return 'above';
  if (a.high < b.low) return 'below';
  return 'overlap';
}

export function show(e: Estimate | null, digits = 0, unit = ''): string {
  if (!e) return 'no runs';
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(digits) : '?');
  return `${f(e.mean)}${unit} [${f(e.low)}, ${f(e.high)}] (n=${e.n})`;
}

/** Values grouped by repeat, then averaged within a repeat: one sample per repeat. */
function perRepeat<T>(
  items: readonly T[],
  repeat: (t: T) => number,
  value: (t: T) => number,
): number[] {
  return [...byRepeat(items, repeat, value).entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => v);
}

/** Per-repeat ratios a/b of two series of the same repeats (pairs taken by repeat). */
function pairedRatios(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number[] {
  return [...a.keys()]
    .filter((k) => b.has(k))
    .map((k) => (a.get(k) as number) / (b.get(k) as number));
}

/** The mean of each repeat's values, by repeat. */
function byRepeat<T>(items: readonly T[], repeat: (t: T) => number, value: (t: T) => number) {
  const by = new Map<number, number[]>();
  for (const t of items) by.set(repeat(t), [...(by.get(repeat(t)) ?? []), value(t)]);
  return new Map([...by.entries()].map(([k, v]) => [k, v.reduce((s, x) => s + x, 0) / v.length]));
}

const missing = (id: number, claim: string, paper: string, what: string): Claim => ({
  id,
  claim,
  paper,
  ours: 'no runs',
  verdict: 'inconclusive',
  why: `${what} not stored`,
});

interface AppSample {
  readonly datapath: string;
  readonly ranks: number;
  readonly placement: string;
  readonly decomp: string;
  readonly repeat: number;
  readonly wallS: number;
  readonly computeS: number;
  readonly commS: number;
  readonly share: number;
}

function appSamples(runs: readonly TypedRun[]): AppSample[] {
  return doneRuns(runs, 'advect').map((r) => ({
    datapath: r.params.datapath,
    ranks: r.params.ranks,
    placement: r.params.placement,
    decomp: r.params.decomp.join('x'),
    repeat: r.params.repeat,
    wallS: r.summary.wallS,
    computeS: r.summary.computeS,
    commS: r.summary.commS,
    share: r.summary.interHostMessageShare,
  }));
}

/** Claim 1: stream over concurrent vm pairs, NATIVE >= IOV > BRIDGED. */
function streamClaim(runs: readonly TypedRun[]): Claim {
  const claim = 'stream over concurrent vm pairs: NATIVE >= IOV > BRIDGED';
  const totals = (tool: string) =>
    ['native', 'iov', 'bridged'].map((dp) => PAPER_STREAM[tool]?.[dp]).join(' / ');
  const paper = `netperf ${totals('vmpath')} MiB/s; iperf ${totals('iperf3')}`;
  const stream = doneRuns(runs, 'bench').filter(
    (r) => r.params.test === 'stream' && r.params.tool === 'vmpath',
  );
  const of = (dp: string) =>
    estimate(
      perRepeat(
        stream.filter((r) => r.params.datapath === dp),
        (r) => r.params.repeat,
        (r) => r.summary.total,
      ),
    );
  const [native, iov, bridged] = [of('native'), of('iov'), of('bridged')];
  if (!native || !iov || !bridged) return missing(1, claim, paper, 'stream runs of each path');
  const ours = `native ${show(native)} / iov ${show(iov)} / bridged ${show(bridged)} MiB/s`;
  const ib = compare(iov, bridged);
  const ni = compare(native, iov);
  if (ib === 'below')
    return { id: 1, claim, paper, ours, verdict: 'reversed', why: 'bridged above iov' };
  if (ib === 'overlap')
    return { id: 1, claim, paper, ours, verdict: 'inconclusive', why: 'iov and bridged overlap' };
  if (ni === 'below')
    return {
      id: 1,
      claim,
      paper,
      ours,
      verdict: 'not reproduced',
      why: 'iov above bridged, but native below iov',
    };
  return {
    id: 1,
    claim,
    paper,
    ours,
    verdict: 'reproduced',
    why:
      ni === 'above' ? 'native above iov above bridged' : 'iov above bridged; native not below iov',
  };
}

/** Claim 2: computation time the same on every data path (16 ranks, all placements). */
function computeClaim(apps: readonly AppSample[], tolerance = 0.05): Claim {
  const claim = 'computation time is the same on every data path';
  const paper = 'within 1-2%';
  const at16 = apps.filter((a) => a.ranks === 16);
  const paths = [...new Set(at16.map((a) => a.datapath))].sort();
  if (paths.length < 2) return missing(2, claim, paper, '16-rank runs of two data paths');
  const est = paths.map((dp) => ({
    dp,
    e: estimate(
      perRepeat(
        at16.filter((a) => a.datapath === dp),
        (a) => a.repeat,
        (a) => a.computeS,
      ),
    ) as Estimate,
  }));
  const means = est.map((x) => x.e.mean);
  const spread = (Math.max(...means) - Math.min(...means)) / Math.min(...means);
  const ours = `${est.map((x) => `${x.dp} ${show(x.e, 3, ' s')}`).join(' / ')}; largest difference ${(spread * 100).toFixed(1)}%`;
  const disjoint = est.some((x) => est.some((y) => compare(x.e, y.e) === 'above'));
  const verdict: Verdict =
    spread <= tolerance ? 'reproduced' : disjoint ? 'not reproduced' : 'inconclusive';
  const why =
    verdict === 'reproduced'
      ? `means within ${tolerance * 100}%`
      : disjoint
        ? `means differ by more than ${tolerance * 100}%, intervals disjoint`
        : `means differ by more than ${tolerance * 100}%, intervals overlap`;
  return { id: 2, claim, paper, ours, verdict, why };
}

/** iov's speedup over bridged at a placement (16 ranks): per-repeat wall-time ratios. */
function speedup(apps: readonly AppSample[], placement: string) {
  const of = (dp: string) =>
    apps.filter((a) => a.ranks === 16 && a.placement === placement && a.datapath === dp);
  const b = of('bridged');
  const i = of('iov');
  if (b.length === 0 || i.length === 0) return null;
  const bm = byRepeat(
    b,
    (a) => a.repeat,
    (a) => a.wallS,
  );
  const im = byRepeat(
    i,
    (a) => a.repeat,
    (a) => a.wallS,
  );
  return {
    bridged: estimate([...bm.values()]) as Estimate,
    iov: estimate([...im.values()]) as Estimate,
    ratio: estimate(pairedRatios(bm, im)) as Estimate,
    share: [...b, ...i].reduce((s, a) => s + a.share, 0) / (b.length + i.length),
  };
}

/** Claims 3 and 5: at a placement, which of iov and bridged is faster. */
function placementClaim(
  apps: readonly AppSample[],
  id: number,
  placement: string,
  claim: string,
  paper: string,
  expect: 'iov' | 'bridged',
): Claim {
  const s = speedup(apps, placement);
  if (!s) return missing(id, claim, paper, `16-rank ${placement} runs on bridged and iov`);
  const ours = `bridged ${show(s.bridged, 3, ' s')}, iov ${show(s.iov, 3, ' s')}; iov over bridged ${show(s.ratio, 2, 'x')}`;
  const c = compare(s.bridged, s.iov);
  const faster = c === 'above' ? 'iov' : c === 'below' ? 'bridged' : null;
  const verdict: Verdict = !faster ? 'inconclusive' : faster === expect ? 'reproduced' : 'reversed';
  const why = faster ? `${faster} faster, intervals disjoint` : 'wall-time intervals overlap';
  return { id, claim, paper, ours, verdict, why };
}

/** Claim 4: the speedup rises with the inter-host share, at least 1.4x from 50% up. */
function riseClaim(apps: readonly AppSample[]): Claim {
  const claim = "iov's speedup over bridged rises with the share of inter-host messages";
  const paper = 'at least 1.4x from 50% of messages across hosts (Figure 4)';
  const points = ['intra-node', 'hybrid', 'inter-node']
    .map((p) => ({ placement: p, s: speedup(apps, p) }))
    .flatMap((x) => (x.s ? [{ placement: x.placement, ...x.s }] : []))
    .sort((a, b) => a.share - b.share);
  const low = points[0];
  const high = points[points.length - 1];
  if (!low || !high || points.length < 2)
    return missing(4, claim, paper, '16-rank runs of two placements on bridged and iov');
  const ours = points
    .map((p) => `${(p.share * 100).toFixed(0)}%: ${show(p.ratio, 2, 'x')}`)
    .join(', ');
  const c = compare(high.ratio, low.ratio);
  if (c === 'below')
    return { id: 4, claim, paper, ours, verdict: 'reversed', why: 'speedup falls with the share' };
  if (c === 'overlap')
    return {
      id: 4,
      claim,
      paper,
      ours,
      verdict: 'inconclusive',
      why: 'lowest and highest share overlap',
    };
  const large = points.filter((p) => p.share >= 0.45);
  const short = large.filter((p) => p.ratio.high < 1.4);
  if (short.length > 0)
    return {
      id: 4,
      claim,
      paper,
      ours,
      verdict: 'not reproduced',
      why: `rises, but below 1.4x at ${short.map((p) => `${(p.share * 100).toFixed(0)}%`).join(', ')}`,
    };
  const unsure = large.filter((p) => p.ratio.low < 1.4);
  return {
    id: 4,
    claim,
    paper,
    ours,
    verdict: unsure.length > 0 ? 'inconclusive' : 'reproduced',
    why:
      unsure.length > 0
        ? 'rises; whether it reaches 1.4x from 50% up is within the intervals'
        : 'rises, and at least 1.4x from 50% up',
  };
}

/** Claim 6: bridged's communication time grows past 8 ranks, its computation does not. */
function scalingClaim(apps: readonly AppSample[]): Claim {
  const claim = "bridged's communication grows past 8 cores while computation does not";
  const paper = 'Figure 3: BRIDGED communication rises from 8 to 16 cores';
  const pipeline = (ranks: number) =>
    apps.filter(
      (a) =>
        a.datapath === 'bridged' &&
        a.ranks === ranks &&
        a.placement === 'hybrid' &&
        a.decomp === `1x1x${ranks}`,
    );
  const [at8, at16] = [pipeline(8), pipeline(16)];
  if (at8.length === 0 || at16.length === 0)
    return missing(6, claim, paper, 'bridged hybrid pipeline runs at 8 and 16 ranks');
  const e = (items: AppSample[], f: (a: AppSample) => number) =>
    estimate(perRepeat(items, (a) => a.repeat, f)) as Estimate;
  const comm = [e(at8, (a) => a.commS), e(at16, (a) => a.commS)] as const;
  const comp = [e(at8, (a) => a.computeS), e(at16, (a) => a.computeS)] as const;
  const ours = `communication 8: ${show(comm[0], 3, ' s')}, 16: ${show(comm[1], 3, ' s')}; computation 8: ${show(comp[0], 3, ' s')}, 16: ${show(comp[1], 3, ' s')}`;
  const grows = compare(comm[1], comm[0]);
  const computeGrows = compare(comp[1], comp[0]) === 'above';
  const verdict: Verdict =
    grows === 'below'
      ? 'reversed'
      : grows === 'overlap'
        ? 'inconclusive'
        : computeGrows
          ? 'not reproduced'
          : 'reproduced';
  const why =
    grows === 'above'
      ? computeGrows
        ? 'communication grows, but so does computation'
        : 'communication grows, computation does not'
      : grows === 'below'
        ? 'communication falls from 8 to 16'
        : 'communication intervals overlap';
  return { id: 6, claim, paper, ours, verdict, why };
}

/** Every claim, in the study's order, from whatever runs are stored. */
export function checkClaims(runs: readonly TypedRun[]): Claim[] {
  const apps = appSamples(runs);
  return [
    streamClaim(runs),
    computeClaim(apps),
    placementClaim(
      apps,
      3,
      'inter-node',
      'inter-node placement: iov clearly faster than bridged',
      'about half the time (about 2x)',
      'iov',
    ),
    riseClaim(apps),
    placementClaim(
      apps,
      5,
      'intra-node',
      'intra-node placement: bridged can beat iov',
      "bridged faster (IOV's inter-VM frames cross the NIC)",
      'bridged',
    ),
    scalingClaim(apps),
  ];
}
