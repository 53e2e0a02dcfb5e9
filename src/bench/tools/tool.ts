/**
 * A bench tool runs one test between pairs of nodes, all pairs at once. Tools are chosen by
 * name (tools/index.ts); each owns the processes it starts and ends them in `close` or `abort`.
 */
import { type Launcher, NETNS_LAUNCHER, startOn } from '../../cluster/launcher.js';
import type { CommandRunner, Started } from '../../sys/runner.js';
import type { TestbedNode } from '../../testbed/nodes.js';
import type { Pair } from '../pairs.js';
import type { Run, TestParams } from '../types.js';

export interface BenchEnv {
  readonly runner: CommandRunner;
  /** The Node.js binary that runs vmpath's own server and client. */
  readonly execPath: string;
  /** PATH, to find external tools. */
  readonly searchPath: string | undefined;
  /** How processes reach the nodes; the testbed's namespaces when not given. */
  readonly launcher?: Launcher;
}

export interface ToolOptions {
  /** First port for servers (pair i uses port + i); 0 lets the system choose (vmpath tool). */
  readonly port: number;
  /** Called with the PID of each server started, and the node it serves on. */
  readonly onServer?: (node: string, pid: number) => void;
}

/** An open session: servers are up; `runOnce` runs every pair once, concurrently. */
export interface ToolSession {
  runOnce(): Promise<Run[]>;
  /** Ends every process this session started (servers, clients still running). */
  close(): Promise<void>;
}

export interface BenchTool {
  readonly description: string;
  /** Why this tool cannot run `params`, or null if it can. */
  unsupported(params: TestParams): string | null;
  /** Why this tool cannot run on this machine (not installed), or null if it can. */
  missing(env: BenchEnv): string | null;
  open(
    env: BenchEnv,
    pairs: readonly Pair[],
    params: TestParams,
    options: ToolOptions,
  ): Promise<ToolSession>;
}

/** Keeps the processes a session started, to end them all by PID. */
export class ProcessSet {
  readonly #live = new Set<Started>();

  add(started: Started): Started {
    this.#live.add(started);
    started.done.then(
      () => this.#live.delete(started),
      () => this.#live.delete(started),
    );
    return started;
  }

  /** SIGTERM to each, SIGKILL after `graceMs`, and wait until all have ended. */
  async endAll(graceMs = 2000): Promise<void> {
    const live = [...this.#live];
    for (const p of live) p.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const p of live) p.kill('SIGKILL');
    }, graceMs);
    await Promise.allSettled(live.map((p) => p.done));
    clearTimeout(timer);
  }
}

/** A started process whose standard output is collected and can be waited on. */
export interface Watched {
  readonly started: Started;
  /** Everything it has printed on stdout so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in its stdout; rejects if it ends first. */
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** Starts `command` on `node` (recorded in `processes`) and watches its standard output. */
export function startWatched(
  processes: ProcessSet,
  env: BenchEnv,
  node: TestbedNode,
  command: { argv: readonly string[]; description: string },
): Watched {
  let text = '';
  const listeners = new Set<() => void>();
  const started = processes.add(
    startOn(env.runner, env.launcher ?? NETNS_LAUNCHER, node, command, {
      onStdout: (chunk) => {
        text += chunk;
        for (const listener of listeners) listener();
      },
    }),
  );
  return {
    started,
    output: () => text,
    waitFor(pattern, what, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const settle = (error: Error | null, match?: RegExpExecArray) => {
          listeners.delete(check);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(match as RegExpExecArray);
        };
        const check = () => {
          const match = pattern.exec(text);
          if (match) settle(null, match);
        };
        const timer = setTimeout(
          () => settle(new Error(`${what} did not start within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
        listeners.add(check);
        check();
        started.done.then(
          (result) =>
            settle(
              new ToolProcessError(
                `${what} ended before it was ready`,
                result.stderr || text,
                result.exitCode,
              ),
            ),
          (error: Error) => settle(error),
        );
      });
    },
  };
}

/** A tool process that ended early: what it printed, for the caller to explain. */
export class ToolProcessError extends Error {
  readonly output: string;
  readonly exitCode: number | null;

  constructor(message: string, output: string, exitCode: number | null) {
    super(`${message}: ${output.trim().split('\n').slice(-2).join(' / ') || `exit ${exitCode}`}`);
    this.output = output;
    this.exitCode = exitCode;
  }
}
