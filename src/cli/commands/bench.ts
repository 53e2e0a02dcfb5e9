/**
 * `vmpath bench stream|rr|pairs|table`: the data-path micro-benchmarks.
 */
import type { Command } from 'commander';
import { explicitPair, type Pair, studyPairs } from '../../bench/pairs.js';
import { type PairsResult, runPairs } from '../../bench/run.js';
import { type BenchTable, runClusterTable, runTable } from '../../bench/table.js';
import type { Target } from '../../cluster/target.js';
import { invalidField } from '../../core/errors.js';
import {
  type BenchFlags,
  iterationPolicy,
  portOf,
  socketBuffers,
  testParams,
  toolName,
} from '../bench-options.js';
import type { CliContext } from '../context.js';
import { describeConfidence, formatBenchTable, formatPairs } from '../format-bench.js';
import { interruptible } from '../interrupt.js';
import { clustersOf, repeated, targetOf } from '../testbeds.js';

/** The JSON document of a pairs run: a stable, versioned shape (README, "bench JSON"). */
export function pairsDocument(target: Target, result: PairsResult) {
  return {
    kind: 'vmpath.bench.pairs',
    version: 1,
    ...(target.kind === 'testbed'
      ? { testbed: { id: target.id, topology: target.topology.name } }
      : { cluster: { name: target.id, launcher: target.launcher.kind } }),
    ...result,
  };
}

function withTestOptions(command: Command, test: 'stream' | 'rr' | 'any'): Command {
  command
    .option('--duration <s>', 'measured seconds per run, after the warm-up', '10')
    .option('--warmup <s>', 'seconds excluded from the figure at the start', '1')
    .option(
      '--iterations <min,max>',
      'repeat between MIN and MAX times until --confidence is reached',
    )
    .option(
      '--confidence <level,width>',
      'confidence level and wanted half-width, both in percent (default 99,5)',
    )
    .option('--sndbuf <bytes>', "cap the sender's socket buffer (its namespace's tcp_wmem)")
    .option('--rcvbuf <bytes>', "cap the receiver's socket buffer (its namespace's tcp_rmem)")
    .option('--json', 'print JSON');
  if (test !== 'rr')
    command.option('--size <bytes>', 'stream: bytes per write (K, M, G suffixes)', '128K');
  if (test !== 'stream')
    command
      .option('--request <bytes>', 'rr: request size', '1')
      .option('--response <bytes>', 'rr: response size', '1');
  return command;
}

function warnIfNotConfident(ctx: CliContext, result: PairsResult): void {
  if (result.confident === false) ctx.err(`warning: ${describeConfidence(result)}`);
}

async function runAndPrint(
  ctx: CliContext,
  target: Target,
  pairs: Pair[],
  test: string,
  flags: BenchFlags & { json?: boolean },
): Promise<void> {
  const params = testParams(test, flags);
  const policy = iterationPolicy(flags);
  const tool = toolName(flags);
  const port = portOf(flags);
  const buffers = socketBuffers(flags);
  const result = await interruptible((signal) =>
    runPairs({ ...ctx, launcher: target.launcher }, pairs, {
      tool,
      params,
      policy,
      port,
      socketBuffers: buffers,
      signal,
    }),
  );
  ctx.out(
    flags.json ? JSON.stringify(pairsDocument(target, result), null, 2) : formatPairs(result),
  );
  warnIfNotConfident(ctx, result);
}

export function benchCommands(program: Command, ctx: CliContext): void {
  const bench = program
    .command('bench')
    .description(
      'data-path micro-benchmarks: stream bandwidth, request/response latency, the study tables (needs root)',
    );
  for (const test of ['stream', 'rr'] as const) benchTestCommand(bench, ctx, test);
  benchPairsCommand(bench, ctx);
  benchTableCommand(bench, ctx);
}

/** `bench stream` and `bench rr`: one pair named by --from and --to. */
function benchTestCommand(bench: Command, ctx: CliContext, test: 'stream' | 'rr'): void {
  withTestOptions(bench.command(test), test)
    .description(
      test === 'stream'
        ? 'one TCP stream from --from to --to (netperf TCP_STREAM): MiB/s at the receiver'
        : 'request/response on one connection (netperf TCP_RR): transactions/s and latency',
    )
    .option('--id <id>', 'testbed id (default: the only one)')
    .option('--cluster <file>', 'an inventory: measure its nodes instead')
    .requiredOption('--from <node>', 'sending vm (or native host)')
    .requiredOption('--to <node>', 'receiving vm (or native host)')
    .option('--tool <tool>', 'vmpath or iperf3 (stream only)', 'vmpath')
    .option('--port <port>', 'server port (default: vmpath picks a free one; iperf3 uses 5201)')
    .action(
      async (
        flags: BenchFlags & {
          id?: string;
          cluster?: string;
          from: string;
          to: string;
          json?: boolean;
        },
      ) => {
        const target = targetOf(ctx, flags);
        await runAndPrint(
          ctx,
          target,
          [explicitPair(target.topology, target.id, flags.from, flags.to)],
          test,
          flags,
        );
      },
    );
}

function benchPairsCommand(bench: Command, ctx: CliContext): void {
  withTestOptions(bench.command('pairs'), 'any')
    .description("the study's pattern: the i-th vm of host 0 to the i-th vm of host 1, all at once")
    .option('--id <id>', 'testbed id (default: the only one)')
    .option('--cluster <file>', 'an inventory: measure its nodes instead')
    .option('--test <test>', 'stream or rr', 'stream')
    .option('--tool <tool>', 'vmpath or iperf3 (stream only)', 'vmpath')
    .option('--port <port>', 'first server port; pair i uses port + i')
    .action(async (flags: BenchFlags & { id?: string; cluster?: string; json?: boolean }) => {
      const target = targetOf(ctx, flags);
      await runAndPrint(
        ctx,
        target,
        studyPairs(target.topology, target.id),
        flags.test ?? 'stream',
        flags,
      );
    });
}

function benchTableCommand(bench: Command, ctx: CliContext): void {
  withTestOptions(bench.command('table'), 'any')
    .description(
      "the study's Tables 1-2: a testbed per data path (native, bridged, iov), pairs on each, compared",
    )
    .option('--topology <file>', 'YAML or JSON topology spec')
    .option('--preset <name>', 'a built-in topology (default: paper)')
    .option(
      '--cluster <file>',
      'instead of testbeds: an inventory per row, its vms all of one data path (repeat it)',
      repeated,
      [] as string[],
    )
    .option('--rate <mbit>', 'override every uplink rate in Mbit/s (0: no shaping)')
    .option('--test <test>', 'stream or rr', 'stream')
    .option('--tool <tool>', 'vmpath or iperf3 (stream only)', 'vmpath')
    .option('--port <port>', 'first server port; pair i uses port + i')
    .action(
      async (
        flags: BenchFlags & {
          topology?: string;
          preset?: string;
          rate?: string;
          cluster: string[];
          json?: boolean;
        },
      ) => {
        const { loadSpec } = await import('../load.js');
        if (flags.cluster.length) return clusterTable(ctx, flags);
        const { raw, overrides } = loadSpec({
          ...flags,
          ...(flags.topology === undefined && flags.preset === undefined
            ? { preset: 'paper' }
            : {}),
        });
        const params = testParams(flags.test ?? 'stream', flags);
        const options = {
          tool: toolName(flags),
          params,
          policy: iterationPolicy(flags),
          port: portOf(flags),
          socketBuffers: socketBuffers(flags),
        };
        const table = await interruptible((signal) =>
          runTable(ctx, raw, overrides, {
            ...options,
            signal,
            onProgress: (text) => ctx.err(text),
          }),
        );
        printTable(ctx, table, flags.json);
      },
    );
}

/** A study table, as text or as its JSON document. */
function printTable(ctx: CliContext, table: BenchTable, json: boolean | undefined): void {
  ctx.out(
    json
      ? JSON.stringify({ kind: 'vmpath.bench.table', version: 1, ...table }, null, 2)
      : formatBenchTable(table),
  );
}

/** `bench table --cluster A --cluster B ...`: a row per inventory. */
async function clusterTable(
  ctx: CliContext,
  flags: BenchFlags & { topology?: string; preset?: string; cluster: string[]; json?: boolean },
): Promise<void> {
  if (flags.topology !== undefined || flags.preset !== undefined)
    throw invalidField(
      'E_CLI_USAGE',
      '--cluster',
      flags.cluster,
      'inventories, or a topology (--topology, --preset) to build testbeds from: not both',
    );
  const rows = [...clustersOf(ctx, flags.cluster)].map(([datapath, target]) => ({
    datapath,
    topology: target.topology,
    id: target.id,
    launcher: target.launcher,
  }));
  const table = await interruptible((signal) =>
    runClusterTable(ctx, rows, {
      tool: toolName(flags),
      params: testParams(flags.test ?? 'stream', flags),
      policy: iterationPolicy(flags),
      port: portOf(flags),
      socketBuffers: socketBuffers(flags),
      signal,
      onProgress: (text) => ctx.err(text),
    }),
  );
  printTable(ctx, table, flags.json);
}
