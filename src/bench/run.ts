/**
 * Runs a test over pairs of nodes, all pairs at once, repeated as the iteration policy asks;
 * the confidence interval is on the total over pairs (for one pair, on that pair). Every
 * process started is ended before this returns or throws, and Ctrl-C (the signal) stops it.
 */
import { VmpathError } from '../core/errors.js';
import { applyBuffers, DEFAULT_BUFFERS, planBuffers, type SocketBuffers } from './buffers.js';
import { type IterationPolicy, iterate } from './iterate.js';
import type { Pair } from './pairs.js';
import { type Interval, type Summary, summarize } from './stats.js';
import { BENCH_TOOLS, type BenchEnv, type ToolName, type ToolOptions } from './tools/index.js';
import { figureOf, type Run, type TestParams } from './types.js';

export interface PairResult {
  readonly from: string;
  readonly to: string;
  readonly fromAddress: string;
  readonly toAddress: string;
  /** One run per iteration. */
  readonly runs: readonly Run[];
  /** Of the figure (MiB/s or transactions/s) over the iterations. */
  readonly summary: Summary;
}

export interface PairsResult {
  readonly test: TestParams['test'];
  readonly tool: ToolName;
  readonly params: TestParams;
  readonly socketBuffers: SocketBuffers;
  readonly policy: IterationPolicy;
  readonly iterations: number;
  /** Whether the confidence asked for was reached; null when one run was asked for. */
  readonly confident: boolean | null;
  readonly interval: Interval;
  readonly pairs: readonly PairResult[];
  /** The sum over pairs, per iteration, and its summary. */
  readonly totals: readonly number[];
  readonly total: Summary;
  /** Unit of every figure. */
  readonly unit: 'MiB/s' | 'transactions/s';
}

export interface PairsOptions extends Partial<ToolOptions> {
  readonly tool: ToolName;
  readonly params: TestParams;
  readonly policy: IterationPolicy;
  readonly socketBuffers?: SocketBuffers;
  readonly signal?: AbortSignal;
}

/** Refuses a tool that cannot run `params`, or is not installed: call it before building
 * anything (runPairs calls it too). */
export function checkTool(env: BenchEnv, name: ToolName, params: TestParams): void {
  const tool = BENCH_TOOLS[name];
  const why = tool.unsupported(params);
  if (why)
    throw new VmpathError('E_BENCH_INPUT', `--tool ${name}: ${why}`, {
      details: { field: '--tool', value: name },
    });
  const missing = tool.missing(env);
  if (missing) throw new VmpathError('E_BENCH_NO_TOOL', missing, { details: { field: '--tool' } });
}

/** What a run needs of the hosts before its servers start: the launcher's shared connections
 * (ssh; a client starts on each sender every run) and the socket buffers' sysctls on a
 * testbed; returns what undoes both. */
async function prepareHosts(
  env: BenchEnv,
  pairs: readonly Pair[],
  socketBuffers: SocketBuffers,
): Promise<() => Promise<void>> {
  const settings = planBuffers(pairs, socketBuffers);
  if (settings.length && (env.launcher?.kind ?? 'netns') !== 'netns')
    throw new VmpathError(
      'E_BENCH_INPUT',
      "--sndbuf/--rcvbuf: set on the emulated testbed's own namespaces only; allowed on a cluster: neither (set net.ipv4.tcp_wmem and tcp_rmem on its nodes yourself)",
      { details: { field: '--sndbuf' } },
    );
  // The launcher's shared connections (ssh) first: a client starts on each sender every run.
  const release = await env.launcher?.prepare?.(
    env.runner,
    pairs.flatMap((p) => [p.from, p.to]),
  );
  const applied = await applyBuffers(env.runner, settings);
  return async () => {
    await applied();
    await release?.();
  };
}

/** Runs `params` over `pairs` concurrently with `tool`. */
export async function runPairs(
  env: BenchEnv,
  pairs: readonly Pair[],
  options: PairsOptions,
): Promise<PairsResult> {
  checkTool(env, options.tool, options.params);
  const tool = BENCH_TOOLS[options.tool];
  const socketBuffers = options.socketBuffers ?? DEFAULT_BUFFERS;
  const restoreBuffers = await prepareHosts(env, pairs, socketBuffers);
  const session = await tool
    .open(env, pairs, options.params, {
      port: options.port ?? 0,
      ...(options.onServer ? { onServer: options.onServer } : {}),
    })
    .catch(async (error: unknown) => {
      await restoreBuffers();
      throw error;
    });
  const abort = () => void session.close();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const outcome = await iterate(
      options.policy,
      async () => {
        if (options.signal?.aborted) throw new VmpathError('E_BENCH_INTERRUPTED', 'interrupted');
        const runs = await session.runOnce();
        if (options.signal?.aborted) throw new VmpathError('E_BENCH_INTERRUPTED', 'interrupted');
        return runs;
      },
      (runs) => runs.reduce((sum, run) => sum + figureOf(run), 0),
    );
    const totals = outcome.runs.map((runs) => runs.reduce((sum, run) => sum + figureOf(run), 0));
    return {
      test: options.params.test,
      tool: options.tool,
      params: options.params,
      socketBuffers,
      policy: options.policy,
      iterations: outcome.runs.length,
      confident: outcome.confident,
      interval: outcome.interval,
      pairs: pairs.map((pair, i) => {
        const runs = outcome.runs.map((r) => r[i] as Run);
        return {
          from: pair.from.name,
          to: pair.to.name,
          fromAddress: pair.from.address ?? '',
          toAddress: pair.to.address ?? '',
          runs,
          summary: summarize(runs.map(figureOf)),
        };
      }),
      totals,
      total: summarize(totals),
      unit: options.params.test === 'stream' ? 'MiB/s' : 'transactions/s',
    };
  } catch (error) {
    if (options.signal?.aborted)
      throw new VmpathError(
        'E_BENCH_INTERRUPTED',
        `interrupted: ${String(options.signal.reason ?? '')}`,
        { cause: error },
      );
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abort);
    await session.close();
    await restoreBuffers();
  }
}
