/**
 * Sweep specs: what an experiment runs, validated, and expanded into runs. Pure.
 *
 *   name: study
 *   topology: paper              # a preset name, or { file: cluster.yaml }
 *   rateMbit: 0                  # override every uplink rate (0: unshaped)
 *   datapaths: [native, bridged, iov]
 *   bench: { tests: [stream, rr, osu], tools: [vmpath, iperf3, openmpi], durationS: 3 }
 *                                # iperf3: stream only; openmpi: osu only (latency and bw curves)
 *   advect:
 *     grid: 64x64x64
 *     steps: 32
 *     ranks: [2, 4, 8, 16]
 *     decomps: [1x1xN, 1xNx1, Nx1x1]   # N stands for the rank count
 *     placements: [inter-node, intra-node, hybrid]
 *     engines: [vmpath]
 *   mpi:                         # any MPI program (or a list of blocks)
 *     command: [./halo2d, 64, 64, 4, 4, 20]   # a path or a name on PATH; {n}: the rank count
 *     ranks: [16]
 *     placements: [inter-node, intra-node, hybrid]
 *     profile: true              # each run's matrix (Open MPI pml monitoring)
 *     repeats: 3                 # default: the spec's
 *   repeats: 1
 *
 * Runs are the cartesian product; each has a key made of its parameters, so that a sweep run
 * again against the same database skips what is done.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { z } from 'zod';
import { MAX_STEPS, makeParams, parseDims, type Triple } from '../apps/advect/params.js';
import { ENGINES, type Engine } from '../apps/advect/run.js';
import { invalidField, VmpathError } from '../core/errors.js';
import { place } from '../placement/patterns.js';
import type { ParamsOf } from '../report/records.js';
import { DATAPATHS, type Datapath, type Topology } from '../topology/types.js';

const dims = z.string().regex(/^(\d+|N)x(\d+|N)x(\d+|N)$/, 'XxYxZ (N: the rank count)');

/** A list of at least one item, each at most once (a repeat would run the same runs again
 * under one key). */
function list<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .min(1)
    .refine((items) => new Set(items.map((i) => JSON.stringify(i))).size === items.length, {
      message: 'each value once',
    });
}

const advectBlock = z.strictObject({
  grid: dims,
  steps: z.number().int().min(1).max(MAX_STEPS),
  ranks: list(z.number().int().min(1)),
  decomps: list(dims).default(['1x1xN']),
  placements: list(z.string()).default(['block']),
  engines: list(z.enum(ENGINES as unknown as [Engine, ...Engine[]])).default(['vmpath']),
});

const mpiBlock = z.strictObject({
  command: z.array(z.union([z.string().min(1), z.number()]).transform(String)).min(1),
  ranks: list(z.number().int().min(1)),
  placements: list(z.string()).default(['block']),
  profile: z.boolean().default(true),
  repeats: z.number().int().min(1).max(100).optional(),
});

export const sweepSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, '1-64 letters, digits, _ . -')
    .default('sweep'),
  topology: z.union([z.string(), z.strictObject({ file: z.string() })]).default('paper'),
  rateMbit: z.number().min(0).max(400_000).optional(),
  datapaths: list(z.enum(DATAPATHS as [Datapath, ...Datapath[]])),
  bench: z
    .strictObject({
      tests: list(z.enum(['stream', 'rr', 'osu'])).default(['stream']),
      tools: list(z.enum(['vmpath', 'iperf3', 'openmpi'])).default(['vmpath']),
      durationS: z.number().min(0.5).max(600).default(3),
    })
    .refine((b) => !b.tools.includes('iperf3') || Number.isInteger(b.durationS), {
      message: 'whole seconds in durationS when tools include iperf3',
      path: ['durationS'],
    })
    .optional(),
  /** One block of advection runs, or several (each its own cartesian product). */
  advect: z.union([advectBlock, z.array(advectBlock).min(1)]).optional(),
  /** One block of runs of an MPI program, or several. */
  mpi: z.union([mpiBlock, z.array(mpiBlock).min(1)]).optional(),
  repeats: z.number().int().min(1).max(100).default(1),
  /** `datapath`: each data path's runs together; `rotate`: repeat by repeat, the data paths in
   * a rotating order (sweep.ts). */
  order: z.enum(['datapath', 'rotate']).default('datapath'),
});

export type SweepSpec = z.infer<typeof sweepSchema>;

/** A planned run is what its record's parameters will be (records.ts): a bench run (the OSU
 * curves are runs of their own kind), or an advection run. */
export type BenchRun = ParamsOf<'bench'> | ParamsOf<'osu'>;
export type AdvectRun = ParamsOf<'advect'>;
export type MpiRun = ParamsOf<'mpi'>;

export type PlannedRun = BenchRun | AdvectRun | MpiRun;

/** Checks a parsed YAML/JSON document; errors name the field, the value and what is allowed. */
export function parseSweep(raw: unknown, source = 'spec'): SweepSpec {
  const result = sweepSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    const field = issue.path.join('.') || '(top level)';
    let value: unknown = raw;
    for (const key of issue.path)
      value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
    throw new VmpathError(
      'E_EXP_SPEC',
      `${source}: ${field}: got ${JSON.stringify(value) ?? 'nothing'}; allowed: ${issue.message}`,
      { details: { field, value } },
    );
  }
  return result.data;
}

/** A stable key for a run: its parameters in a fixed order. */
export function runKey(run: PlannedRun): string {
  switch (run.kind) {
    case 'bench':
      return `bench/${run.datapath}/${run.test}/${run.tool}/${run.durationS}s/#${run.repeat}`;
    case 'advect':
      return `advect/${run.datapath}/${run.grid.join('x')}x${run.steps}/${run.ranks}/${run.decomp.join('x')}/${run.placement}/${run.engine}/#${run.repeat}`;
    case 'mpi':
      // The whole command, as JSON: two programs of one name, or `a b` and `a` `b`, differ.
      return `mpi/${run.datapath}/${run.name}/${JSON.stringify(run.command)}/${run.ranks}/${run.placement}/${run.profile ? 'profiled' : 'timed'}/#${run.repeat}`;
  }
}

export function specHash(spec: SweepSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

function decompFor(text: string, ranks: number, field: string): Triple {
  const dims = parseDims(text.replaceAll('N', String(ranks)), field);
  if (dims[0] * dims[1] * dims[2] !== ranks)
    throw invalidField(
      'E_EXP_SPEC',
      field,
      text,
      `a decomposition of ${ranks} ranks (N stands for the rank count)`,
    );
  return dims;
}

/** A bench run of `test` with `tool`, or null where the tool does not run that test: iperf3
 * cross-checks the stream test, Open MPI the OSU curves. */
function benchRun(
  datapath: Datapath,
  test: 'stream' | 'rr' | 'osu',
  tool: 'vmpath' | 'iperf3' | 'openmpi',
  durationS: number,
  repeat: number,
): BenchRun | null {
  const common = { kind: 'bench' as const, datapath, durationS, repeat };
  if (test === 'osu') return tool === 'iperf3' ? null : { ...common, test, tool };
  if (tool === 'openmpi' || (tool === 'iperf3' && test !== 'stream')) return null;
  return { ...common, test, tool };
}

/** Every run of a spec, in the order a sweep runs them (data path by data path). Checks each
 * against the topology first: patterns, slots, decompositions, the advection parameters. */
export function expandSweep(
  spec: SweepSpec,
  topology: Topology,
  resolve: ProgramResolver = (name) => name,
): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const datapath of spec.datapaths) {
    for (let repeat = 1; repeat <= spec.repeats; repeat++) {
      for (const test of spec.bench?.tests ?? [])
        for (const tool of spec.bench?.tools ?? []) {
          const run = benchRun(datapath, test, tool, spec.bench?.durationS ?? 3, repeat);
          if (run) runs.push(run);
        }
      const blocks =
        spec.advect === undefined ? [] : Array.isArray(spec.advect) ? spec.advect : [spec.advect];
      for (const [b, a] of blocks.entries()) {
        const at = Array.isArray(spec.advect) ? `advect.${b}` : 'advect';
        const grid = parseDims(a.grid, `${at}.grid`);
        for (const ranks of a.ranks)
          for (const [d, text] of a.decomps.entries()) {
            const decomp = decompFor(text, ranks, `${at}.decomps.${d}`);
            try {
              makeParams({ grid, steps: a.steps, decomp }, ranks);
            } catch (error) {
              throw new VmpathError(
                'E_EXP_SPEC',
                `${at} (${ranks} ranks as ${decomp.join('x')}): ${(error as Error).message}`,
                { cause: error },
              );
            }
            for (const [p, placement] of a.placements.entries()) {
              if (placement !== 'optimized')
                place(topology, placement, ranks, `${at}.placements.${p}`);
              for (const engine of a.engines)
                runs.push({
                  kind: 'advect',
                  datapath,
                  grid,
                  steps: a.steps,
                  ranks,
                  decomp,
                  placement,
                  engine,
                  repeat,
                });
            }
          }
      }
    }
  }
  runs.push(...mpiRuns(spec, topology, resolve));
  if (spec.bench && !runs.some((r) => r.kind === 'bench'))
    throw invalidField(
      'E_EXP_SPEC',
      'bench',
      spec.bench,
      'tests and tools with a run between them: vmpath runs stream, rr and osu; iperf3 stream; openmpi osu',
    );
  if (runs.length === 0)
    throw invalidField(
      'E_EXP_SPEC',
      'bench/advect/mpi',
      '(none)',
      'at least one of bench, advect or mpi',
    );
  return runs;
}

/** Finds a block's program (`field` names it): the identity when nothing is to be checked. */
export type ProgramResolver = (name: string, field: string) => string;

/** The runs of the mpi blocks, data path by data path and repeat by repeat: `{n}` in an
 * argument stands for the rank count; the program is found by `resolve`. Placements are
 * named patterns (optimized needs a matrix: vmpath advise --matrix). */
function mpiRuns(spec: SweepSpec, topology: Topology, resolve: ProgramResolver): MpiRun[] {
  const blocks = spec.mpi === undefined ? [] : Array.isArray(spec.mpi) ? spec.mpi : [spec.mpi];
  const runs: MpiRun[] = [];
  for (const datapath of spec.datapaths)
    for (const [b, m] of blocks.entries()) {
      const at = Array.isArray(spec.mpi) ? `mpi.${b}` : 'mpi';
      const program = resolve(m.command[0] as string, `${at}.command.0`);
      for (let repeat = 1; repeat <= (m.repeats ?? spec.repeats); repeat++)
        for (const ranks of m.ranks)
          for (const [p, placement] of m.placements.entries()) {
            place(topology, placement, ranks, `${at}.placements.${p}`);
            const command = [program, ...m.command.slice(1)].map((a) =>
              a.replaceAll('{n}', String(ranks)),
            );
            runs.push({
              kind: 'mpi',
              datapath,
              name: basename(program),
              command,
              ranks,
              placement,
              profile: m.profile,
              repeat,
            });
          }
    }
  return runs;
}
