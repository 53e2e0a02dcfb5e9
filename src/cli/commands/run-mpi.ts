/**
 * `vmpath run mpi`: any MPI program on a testbed, launched by Open MPI the way a cluster runs
 * it (experiment/mpi-run.ts), timed over repeats, optionally profiled, optionally recorded.
 */
import type { Command } from 'commander';
import { median } from '../../bench/stats.js';
import { invalidField, VmpathError } from '../../core/errors.js';
import { parseSeconds } from '../../core/units.js';
import { mpiRecords } from '../../experiment/mpi-record.js';
import { type MpiOutcome, mpiCacheDir, runMpi } from '../../experiment/mpi-run.js';
import { PATTERNS, type Placed } from '../../placement/patterns.js';
import { summaryOf } from '../../report/records.js';
import { findMpiProgram, requireOpenMpi } from '../../runtime/openmpi.js';
import type { Store } from '../../store/db.js';
import { isRoot } from '../../sys/tools.js';
import { hostDatapath } from '../../testbed/datapaths/index.js';
import { slotsOf } from '../../topology/query.js';
import type { Datapath, Topology } from '../../topology/types.js';
import type { CliContext } from '../context.js';
import { interruptible } from '../interrupt.js';
import { wholeNumber } from '../numbers.js';
import { checkOutput, writeResult } from '../outputs.js';
import { placementOf } from '../placement-options.js';
import { openDb } from '../store-options.js';
import { formatTable } from '../table.js';
import { targetOf } from '../testbeds.js';

interface Flags {
  id?: string;
  cluster?: string;
  placement?: string;
  rankfile?: string;
  hostfile?: string;
  n?: string;
  repeats: string;
  timeout: string;
  profile?: boolean;
  env: string[];
  oversubscribe?: boolean;
  matrix?: string;
  db?: string;
  json?: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_REPEATS = 1000;

/** `--env K=V`, repeatable: the variables every rank gets. */
export function envOf(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const name = at > 0 ? pair.slice(0, at) : '';
    if (!ENV_NAME.test(name))
      throw invalidField('E_CLI_USAGE', '--env', pair, 'NAME=VALUE, NAME of letters, digits, _');
    env[name] = pair.slice(at + 1);
  }
  return env;
}

/** The placement of `n` ranks; with --oversubscribe, a named pattern deals the ranks over the
 * slots again and again, as mpirun --oversubscribe does. */
function jobPlacement(topology: Topology, flags: Flags): Placed[] {
  if (flags.rankfile !== undefined) {
    if (flags.oversubscribe)
      throw invalidField(
        'E_CLI_USAGE',
        '--oversubscribe',
        true,
        'a named pattern or --hostfile (a rankfile holds each slot once)',
      );
    return placementOf(topology, flags);
  }
  const slots = topology.hosts.reduce((s, h) => s + slotsOf(h), 0);
  const n = wholeNumber(flags.n, '-n', 1, 'E_CLI_USAGE', 100_000);
  if (n > slots && !flags.oversubscribe)
    throw invalidField(
      'E_CLI_USAGE',
      '-n',
      n,
      `1 to ${slots} (the slots of testbed ${topology.name}); more only with --oversubscribe`,
    );
  if (n > slots && flags.placement === 'optimized')
    throw invalidField(
      'E_CLI_USAGE',
      '--placement',
      'optimized',
      'a named pattern with --oversubscribe',
    );
  const once = placementOf(topology, { ...flags, n: String(Math.min(n, slots)) });
  return Array.from({ length: n }, (_, rank) => ({
    ...(once[rank % once.length] as Placed),
    rank,
  }));
}

function placementName(flags: Flags): string {
  if (flags.rankfile !== undefined) return `rankfile:${flags.rankfile}`;
  if (flags.hostfile !== undefined) return `hostfile:${flags.hostfile}`;
  return flags.placement ?? 'block';
}

function datapathOf(topology: Topology): Datapath {
  return hostDatapath(topology.hosts[0] as Topology['hosts'][number]);
}

const s3 = (v: number) => v.toFixed(3);
/** Median and range of a figure over the repeats, or null if a repeat lacks it. */
export function spread(
  values: readonly (number | null)[],
): { median: number; min: number; max: number } | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  const xs = values as number[];
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** The human form of an outcome. */
export function formatMpi(outcome: MpiOutcome, where: string, command: readonly string[]): string {
  const { plan, repeats } = outcome;
  const wall = spread(repeats.map((r) => r.wallS));
  const own = spread(repeats.map((r) => r.programS));
  const range = (s: { median: number; min: number; max: number }) =>
    `${s3(s.median)} s (${s3(s.min)}-${s3(s.max)})`;
  const lines = [
    `mpi ${command.join(' ')}: ${plan.ranks.length} ranks on ${where}, ${plan.machines.length} Open MPI daemons (${plan.perHost ? 'one per host; ranks in their vms' : 'one per machine'})`,
    `${repeats.length} run${repeats.length > 1 ? 's' : ''}: wall ${wall ? range(wall) : '-'}   program ${own ? range(own) : '- (a rank did not pass MPI_Init and MPI_Finalize through the clock)'}   (median, range)`,
  ];
  const classes = repeats[0]?.classes;
  if (classes) {
    const parts = (['intra-vm', 'inter-vm', 'inter-host'] as const).map(
      (c) => `${c} ${classes.byClass[c].messages} msgs ${classes.byClass[c].bytes} B`,
    );
    lines.push(
      `messages: ${parts.join(', ')}; inter-host share ${(100 * classes.interHostMessageShare).toFixed(1)}% of messages`,
    );
  }
  const rows = plan.ranks.map((r) => {
    const tail = outcome.tails.find((t) => t.rank === r.rank)?.lines ?? [];
    return [r.rank, r.vm, r.host, r.machine, tail.at(-1) ?? ''];
  });
  return `${lines.join('\n')}\n${formatTable(['rank', 'vm', 'host', 'machine', 'last line'], rows)}`;
}

function record(
  store: Store,
  testbed: string,
  topology: Topology,
  outcome: MpiOutcome,
  job: Parameters<typeof mpiRecords>[1],
  startedAt: string,
): void {
  const sweepId = store.sweepFor('run mpi', `run-mpi/${topology.name}`, {
    command: 'run mpi',
    topology: topology.name,
  });
  const environmentId = store.addEnvironment({ testbed, topology: topology.name });
  for (const r of mpiRecords(outcome, job)) {
    const key = `mpi/${r.params.name}/${job.datapath}/${job.placement}/${r.params.ranks}/${startedAt}/${r.params.repeat}`;
    store.recordRun({
      sweepId,
      environmentId,
      key,
      kind: 'mpi',
      params: r.params,
      status: 'done',
      startedAt,
      finishedAt: new Date().toISOString(),
      summary: summaryOf('mpi', r.summary, key),
      samples: r.samples,
      error: null,
    });
  }
}

export function runMpiCommand(run: Command, ctx: CliContext): void {
  run
    .command('mpi')
    .description(
      'any MPI program on a testbed, started by Open MPI with one daemon per machine (per host for shm); times it over repeats, optionally profiles it; needs root',
    )
    .option('--id <id>', 'the testbed (default: the only one up)')
    .option('--cluster <file>', 'an inventory: run on its nodes (Open MPI over ssh or Slurm)')
    .option('--placement <pattern>', `${Object.keys(PATTERNS).join(' or ')} (default block)`)
    .option('--rankfile <file>', "a rankfile of the testbed's vms (rank N=VM slot=S)")
    .option('--hostfile <file>', 'a hostfile of its vms, filled by slot (VM slots=S)')
    .option('-n, --np <n>', 'ranks')
    .option('--repeats <r>', 'runs, one after the other', '1')
    .option('--timeout <s>', 'end a run after this many seconds (exit 124)', '3600')
    .option('--profile', "Open MPI's pml monitoring: each run's communication matrix")
    .option('--env <NAME=VALUE...>', 'a variable for every rank (repeatable)', [])
    .option('--oversubscribe', 'allow more ranks than slots')
    .option(
      '--matrix <file>',
      "write the first run's matrix (as vmpath profile does, for advise --matrix); implies --profile",
    )
    .option('--db <file>', 'record each run in this results database (kind mpi)')
    .option('--json', 'print the result as JSON')
    .argument('<command...>', 'the program and its arguments (after --)')
    .action((command: string[], raw: Flags & { np?: string }) =>
      runMpiAction(ctx, command, { ...raw, ...(raw.np !== undefined ? { n: raw.np } : {}) }),
    );
}

/** `run mpi`: every option checked, the testbed and the database opened, before any run. */
async function runMpiAction(ctx: CliContext, command: string[], flags: Flags): Promise<void> {
  const program = findMpiProgram(command[0], ctx.searchPath, 'PROGRAM');
  const repeats = wholeNumber(flags.repeats, '--repeats', 1, 'E_CLI_USAGE', MAX_REPEATS);
  const timeoutMs = parseSeconds(flags.timeout, '--timeout', 7 * 86_400);
  const env = envOf(flags.env);
  requireOpenMpi(ctx.searchPath, 'run mpi', 'needs Open MPI');
  const target = targetOf(ctx, flags);
  if (target.kind === 'testbed' && !isRoot())
    throw new VmpathError('E_TESTBED_NOT_ROOT', 'run mpi: entering the testbed needs root');
  const testbed = target;
  const placement = jobPlacement(testbed.topology, flags);
  const matrixFile = flags.matrix === undefined ? null : checkOutput(flags.matrix, '--matrix');
  const profile = flags.profile === true || matrixFile !== null;
  const store = flags.db ? openDb(flags.db, true) : null;
  try {
    const startedAt = new Date().toISOString();
    const outcome = await interruptible((signal) =>
      runMpi(
        {
          topology: testbed.topology,
          id: testbed.id,
          placement,
          program,
          args: command.slice(1),
          repeats,
          timeoutMs,
          profile,
          env,
          oversubscribe: flags.oversubscribe === true,
          via: target,
        },
        {
          runner: ctx.runner,
          signal,
          cacheDir: mpiCacheDir(ctx.stateDir),
          onLine: (line) => ctx.err(line),
        },
      ),
    );
    const job = {
      datapath: datapathOf(testbed.topology),
      command,
      placement: placementName(flags),
      profile,
    };
    const first = outcome.repeats[0]?.matrix;
    if (matrixFile !== null && !first)
      throw new VmpathError(
        'E_APP_FAILED',
        `--matrix ${flags.matrix}: the run left no pml-monitoring files, so no matrix was written (does the program call MPI_Finalize?)`,
      );
    if (matrixFile !== null && first)
      writeResult(
        matrixFile,
        `${JSON.stringify({ ...first, source: 'openmpi pml monitoring (vmpath run mpi)' }, null, 2)}\n`,
        'matrix',
      );
    if (store) record(store, testbed.id, testbed.topology, outcome, job, startedAt);
    const where = `${target.label} (${testbed.topology.name}, ${job.datapath}, ${job.placement})`;
    if (flags.json)
      ctx.out(
        JSON.stringify({ testbed: testbed.id, ...job, records: mpiRecords(outcome, job) }, null, 2),
      );
    else ctx.out(formatMpi(outcome, where, command));
  } finally {
    store?.close();
  }
}
