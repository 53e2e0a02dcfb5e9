/**
 * vmpath's own tool: one bench server (server.ts) per pair in the receiver's namespace, for the
 * whole session; one client (client.ts) per pair and run in the sender's namespace.
 */
import { fileURLToPath } from 'node:url';
import { VmpathError } from '../../core/errors.js';
import type { Pair } from '../pairs.js';
import type { Run, TestParams } from '../types.js';
import {
  type BenchEnv,
  type BenchTool,
  ProcessSet,
  startWatched,
  type ToolOptions,
  ToolProcessError,
  type ToolSession,
  type Watched,
} from './tool.js';

const SERVER = fileURLToPath(new URL('../server.js', import.meta.url));
const CLIENT = fileURLToPath(new URL('../client.js', import.meta.url));

function clientArgs(params: TestParams): string[] {
  const timing = [
    '--duration-ms',
    String(params.durationMs),
    '--warmup-ms',
    String(params.warmupMs),
  ];
  return params.test === 'stream'
    ? ['stream', '--size', String(params.sizeBytes), ...timing]
    : [
        'rr',
        '--request',
        String(params.requestBytes),
        '--response',
        String(params.responseBytes),
        ...timing,
      ];
}

async function startServer(
  env: BenchEnv,
  processes: ProcessSet,
  pair: Pair,
  port: number,
  options: ToolOptions,
): Promise<{ server: Watched; port: number }> {
  const { to } = pair;
  const server = startWatched(processes, env, to, {
    argv: [env.execPath, SERVER, '--bind', to.address ?? '', '--port', String(port)],
    description: `bench server on ${to.name}`,
  });
  options.onServer?.(to.name, server.started.pid);
  try {
    const match = await server.waitFor(/"port":(\d+)/, `bench server on ${to.name}`);
    return { server, port: Number(match[1]) };
  } catch (error) {
    if (error instanceof ToolProcessError && /in use/.test(error.output)) {
      throw new VmpathError(
        'E_BENCH_PORT_IN_USE',
        `--port: got ${port}; allowed: a free port (port ${port} on ${to.name} ${to.address} is in use), or 0 to let the system choose`,
        {
          details: { field: '--port', value: port },
        },
      );
    }
    throw new VmpathError('E_BENCH_FAILED', (error as Error).message, { cause: error });
  }
}

export const vmpathTool: BenchTool = {
  description: "vmpath's bench server and client (Node.js), one server per pair",
  unsupported: () => null,
  missing: () => null,
  async open(env, pairs, params, options): Promise<ToolSession> {
    const processes = new ProcessSet();
    // Servers start in parallel; if any fails, every one started is ended.
    const started = await Promise.allSettled(
      pairs.map((pair, i) =>
        startServer(env, processes, pair, options.port ? options.port + i : 0, options),
      ),
    );
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await processes.endAll();
      throw failed.reason;
    }
    const servers = started.map(
      (s) => (s as PromiseFulfilledResult<{ server: Watched; port: number }>).value,
    );
    const runPair = async (pair: Pair, i: number): Promise<Run> => {
      const { server, port } = servers[i] as { server: Watched; port: number };
      const client = startWatched(processes, env, pair.from, {
        argv: [
          env.execPath,
          CLIENT,
          ...clientArgs(params),
          '--bind',
          pair.from.address ?? '',
          '--target',
          `${pair.to.address}:${port}`,
        ],
        description: `${params.test} ${pair.from.name} -> ${pair.to.name}`,
      });
      const result = await client.started.done;
      if (result.exitCode !== 0) {
        const serverEnded = await Promise.race([
          server.started.done.then((r) => r),
          new Promise<null>((r) => setTimeout(() => r(null), 200)),
        ]);
        const why = serverEnded
          ? `; the bench server on ${pair.to.name} ended (${serverEnded.stderr.trim() || `exit ${serverEnded.exitCode ?? serverEnded.signal}`})`
          : '';
        throw new VmpathError(
          'E_BENCH_FAILED',
          `${params.test} ${pair.from.name} -> ${pair.to.name} failed: ${result.stderr.trim() || `exit ${result.exitCode ?? result.signal}`}${why}`,
        );
      }
      return JSON.parse(client.output()) as Run;
    };
    return {
      runOnce: () => Promise.all(pairs.map(runPair)),
      close: () => processes.endAll(),
    };
  },
};
