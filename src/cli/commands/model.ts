/**
 * The model's commands: `vmpath calibrate` (measure a running testbed, fit, write JSON),
 * `vmpath predict` (one configuration), `vmpath advise` (every calibrated data path and
 * placement, ranked and explained), `vmpath simulate` (clusters past this machine) and
 * `vmpath profile` (an MPI program's communication matrix from Open MPI's pml monitoring).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { MAX_STEPS, makeParams, parseDims, type Triple } from '../../apps/advect/params.js';
import { advectTraffic } from '../../apps/advect/pattern.js';
import { invalidField, VmpathError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { parseRate } from '../../core/units.js';
import { calibrateInTurns } from '../../experiment/calibrate.js';
import { measureCases } from '../../experiment/validate.js';
import { advise, type Candidate, NAMED_PLACEMENTS, type Workload } from '../../model/advise.js';
import { type Calibration, checkTopology, costSummary } from '../../model/calibration.js';
import { parseMatrix, parseMonitoring } from '../../model/matrix.js';
import {
  type AdvectApp,
  MAX_RANK_STEPS,
  type Prediction,
  predictAdvect,
} from '../../model/predict.js';
import { MODELS } from '../../model/registry.js';
import { asRealCluster, clusterTopology, SIMULATION_LIMITS } from '../../model/simulate.js';
import { placeFor } from '../../placement/mapping.js';
import { mpirunProgram } from '../../runtime/openmpi.js';
import type { Store } from '../../store/db.js';
import { findExecutable } from '../../sys/tools.js';
import { down, up } from '../../testbed/lifecycle.js';
import { preflight } from '../../testbed/preflight.js';
import type { TestbedRecord } from '../../testbed/state.js';
import { PRESETS } from '../../topology/presets.js';
import { slotsOf } from '../../topology/query.js';
import type { Datapath, Topology } from '../../topology/types.js';
import {
  EXAMPLE_DATAPATHS,
  exampleCalibrations,
  loadCalibrations,
  oneCalibration,
} from '../calibrations.js';
import type { CliContext } from '../context.js';
import { formatValidation, ms } from '../format-model.js';
import { interruptible } from '../interrupt.js';
import { loadTopology } from '../load.js';
import { wholeNumber } from '../numbers.js';
import { checkOutput, writeResult } from '../outputs.js';
import { openDb } from '../store-options.js';
import { formatTable } from '../table.js';
import { recordOf } from '../testbeds.js';

interface AppFlags {
  app?: string;
  grid?: string;
  steps?: string;
  decomp?: string;
}

/** The advection problem of the options; with `exactly`, its decomposition must have `n` ranks
 * (the cluster's slots, or -n), else `n` only stands for N in --decomp. */
function advectOf(
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
  const grid = parseDims(flags.grid ?? '512x512x512', '--grid');
  const steps = wholeNumber(flags.steps ?? '512', '--steps', 1, 'E_CLI_USAGE', MAX_STEPS);
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
function fitsSlots(topology: Topology, n: number, field: string, value: string): void {
  const slots = topology.hosts.reduce((sum, h) => sum + slotsOf(h), 0);
  if (n > slots)
    throw invalidField(
      'E_CLI_USAGE',
      field,
      value,
      `at most ${slots} ranks, the slots of topology ${topology.name} (this asks for ${n})`,
    );
}

function predictionRow(p: Prediction): string[] {
  return [ms(p.wallS), ms(p.computeS), ms(p.packS), ms(p.commS)];
}

function topologyOf(
  flags: { preset?: string; topology?: string; rate?: string },
  calibration: Calibration,
): Topology {
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

/** `advise --validate`: the top 3 and the named placements on each data path, run for real. */
async function validateAdvice(
  ctx: CliContext,
  flags: { preset?: string; topology?: string; rate?: string; repeats: string },
  calibrations: ReadonlyMap<Datapath, { calibration: Calibration; source: string }>,
  app: AdvectApp,
  ranked: readonly Candidate[],
): Promise<void> {
  const repeats = wholeNumber(flags.repeats, '--repeats');
  preflight([], ctx.searchPath, 'vmpath advise --validate');
  const chosen = ranked.filter(
    (c, i) => i < 3 || (NAMED_PLACEMENTS as readonly string[]).includes(c.placement),
  );
  const testbeds = new Map<Datapath, { topology: Topology; id: string }>();
  const checked = await interruptible(async (signal) => {
    try {
      for (const datapath of new Set(chosen.map((c) => c.datapath))) {
        const { calibration } = calibrations.get(datapath) as { calibration: Calibration };
        const topology = topologyOf(flags, calibration);
        const id = `v${newId().slice(0, 5)}`;
        await up(ctx, topology, id, { signal });
        testbeds.set(datapath, { topology, id });
      }
      return await measureCases(
        { ...ctx, execPath: process.execPath },
        testbeds,
        app,
        chosen,
        repeats,
        {
          signal,
          onRun: (c, s) => ctx.err(`validate: ${c.datapath} ${c.placement}: ${ms(s)} ms`),
        },
      );
    } finally {
      for (const { id } of testbeds.values()) await down(ctx, id);
    }
  });
  ctx.out(formatValidation(checked));
}

// The application's options, shared by predict, advise and simulate.
const appOption = () => new Option('--app <name>', 'the application').default('advect');
const gridOption = (value: string) => new Option('--grid <XxYxZ>', 'the grid').default(value);
const stepsOption = () => new Option('--steps <T>', 'time steps').default('512');
const decompOption = (value?: string) => {
  const option = new Option('--decomp <PxQxR>', 'decomposition (N: the rank count)');
  return value === undefined ? option : option.default(value);
};

export function modelCommands(program: Command, ctx: CliContext): void {
  const notice = (text: string) => ctx.err(`vmpath: ${text}`);
  const examples = (datapaths: readonly Datapath[], say: (text: string) => void) => {
    const { loaded, notice: text } = exampleCalibrations(datapaths);
    say(text);
    return loaded;
  };
  program
    .command('calibrate')
    .description(
      'measure running testbeds and fit their model (message classes, sharing, kernel); several --id are calibrated in turns (one measurement of each, then the next), so that the machine drifts on all alike; needs root',
    )
    .option('--id <id...>', 'the testbeds (default: the only one up)')
    .option(
      '-o, --output <file>',
      'where the calibration goes, with one --id (default: calibration-<id>.json)',
    )
    .option('--db <file>', 'also record them in this results database')
    .action(async (flags: { id?: string[]; output?: string; db?: string }) => {
      const ids: (string | undefined)[] = flags.id ?? [undefined];
      const twice = ids.find((id, i) => ids.indexOf(id) !== i);
      if (twice !== undefined)
        throw invalidField('E_CLI_USAGE', '--id', twice, 'each testbed once');
      if (flags.output !== undefined && ids.length > 1)
        throw invalidField(
          'E_CLI_USAGE',
          '--output',
          flags.output,
          `one file, with one --id (got ${ids.length}; without --output each goes to calibration-<id>.json)`,
        );
      // Where the results go is checked (and the database opened) before anything is measured.
      if (flags.output !== undefined) checkOutput(flags.output, '--output');
      const store = flags.db ? openDb(flags.db, true) : null;
      try {
        const records = ids.map((id) => recordOf(ctx, id));
        const outputs = records.map((r) => flags.output ?? `calibration-${r.id}.json`);
        const files = outputs.map((out) => checkOutput(out, '--output'));
        const calibrations = await interruptible((signal) =>
          calibrateInTurns({ ...ctx, execPath: process.execPath }, records, {
            signal,
            onStep: (id, text) => ctx.err(`calibrate ${id}: ${text}`),
          }),
        );
        calibrations.forEach((calibration, i) => {
          writeResult(
            files[i] as string,
            `${JSON.stringify(calibration, null, 2)}\n`,
            'calibration',
          );
          if (store) recordCalibration(store, calibration, (records[i] as TestbedRecord).id);
        });
        ctx.out(
          calibrations
            .map((calibration, i) =>
              formatCalibration(
                calibration,
                (records[i] as TestbedRecord).id,
                outputs[i] as string,
              ),
            )
            .join('\n'),
        );
      } finally {
        store?.close();
      }
    });

  program
    .command('predict')
    .description('predict the advection time of one configuration from a calibration')
    .option(
      '--calibration <file>',
      'a file written by vmpath calibrate (default: the example of paper, --datapath)',
    )
    .option('--datapath <path>', 'without --calibration: the example of bridged, iov or shm')
    .addOption(appOption())
    .addOption(gridOption('512x512x512'))
    .addOption(stepsOption())
    .addOption(decompOption('1x1x16'))
    .option(
      '--placement <pattern>',
      `${NAMED_PLACEMENTS.join(', ')}, block, cyclic or optimized`,
      'hybrid',
    )
    .option('--preset <name>', "the topology (default: the calibration's)")
    .option('--topology <file>', 'a topology spec')
    .option('--rate <mbit>', "the uplinks' rate in Mbit/s (default: the calibration's)")
    .option('--models', 'also list the models the prediction rests on')
    .option('--json', 'print JSON')
    .action(
      (
        flags: AppFlags & {
          calibration?: string;
          datapath?: string;
          placement: string;
          preset?: string;
          topology?: string;
          rate?: string;
          json?: boolean;
          models?: boolean;
        },
      ) => {
        const { calibration, source } = oneCalibration(flags.calibration, flags.datapath, notice);
        const topology = topologyOf(flags, calibration);
        checkTopology(calibration, topology, source);
        const app = advectOf(flags);
        const n = app.decomp[0] * app.decomp[1] * app.decomp[2];
        fitsSlots(topology, n, '--decomp', app.decomp.join('x'));
        const traffic = advectTraffic(app.grid, app.decomp, app.steps);
        const placed = placeFor(topology, flags.placement, n, traffic);
        const p = predictAdvect(calibration, app, placed, calibration.datapath, source);
        if (flags.json) {
          ctx.out(
            JSON.stringify(
              { datapath: calibration.datapath, placement: flags.placement, app, prediction: p },
              null,
              2,
            ),
          );
          return;
        }
        ctx.out(
          [
            `advect ${app.grid.join('x')} x ${app.steps} steps, ${app.decomp.join('x')}, ${flags.placement} on ${topology.name} (${calibration.datapath}):`,
            formatTable(['wall ms', 'compute ms', 'pack ms', 'comm ms'], [predictionRow(p)]),
            `messages: ${Object.entries(p.byClass)
              .map(([c, t]) => `${c} ${t.messages}`)
              .join(
                ', ',
              )}${p.cpuStretch > 1 ? `; computation stretched ${p.cpuStretch.toFixed(1)}x (ranks share ${calibration.machine.cores} cores)` : ''}`,
            ...(flags.models
              ? ['', ...MODELS.map((m) => `${m.name}: ${m.description} [${m.source}]`)]
              : []),
          ].join('\n'),
        );
      },
    );

  program
    .command('advise')
    .description('rank data paths and placements by predicted time, and explain the winner')
    .option(
      '--calibration <files...>',
      'one calibration per data path (vmpath calibrate; default: the examples of paper)',
    )
    .option('--preset <name>', "the topology (default: the calibrations')")
    .option('--topology <file>', 'a topology spec')
    .option('--rate <mbit>', "the uplinks' rate in Mbit/s (default: the calibration's)")
    .addOption(appOption())
    .addOption(gridOption('512x512x512'))
    .addOption(stepsOption())
    .addOption(decompOption())
    .option(
      '--matrix <file>',
      'a communication matrix (vmpath profile, vmpath launch --matrix) instead of the app',
    )
    .option('-n <ranks>', "ranks (default: the decomposition's, the matrix's, or 16)")
    .option(
      '--validate',
      'run the top 3 candidates and the named placements on the testbed (needs root) and report each error and the regret',
    )
    .option('--repeats <R>', 'runs per validated candidate (median)', '3')
    .option('--json', 'print JSON')
    .action(
      async (
        flags: AppFlags & {
          validate?: boolean;
          repeats: string;
          calibration?: string[];
          preset?: string;
          topology?: string;
          rate?: string;
          matrix?: string;
          n?: string;
          json?: boolean;
        },
      ) => {
        const loaded = flags.calibration
          ? loadCalibrations(flags.calibration)
          : examples(EXAMPLE_DATAPATHS, notice);
        const first = loaded[0] as { calibration: Calibration; source: string };
        const base = topologyOf(flags, first.calibration);
        const calibrations = new Map<Datapath, { calibration: Calibration; source: string }>();
        for (const c of loaded) {
          checkTopology(c.calibration, topologyOf(flags, c.calibration), c.source);
          if (calibrations.has(c.calibration.datapath))
            throw invalidField(
              'E_CLI_USAGE',
              '--calibration',
              c.source,
              `one calibration per data path (${c.calibration.datapath} twice)`,
            );
          calibrations.set(c.calibration.datapath, c);
        }
        let workload: Workload;
        let n: number;
        if (flags.matrix) {
          let raw: unknown;
          try {
            raw = JSON.parse(readFileSync(flags.matrix, 'utf8'));
          } catch (error) {
            throw invalidField(
              'E_MODEL_INPUT',
              '--matrix',
              flags.matrix,
              `a JSON matrix file (${(error as Error).message})`,
            );
          }
          const m = parseMatrix(
            raw,
            flags.matrix,
            flags.n === undefined ? undefined : wholeNumber(flags.n, '-n'),
          );
          n = m.ranks;
          workload = { kind: 'matrix', traffic: m.matrix };
        } else {
          n = flags.n === undefined ? 16 : wholeNumber(flags.n, '-n');
          const app = advectOf(
            { ...flags, decomp: flags.decomp ?? '1x1xN' },
            n,
            flags.n !== undefined,
          );
          n = app.decomp[0] * app.decomp[1] * app.decomp[2];
          fitsSlots(base, n, flags.decomp ? '--decomp' : '-n', flags.decomp ?? String(n));
          workload = {
            kind: 'advect',
            app,
            traffic: advectTraffic(app.grid, app.decomp, app.steps),
          };
        }
        const advice = advise(base, calibrations, workload, n);
        if (flags.validate) {
          if (workload.kind !== 'advect')
            throw invalidField(
              'E_CLI_USAGE',
              '--validate',
              flags.matrix,
              'with --app advect (a matrix is not a program vmpath can run)',
            );
          await validateAdvice(ctx, flags, calibrations, workload.app, advice.ranked);
          return;
        }
        if (flags.json) {
          ctx.out(
            JSON.stringify(
              {
                explanation: advice.explanation,
                pooled: advice.pooled,
                disagreement: advice.disagreement ?? null,
                ranked: advice.ranked.map(({ placed, ...c }) => c),
              },
              null,
              2,
            ),
          );
          return;
        }
        ctx.out(
          [
            formatTable(
              [
                '#',
                'data path',
                'placement',
                'wall ms',
                'compute ms',
                'pack ms',
                'comm ms',
                'inter-host msgs',
              ],
              advice.ranked.map((c, i) => [
                String(i + 1),
                c.datapath,
                c.placement,
                ...predictionRow(c.prediction),
                String(c.prediction.byClass['inter-host'].messages),
              ]),
            ),
            '',
            advice.explanation,
            ...(advice.pooled.length > 0
              ? [`Measured in common (calibrations pooled): ${advice.pooled.join('; ')}.`]
              : []),
          ].join('\n'),
        );
      },
    );

  program
    .command('simulate')
    .description('evaluate the model on a cluster larger than this machine')
    .option(
      '--calibration <file>',
      'the calibration to extrapolate from (default: the example of paper, --datapath)',
    )
    .option('--datapath <path>', 'without --calibration: the example of bridged, iov or shm')
    .requiredOption('--hosts <H>', 'hosts')
    .requiredOption('--vms-per-host <V>', 'vms per host')
    .requiredOption('--slots <S>', 'slots (vCPUs, one rank each) per vm')
    .addOption(gridOption('1024x1024x2048'))
    .addOption(stepsOption())
    .addOption(decompOption('1x1xN'))
    .option('--placements <names...>', 'placements to evaluate', [...NAMED_PLACEMENTS, 'optimized'])
    .option('--rate <mbit>', 'uplink rate in Mbit/s (0: as calibrated)', '0')
    .option('--json', 'print JSON')
    .action(
      (flags: {
        calibration?: string;
        datapath?: string;
        hosts: string;
        vmsPerHost: string;
        slots: string;
        grid: string;
        steps: string;
        decomp: string;
        placements: string[];
        rate: string;
        json?: boolean;
      }) => {
        const { calibration, source } = oneCalibration(flags.calibration, flags.datapath, notice);
        const hosts = wholeNumber(flags.hosts, '--hosts');
        const vms = wholeNumber(flags.vmsPerHost, '--vms-per-host');
        const slots = wholeNumber(flags.slots, '--slots');
        if (hosts > SIMULATION_LIMITS.hosts || hosts * vms * slots > SIMULATION_LIMITS.ranks)
          throw invalidField(
            'E_CLI_USAGE',
            '--hosts',
            `${hosts} x ${vms} x ${slots}`,
            `at most ${SIMULATION_LIMITS.hosts} hosts and ${SIMULATION_LIMITS.ranks} ranks`,
          );
        const rate = parseRate(flags.rate, '--rate', 'as calibrated');
        const begin = performance.now();
        const topology = clusterTopology(
          hosts,
          vms,
          slots,
          calibration.datapath,
          rate > 0 ? rate : null,
        );
        const n = hosts * vms * slots;
        const app = advectOf(flags, n, true);
        const real = asRealCluster(calibration);
        const traffic = advectTraffic(app.grid, app.decomp, 1);
        const rows = flags.placements.map((name) => {
          const placed = placeFor(topology, name, n, traffic, '--placements');
          return {
            placement: name,
            prediction: predictAdvect(real, app, placed, calibration.datapath, source),
          };
        });
        const seconds = (performance.now() - begin) / 1000;
        if (flags.json) {
          ctx.out(
            JSON.stringify(
              {
                hosts,
                vmsPerHost: vms,
                slots,
                ranks: n,
                app,
                datapath: calibration.datapath,
                rows,
                seconds,
              },
              null,
              2,
            ),
          );
          return;
        }
        ctx.out(
          [
            `${hosts} hosts x ${vms} vms x ${slots} slots = ${n} ranks, advect ${app.grid.join('x')} x ${app.steps} steps as ${app.decomp.join('x')}, ${calibration.datapath} (from ${source}, measured on ${calibration.topology.name}):`,
            formatTable(
              ['placement', 'wall ms', 'compute ms', 'pack ms', 'comm ms', 'inter-host msgs/step'],
              rows.map((r) => [
                r.placement,
                ...predictionRow(r.prediction),
                String(r.prediction.byClass['inter-host'].messages / app.steps),
              ]),
            ),
            `evaluated in ${seconds.toFixed(2)} s`,
          ].join('\n'),
        );
      },
    );

  program
    .command('profile')
    .description("an MPI program's communication matrix, from Open MPI's pml monitoring")
    .option('-o, --output <file>', 'where the matrix goes', 'matrix.json')
    .argument('<command...>', 'mpirun and its arguments (after --)')
    .action(async (command: string[], flags: { output: string }) => {
      const [mpirun, ...rest] = command;
      if (!mpirun || !/(^|\/)mpirun$/.test(mpirun) || mpirunProgram(rest) === null)
        throw invalidField(
          'E_CLI_USAGE',
          'COMMAND',
          command.join(' '),
          'mpirun ARGS PROGRAM (Open MPI), after --',
        );
      const output = checkOutput(flags.output, '--output');
      if (!findExecutable(mpirun, ctx.searchPath))
        throw invalidField(
          'E_APP_NO_TOOL',
          'COMMAND',
          mpirun,
          'mpirun of Open MPI, on PATH (apt-get install -y openmpi-bin)',
        );
      const dir = mkdtempSync(join(tmpdir(), 'vmpath-profile-'));
      try {
        const result = await interruptible((signal) =>
          ctx.runner.run(
            {
              argv: [
                mpirun,
                '--mca',
                'pml_monitoring_enable',
                '1',
                '--mca',
                'pml_monitoring_enable_output',
                '3',
                '--mca',
                'pml_monitoring_filename',
                join(dir, 'prof'),
                ...rest,
              ],
              description: 'the MPI program under pml monitoring',
            },
            { timeoutMs: 3_600_000, allowFailure: true, signal },
          ),
        );
        if (result.exitCode !== 0)
          throw new VmpathError(
            'E_MODEL_FAILED',
            `mpirun exited ${result.exitCode ?? result.signal}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
          );
        const files = readdirSync(dir)
          .map((f) => /^prof\.(\d+)\.prof$/.exec(f))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => ({ rank: Number(m[1]), text: readFileSync(join(dir, m[0]), 'utf8') }));
        const matrix = parseMonitoring(files);
        writeResult(
          output,
          `${JSON.stringify({ ...matrix, source: 'openmpi pml monitoring' }, null, 2)}\n`,
          'matrix',
        );
        const bytes = matrix.matrix.reduce((s, t) => s + t.bytes, 0);
        const messages = matrix.matrix.reduce((s, t) => s + t.messages, 0);
        ctx.out(
          `vmpath profile: ${matrix.ranks} ranks, ${matrix.matrix.length} pairs, ${messages} messages, ${bytes} bytes -> ${flags.output}`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
}

function recordCalibration(store: Store, calibration: Calibration, testbed: string): void {
  const sweepId = store.sweepFor('calibrate', calibration.topology.fingerprint, {
    name: 'calibrate',
    topology: calibration.topology,
  });
  store.recordRun({
    sweepId,
    environmentId: store.addEnvironment({ cores: calibration.machine.cores }),
    key: `calibration/${calibration.datapath}/${calibration.measuredAt}`,
    kind: 'calibration',
    params: { datapath: calibration.datapath, testbed },
    status: 'done',
    startedAt: calibration.measuredAt,
    finishedAt: new Date().toISOString(),
    summary: calibration as unknown as Record<string, unknown>,
    samples: null,
    error: null,
  });
}

/** What calibrate prints of one calibration: its classes' fits, sharing, kernel and runtime. */
function formatCalibration(calibration: Calibration, id: string, out: string): string {
  const rows = Object.entries(calibration.classes).map(([c, m]) => [
    c,
    m.latency.segments
      .map(
        (s) =>
          `${s.fromBytes}:${(s.a * 1e6).toFixed(1)}us+${s.g > 0 ? (1 / s.g / 2 ** 20).toFixed(0) : 'inf '}MiB/s`,
      )
      .join(' '),
    (m.latency.error * 100).toFixed(1),
    (m.stream.segments[0]?.a ?? 0) * 1e6 > 0
      ? ((m.stream.segments[0]?.a ?? 0) * 1e6).toFixed(1)
      : '0',
    (m.stream.error * 100).toFixed(1),
  ]);
  return [
    `vmpath calibrate: ${id} (${calibration.topology.name}, ${calibration.datapath}) -> ${out}`,
    formatTable(
      ['class', 'one-way segments (from bytes: a + rate)', 'fit err %', 'o us', 'stream err %'],
      rows,
    ),
    `sharing: one stream ${(calibration.sharing.singleFlowBytesPerS / 2 ** 20).toFixed(0)} MiB/s, ${calibration.sharing.pairs} concurrent ${(calibration.sharing.aggregateBytesPerS / 2 ** 20).toFixed(0)} MiB/s; ${costSummary(calibration)}`,
  ].join('\n');
}
