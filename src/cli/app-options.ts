/**
 * The options the model's commands share (predict, advise, simulate, advise --validate): the
 * application and its problem, the topology a calibration is applied to, the slots it offers,
 * and the matrix file of any other program. Each parses and checks, naming the option.
 */
import { readFileSync } from 'node:fs';
import { Option } from 'commander';
import {
  ADVECT_DEFAULTS,
  MAX_STEPS,
  makeParams,
  parseDims,
  type Triple,
} from '../apps/advect/params.js';
import type { Target } from '../cluster/target.js';
import { invalidField } from '../core/errors.js';
import type { Calibration } from '../model/calibration.js';
import { type MatrixFile, parseMatrix } from '../model/matrix.js';
import { MAX_RANK_STEPS } from '../model/predict.js';
import { PRESETS } from '../topology/presets.js';
import { slotsOf } from '../topology/query.js';
import type { Datapath, Topology } from '../topology/types.js';
import { loadTopology } from './load.js';
import { wholeNumber } from './numbers.js';

export interface AppFlags {
  app?: string;
  grid?: string;
  steps?: string;
  decomp?: string;
}

export interface TopologyFlags {
  preset?: string;
  topology?: string;
  rate?: string;
  /** Clusters by data path (--cluster): each calibration applies to its own's topology. */
  clusters?: ReadonlyMap<Datapath, Target>;
}

export const appOption = () => new Option('--app <name>', 'the application').default('advect');
export const gridOption = (value: string = ADVECT_DEFAULTS.grid) =>
  new Option('--grid <XxYxZ>', 'the grid').default(value);
export const stepsOption = () =>
  new Option('--steps <T>', 'time steps').default(ADVECT_DEFAULTS.steps);
export const decompOption = (value?: string) => {
  const option = new Option('--decomp <PxQxR>', 'decomposition (N: the rank count)');
  return value === undefined ? option : option.default(value);
};

/** The advection problem of the options; with `exactly`, its decomposition must have `n` ranks
 * (the cluster's slots, or -n), else `n` only stands for N in --decomp. */
export function advectOf(
  flags: AppFlags,
  n?: number,
  exactly = false,
): { grid: Triple; steps: number; decomp: Triple } {
  if ((flags.app ?? 'advect') !== 'advect')
    throw invalidField(
      'E_CLI_USAGE',
      '--app',
      flags.app,
      'advect (or --matrix FILE for any program)',
    );
  const grid = parseDims(flags.grid ?? ADVECT_DEFAULTS.grid, '--grid');
  const steps = wholeNumber(
    flags.steps ?? ADVECT_DEFAULTS.steps,
    '--steps',
    1,
    'E_CLI_USAGE',
    MAX_STEPS,
  );
  const decomp: Triple = flags.decomp
    ? parseDims(flags.decomp.replaceAll('N', String(n ?? 0)), '--decomp')
    : [1, 1, n ?? 16];
  const ranks = decomp[0] * decomp[1] * decomp[2];
  makeParams({ grid, steps, decomp }, exactly && n !== undefined ? n : ranks);
  if (ranks * steps > MAX_RANK_STEPS)
    throw invalidField(
      'E_CLI_USAGE',
      '--steps',
      steps,
      `at most ${MAX_RANK_STEPS} rank-steps (${ranks} ranks x --steps) for the step-by-step model: at most ${Math.floor(MAX_RANK_STEPS / ranks)} steps here`,
    );
  return { grid, steps, decomp };
}

/** Refuses more ranks than the topology has slots, naming the option that asked for them. */
export function fitsSlots(topology: Topology, n: number, field: string, value: string): void {
  const slots = topology.hosts.reduce((sum, h) => sum + slotsOf(h), 0);
  if (n > slots)
    throw invalidField(
      'E_CLI_USAGE',
      field,
      value,
      `at most ${slots} ranks, the slots of topology ${topology.name} (this asks for ${n})`,
    );
}

/** The topology a calibration is applied to: the options', else the one it was measured on,
 * with the calibration's data path. */
export function topologyOf(flags: TopologyFlags, calibration: Calibration): Topology {
  if (flags.clusters?.size) {
    const cluster = flags.clusters.get(calibration.datapath);
    if (!cluster)
      throw invalidField(
        'E_CLI_USAGE',
        '--cluster',
        [...flags.clusters.values()].map((c) => c.label).join(', '),
        `an inventory for every calibration's data path (none is ${calibration.datapath})`,
      );
    return cluster.topology;
  }
  const preset = flags.preset ?? (flags.topology ? undefined : calibration.topology.name);
  if (!flags.topology && preset && !(preset in PRESETS))
    throw invalidField(
      'E_CLI_USAGE',
      '--preset',
      preset,
      `one of ${Object.keys(PRESETS).join(', ')} or --topology FILE`,
    );
  return loadTopology({
    ...(flags.topology ? { topology: flags.topology } : { preset }),
    datapath: calibration.datapath,
    rate: flags.rate ?? String(calibration.topology.rateMbit ?? 0),
  });
}

/** A communication matrix file (vmpath profile, vmpath launch --matrix); `n`, when given, is
 * the rank count it must have. */
export function readMatrix(file: string, n?: number): MatrixFile & { origin: string | null } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw invalidField(
      'E_MODEL_INPUT',
      '--matrix',
      file,
      `a JSON matrix file (${(error as Error).message})`,
    );
  }
  const source = (raw as { source?: unknown } | null)?.source;
  return { ...parseMatrix(raw, file, n), origin: typeof source === 'string' ? source : null };
}
