/**
 * Predictions against measurements: runs advection configurations (data path, placement) on
 * running testbeds, each `repeats` times in rotating order, and compares the median wall time
 * with the model's prediction; the advisor's regret is the measured time of its pick over the
 * best measured time, minus one, per deployment (configurations that are one deployment under
 * two names, as iov and shm with no message between vms of a host, pool their runs). Used by
 * `vmpath advise --validate` and bench model-accuracy.
 */
import { makeParams } from '../apps/advect/params.js';
import { runAdvect } from '../apps/advect/run.js';
import { median } from '../bench/stats.js';
import type { Target } from '../cluster/target.js';
import type { Candidate } from '../model/advise.js';
import type { AdvectApp } from '../model/predict.js';
import type { Datapath } from '../topology/types.js';
import type { SweepEnv } from './sweep.js';

export interface Checked extends Candidate {
  /** Median, minimum and maximum measured wall time over the repeats. */
  readonly measuredS: number;
  readonly minS: number;
  readonly maxS: number;
  readonly runs: number;
  /** Every run's wall time, in the order run. */
  readonly times: readonly number[];
  /** (predicted - measured) / measured. */
  readonly error: number;
}

/** Untimed steps before the timed ones, in validation and calibration runs alike: the JIT
 * has compiled the step's code (fewer leave the first timed steps slow). */
export const WARMUP_STEPS = 32;

export async function measureCases(
  env: SweepEnv,
  testbeds: ReadonlyMap<Datapath, Target>,
  app: AdvectApp,
  cases: readonly Candidate[],
  repeats: number,
  options: { signal?: AbortSignal; onRun?: (c: Candidate, seconds: number) => void } = {},
): Promise<Checked[]> {
  const ranks = app.decomp[0] * app.decomp[1] * app.decomp[2];
  const params = makeParams(
    { grid: app.grid, steps: app.steps, decomp: app.decomp, warmup: WARMUP_STEPS },
    ranks,
  );
  return measureInRotation(cases, repeats, options, async (c) => {
    const testbed = testbeds.get(c.datapath);
    if (!testbed) throw new Error(`no testbed for data path ${c.datapath}`);
    const { result } = await runAdvect(
      params,
      {
        kind: 'testbed',
        topology: testbed.topology,
        id: testbed.id,
        placement: c.placed.map((p) => ({ rank: p.rank, vm: p.vm })),
        via: testbed,
      },
      {
        runner: env.runner,
        execPath: env.execPath,
        searchPath: env.searchPath,
        engine: 'vmpath',
        timeoutMs: 900_000,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return result.totals.wallS;
  });
}

/** Each case measured `repeats` times by `measure` (seconds), rotating which case goes first
 * in each round; each one's median, range and error against its prediction. */
export async function measureInRotation(
  cases: readonly Candidate[],
  repeats: number,
  options: { onRun?: (c: Candidate, seconds: number) => void },
  measure: (c: Candidate) => Promise<number>,
): Promise<Checked[]> {
  const times: number[][] = cases.map(() => []);
  for (let round = 0; round < repeats; round++)
    for (let k = 0; k < cases.length; k++) {
      const i = (k + round) % cases.length;
      const c = cases[i] as Candidate;
      const seconds = await measure(c);
      (times[i] as number[]).push(seconds);
      options.onRun?.(c, seconds);
    }
  return cases.map((c, i) => {
    const t = times[i] as number[];
    const measuredS = median(t);
    return {
      ...c,
      measuredS,
      minS: Math.min(...t),
      maxS: Math.max(...t),
      runs: t.length,
      times: t,
      error: (c.prediction.wallS - measuredS) / measuredS,
    };
  });
}

/** The advisor's regret: the measured time of the deployment of the case with the least
 * predicted time over the least measured deployment's, minus one. A deployment's time is the
 * median of the runs of every case that stands for it: two names for one deployment measured
 * apart differed by 9% with 5 runs each here, which is noise, not regret. */
export function regret(checked: readonly Checked[]): {
  pick: Checked;
  best: Checked;
  pickS: number;
  bestS: number;
  regret: number;
} {
  const pooled = new Map(
    [...byDeployment(checked)].map(([key, cases]) => [key, cases.flatMap((c) => c.times)]),
  );
  const measured = (c: Checked) => median(pooled.get(c.deployment) as number[]);
  const byPredicted = [...checked].sort((a, b) => a.prediction.wallS - b.prediction.wallS);
  const pick = byPredicted[0] as Checked;
  const best = byPredicted.reduce((b, c) => (measured(c) < measured(b) ? c : b), pick);
  const pickS = measured(pick);
  const bestS = measured(best);
  return { pick, best, pickS, bestS, regret: pickS / bestS - 1 };
}

/** Groups of cases that are one deployment (two names or more), in the order given. */
export function sameDeployments<C extends Candidate>(checked: readonly C[]): C[][] {
  return [...byDeployment(checked).values()].filter((g) => g.length > 1);
}

function byDeployment<C extends Candidate>(cases: readonly C[]): Map<string, C[]> {
  const groups = new Map<string, C[]>();
  for (const c of cases) {
    const group = groups.get(c.deployment);
    if (group) group.push(c);
    else groups.set(c.deployment, [c]);
  }
  return groups;
}
