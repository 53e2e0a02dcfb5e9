/**
 * The run records of the results database, typed: one schema per kind of run for what it was
 * asked (params) and what it measured (summary, and the samples that are read back). The sweep
 * writes through them, and `results export`, `reproduce`'s findings and the report read through
 * them. Pure.
 *
 *   bench        stream or request/response between the study's concurrent vm pairs
 *   osu          the OSU latency and bandwidth curves over one pair (the runtime or Open MPI)
 *   advect       the advection app under a placement
 *   mpi          any MPI program under a placement, on Open MPI (`vmpath run mpi --db`, sweeps)
 *   calibration  a calibration (`vmpath calibrate --db`): its summary is the calibration itself
 *
 * The parameters' schemas are also the types of the runs a sweep plans (spec.ts).
 */
import { z } from 'zod';
import { ENGINES } from '../apps/advect/params.js';
import { VmpathError } from '../core/errors.js';
import type { RunRecord } from '../store/db.js';
import { DATAPATHS, type Datapath } from '../topology/types.js';

const datapath = z.enum(DATAPATHS as [Datapath, ...Datapath[]]);
const triple = z.tuple([z.number(), z.number(), z.number()]).readonly();
const curve = z.array(z.object({ bytes: z.number(), value: z.number() }));
const classFigures = z.object({ messages: z.number(), bytes: z.number() });

const benchParams = z.object({
  kind: z.literal('bench'),
  datapath,
  test: z.enum(['stream', 'rr']),
  tool: z.enum(['vmpath', 'iperf3']),
  durationS: z.number(),
  repeat: z.number(),
});
const benchSummary = z.object({
  unit: z.string(),
  /** The pairs' figures summed (MiB/s, or transactions/s). */
  total: z.number(),
  perPair: z.array(z.object({ from: z.string(), to: z.string(), value: z.number() })),
  rateMbit: z.number().nullable(),
  linkMiBps: z.number().nullable(),
});

const osuParams = benchParams.extend({
  test: z.literal('osu'),
  tool: z.enum(['vmpath', 'openmpi']),
});
const osuSummary = z.object({
  from: z.string(),
  to: z.string(),
  latencyUs: curve,
  bwMiBps: curve,
  /** The curves at 8 B and 1 MiB (null: not measured there). */
  latency8Us: z.number().nullable(),
  bw1MiBps: z.number().nullable(),
});

const advectParams = z.object({
  kind: z.literal('advect'),
  datapath,
  grid: triple,
  steps: z.number(),
  ranks: z.number(),
  decomp: triple,
  placement: z.string(),
  engine: z.enum(ENGINES),
  repeat: z.number(),
});
const advectSummary = z.object({
  wallS: z.number(),
  computeS: z.number(),
  packS: z.number(),
  commS: z.number(),
  mcups: z.number(),
  messagesPerStep: z.number(),
  bytesPerStep: z.number(),
  maxRssBytes: z.number(),
  checksum: z.string(),
  errors: z.object({ l1: z.number(), max: z.number() }),
  /** Shares of the messages and bytes that cross hosts, 0..1. */
  interHostMessageShare: z.number(),
  interHostByteShare: z.number(),
  classes: z.object({
    'intra-vm': classFigures,
    'inter-vm': classFigures,
    'inter-host': classFigures,
  }),
});
const advectSamples = z.object({
  ranks: z.array(z.unknown()),
  /** The communication matrix the runtime counted (null: Open MPI). */
  matrix: z
    .array(
      z.object({
        from: z.number(),
        to: z.number(),
        messages: z.number(),
        bytes: z.number(),
        transport: z.string(),
      }),
    )
    .nullable(),
});

const mpiParams = z.object({
  kind: z.literal('mpi'),
  datapath,
  /** The program's name (its file's), which groups its runs in the report. */
  name: z.string(),
  command: z.array(z.string()),
  ranks: z.number(),
  placement: z.string(),
  profile: z.boolean(),
  repeat: z.number(),
});
const traffic = z.object({
  from: z.number(),
  to: z.number(),
  messages: z.number(),
  bytes: z.number(),
});
const mpiSummary = z.object({
  /** mpirun's wall time, and the program's own (MPI_Init to MPI_Finalize; null: not seen). */
  wallS: z.number(),
  programS: z.number().nullable(),
  /** Open MPI daemons (machines) of the job. */
  machines: z.number(),
  /** From the run's own matrix (null: not profiled). */
  classes: z
    .object({
      'intra-vm': classFigures,
      'inter-vm': classFigures,
      'inter-host': classFigures,
    })
    .nullable(),
  interHostMessageShare: z.number().nullable(),
  interHostByteShare: z.number().nullable(),
});
const mpiSamples = z.object({
  ranks: z.array(
    z.object({ rank: z.number(), host: z.string(), vm: z.string(), machine: z.string() }),
  ),
  tails: z.array(z.object({ rank: z.number(), lines: z.array(z.string()) })),
  matrix: z.array(traffic).nullable(),
});

const calibrationParams = z.object({ datapath, testbed: z.string() });
/** A stored calibration of any format version: history, read back as a calibration to use
 * only through model/calibration.ts parseCalibration (which takes the current one). */
const calibrationSummary = z
  .object({ version: z.number(), datapath, measuredAt: z.string() })
  .passthrough();

export const RUN_SCHEMAS = {
  bench: { params: benchParams, summary: benchSummary, samples: z.unknown() },
  osu: { params: osuParams, summary: osuSummary, samples: z.unknown() },
  advect: { params: advectParams, summary: advectSummary, samples: advectSamples },
  mpi: { params: mpiParams, summary: mpiSummary, samples: mpiSamples },
  calibration: { params: calibrationParams, summary: calibrationSummary, samples: z.unknown() },
} as const;

export type RunKind = keyof typeof RUN_SCHEMAS;
export const RUN_KINDS = Object.keys(RUN_SCHEMAS) as RunKind[];

type Schemas<K extends RunKind> = (typeof RUN_SCHEMAS)[K];
export type ParamsOf<K extends RunKind> = z.infer<Schemas<K>['params']>;
export type SummaryOf<K extends RunKind> = z.infer<Schemas<K>['summary']>;

/** A stored run of kind K, its parts checked: a finished run has a summary, a failed one an
 * error. */
export type Typed<K extends RunKind> = Omit<
  RunRecord,
  'kind' | 'params' | 'summary' | 'samples'
> & {
  readonly kind: K;
  readonly params: ParamsOf<K>;
  readonly summary: SummaryOf<K> | null;
  readonly samples: z.infer<Schemas<K>['samples']> | null;
};
export type TypedRun = { [K in RunKind]: Typed<K> }[RunKind];

function isKind(kind: string): kind is RunKind {
  return (RUN_KINDS as string[]).includes(kind);
}

/** Where a stored value does not match its kind's schema: the run's key and the field. */
function checked<T>(schema: z.ZodType<T>, value: unknown, key: string, part: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const field = [part, ...issue.path].join('.');
  throw new VmpathError('E_STORE_RECORD', `run ${key}: ${field}: ${issue.message}`, {
    details: { field, value: key },
  });
}

/** A stored run, typed by its kind; a kind or a part that matches no schema is an error naming
 * the run and the field. */
export function typedRun(r: RunRecord): TypedRun {
  if (!isKind(r.kind))
    throw new VmpathError(
      'E_STORE_RECORD',
      `run ${r.key}: kind: got ${JSON.stringify(r.kind)}; allowed: ${RUN_KINDS.join(', ')}`,
      { details: { field: 'kind', value: r.key } },
    );
  const schemas = RUN_SCHEMAS[r.kind];
  return {
    ...r,
    kind: r.kind,
    params: checked(schemas.params as z.ZodType, r.params, r.key, 'params'),
    summary:
      r.summary === null
        ? null
        : checked(schemas.summary as z.ZodType, r.summary, r.key, 'summary'),
    samples:
      r.samples === null
        ? null
        : checked(schemas.samples as z.ZodType, r.samples, r.key, 'samples'),
  } as TypedRun;
}

/** A finished run of kind K: with its summary. */
export type Done<K extends RunKind> = Typed<K> & { readonly summary: SummaryOf<K> };

/** The finished runs of one kind, typed, with their summaries. */
export function doneRuns<K extends RunKind>(runs: readonly TypedRun[], kind: K): Done<K>[] {
  return runs.filter(
    (r) => r.kind === kind && r.status === 'done' && r.summary !== null,
  ) as unknown as Done<K>[];
}

/** A summary as its kind's schema has it (the writers' check before a run is stored), as the
 * database will hold it: through JSON, where a number that is not finite becomes null. */
export function summaryOf<K extends RunKind>(
  kind: K,
  summary: SummaryOf<K>,
  key: string,
): SummaryOf<K> {
  const stored: unknown = JSON.parse(JSON.stringify(summary));
  const schema = RUN_SCHEMAS[kind].summary as unknown as z.ZodType<SummaryOf<K>>;
  return checked(schema, stored, key, 'summary');
}

/** The stored runs that match their kinds' schemas, typed, and a line for each that does not
 * (a database written by another vmpath, or damaged): readers go on without it. */
export function readableRuns(runs: readonly RunRecord[]): {
  typed: TypedRun[];
  unreadable: string[];
} {
  const read = runs.map(readRun);
  return {
    typed: read.flatMap((r) => (r.problem === null ? [r.run as TypedRun] : [])),
    unreadable: read.flatMap((r) => (r.problem === null ? [] : [r.problem])),
  };
}

/** A stored run as its kind's schema reads it, or as stored with why it does not match. */
export function readRun(r: RunRecord): { run: TypedRun | RunRecord; problem: string | null } {
  try {
    return { run: typedRun(r), problem: null };
  } catch (error) {
    return { run: r, problem: (error as Error).message };
  }
}
