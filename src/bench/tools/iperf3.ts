/**
 * iperf3 as the cross-check: for every run and pair, `iperf3 -s -1` in the receiver's namespace
 * (one server per pair, unlike a shared iperf3 server) and `iperf3 -c ... -J` in the sender's;
 * the figure is what the receiver got (end.sum_received), the warm-up omitted with -O.
 * iperf3 takes whole seconds, and has no request/response test.
 */
import { VmpathError } from '../../core/errors.js';
import { findExecutable } from '../../sys/tools.js';
import type { Pair } from '../pairs.js';
import { MiB, type StreamParams, type StreamRun, type TestParams } from '../types.js';
import {
  type BenchEnv,
  type BenchTool,
  ProcessSet,
  startWatched,
  type ToolOptions,
  ToolProcessError,
} from './tool.js';

/** A server whose client never comes (vmpath killed in between) exits after this long. */
const SERVER_IDLE_S = 30;

/** iperf3's default port, where pairs start when --port is not given. */
export const IPERF3_PORT = 5201;

interface Iperf3Json {
  start?: { timestamp?: { timesecs?: number } };
  end?: {
    sum_received?: { bytes: number; seconds: number; bits_per_second: number };
    sum_sent?: { bytes: number };
    cpu_utilization_percent?: { host_total?: number };
  };
  error?: string;
}

/** Reads `iperf3 -c ... -J` output into a StreamRun. Pure. */
export function parseIperf3(json: string, params: StreamParams): StreamRun {
  const data = JSON.parse(json) as Iperf3Json;
  if (data.error) throw new Error(`iperf3: ${data.error}`);
  const received = data.end?.sum_received;
  if (!received) throw new Error('iperf3 output has no end.sum_received');
  const startMs = (data.start?.timestamp?.timesecs ?? 0) * 1000 + params.warmupMs;
  return {
    test: 'stream',
    bytes: received.bytes,
    seconds: received.seconds,
    mibps: received.bits_per_second / 8 / MiB,
    sentBytes: data.end?.sum_sent?.bytes ?? received.bytes,
    senderCpuPct: data.end?.cpu_utilization_percent?.host_total ?? null,
    window: { startMs, endMs: startMs + received.seconds * 1000 },
  };
}

async function runPair(
  env: BenchEnv,
  processes: ProcessSet,
  pair: Pair,
  params: StreamParams,
  port: number,
  options: ToolOptions,
): Promise<StreamRun> {
  const server = startWatched(processes, env, pair.to, {
    argv: [
      'iperf3',
      '-s',
      '-1',
      '--forceflush',
      '--idle-timeout',
      String(SERVER_IDLE_S),
      '-B',
      pair.to.address ?? '',
      '-p',
      String(port),
    ],
    description: `iperf3 server on ${pair.to.name}`,
  });
  options.onServer?.(pair.to.name, server.started.pid);
  try {
    await server.waitFor(/Server listening/, `iperf3 server on ${pair.to.name}`);
  } catch (error) {
    if (error instanceof ToolProcessError && /in use/i.test(error.output)) {
      throw new VmpathError(
        'E_BENCH_PORT_IN_USE',
        `--port: port ${port} on ${pair.to.name} ${pair.to.address} is in use; allowed: a free port`,
        { details: { field: '--port', value: port } },
      );
    }
    throw new VmpathError('E_BENCH_FAILED', (error as Error).message, { cause: error });
  }
  const args = [
    '-c',
    pair.to.address ?? '',
    '-B',
    pair.from.address ?? '',
    '-p',
    String(port),
    '-t',
    String(params.durationMs / 1000),
    '-O',
    String(params.warmupMs / 1000),
    '-l',
    String(params.sizeBytes),
    '-J',
  ];
  const client = startWatched(processes, env, pair.from, {
    argv: ['iperf3', ...args],
    description: `iperf3 ${pair.from.name} -> ${pair.to.name}`,
  });
  const result = await client.started.done;
  await server.started.done;
  try {
    return parseIperf3(client.output(), params);
  } catch (error) {
    throw new VmpathError(
      'E_BENCH_FAILED',
      `iperf3 ${pair.from.name} -> ${pair.to.name} failed: ${(error as Error).message} ${result.stderr.trim()}`,
      { cause: error },
    );
  }
}

export const iperf3Tool: BenchTool = {
  description: 'iperf3 (Debian package iperf3): one iperf3 -s -1 per pair and run, parsed from -J',
  unsupported(params: TestParams) {
    if (params.test !== 'stream')
      return 'iperf3 has no request/response test; use --tool vmpath for rr';
    if (params.durationMs % 1000 !== 0 || params.warmupMs % 1000 !== 0)
      return 'iperf3 takes whole seconds: --duration and the warm-up must be whole seconds';
    return null;
  },
  missing(env) {
    return findExecutable('iperf3', env.searchPath)
      ? null
      : 'iperf3 was not found on PATH; install it (Debian: apt-get install -y iperf3) or use --tool vmpath';
  },
  async open(env, pairs, params, options) {
    const missing = this.missing(env);
    if (missing) throw new VmpathError('E_BENCH_NO_TOOL', missing);
    const processes = new ProcessSet();
    const base = options.port || IPERF3_PORT;
    return {
      runOnce: () =>
        Promise.all(
          pairs.map((pair, i) =>
            runPair(env, processes, pair, params as StreamParams, base + i, options),
          ),
        ),
      close: () => processes.endAll(),
    };
  },
};
