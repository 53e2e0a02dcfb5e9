/**
 * The one door to the OS: every process vmpath starts is started here, by argv, without a shell.
 *
 * `run` waits for a command and returns what it printed; a non-zero exit becomes a CommandError
 * (unless the caller allows failure). `start` launches a long-lived process and hands back its
 * PID so the caller can end exactly that process later. Nothing here decides what to run.
 */
import { spawn } from 'node:child_process';
import { CommandError, VmpathError } from '../core/errors.js';
import type { Command } from './command.js';

export interface RunOptions {
  /** Text written to the command's standard input, which is then closed. */
  input?: string;
  /** Kill the command (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
  /** Called with the PID right after the process starts (before it may finish). */
  onSpawn?: (pid: number) => void;
  /** Ends the command (SIGTERM) when aborted. */
  signal?: AbortSignal;
  /** Variables added to the runner's environment for this command only. */
  env?: Readonly<Record<string, string>>;
}

export interface CommandResult {
  readonly command: Command;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** A started process: its PID, a promise of its end, and a way to end it by PID. */
export interface Started {
  readonly pid: number;
  readonly done: Promise<CommandResult>;
  /** Sends `signal` to this process only; no-op once it has ended. */
  kill(signal?: NodeJS.Signals): void;
}

export interface StartOptions {
  /** 'pipe' collects output into the result; 'inherit' shares the terminal. */
  stdio?: 'pipe' | 'inherit';
  /** Text for standard input, which is then closed; without it stdin stays open until exit. */
  input?: string;
  /** Text for standard input, which then stays open until exit (a remote side's lifeline). */
  stdinLine?: string;
  /** Called with each chunk of standard output as it arrives (stdio 'pipe' only). */
  onStdout?: (chunk: string) => void;
  /** Called with each chunk of standard error as it arrives (stdio 'pipe' only). */
  onStderr?: (chunk: string) => void;
  /** Variables added to the runner's environment for this process only. */
  env?: Readonly<Record<string, string>>;
  /** false: the output goes only to onStdout/onStderr, not into the result (a long job's). */
  collect?: boolean;
}

/** Runs commands. One instance per CLI invocation; tests may wrap it to record what ran. */
export class CommandRunner {
  readonly #env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
  }

  /** Runs a command to completion. */
  async run(command: Command, options: RunOptions = {}): Promise<CommandResult> {
    const started = this.start(command, {
      stdio: 'pipe',
      input: options.input ?? '',
      ...(options.env ? { env: options.env } : {}),
    });
    if (started.pid > 0) options.onSpawn?.(started.pid);
    const timeoutMs = options.timeoutMs ?? 60_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      started.kill('SIGKILL');
    }, timeoutMs);
    const stop = () => started.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop, { once: true });
    if (options.signal?.aborted) stop();
    const result = await started.done.finally(() => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', stop);
    });
    if (timedOut) {
      throw new CommandError(
        failureOf(result, `${result.stderr}\n(timed out after ${timeoutMs} ms)`),
        {
          code: 'E_SYS_TIMEOUT',
        },
      );
    }
    if (result.exitCode !== 0 && !options.allowFailure) {
      throw new CommandError(failureOf(result, result.stderr));
    }
    return result;
  }

  /** Starts a command and returns at once. Throws E_SYS_SPAWN if it cannot start at all. */
  start(command: Command, options: StartOptions = {}): Started {
    const [file, ...args] = command.argv;
    if (!file) throw new VmpathError('E_SYS_SPAWN', `empty argv for: ${command.description}`);
    const begin = performance.now();
    const stdio = options.stdio ?? 'pipe';
    const child = spawn(file, args, {
      env: options.env ? { ...this.#env, ...options.env } : this.#env,
      stdio: stdio === 'inherit' ? 'inherit' : ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const collect = options.collect !== false;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (collect) stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (collect) stderr += chunk;
      options.onStderr?.(chunk);
    });
    child.stdin?.on('error', () => {});
    // Without input, stdin stays open: a helper can watch it to exit when vmpath goes away.
    if (options.input !== undefined) child.stdin?.end(options.input);
    else if (options.stdinLine !== undefined) child.stdin?.write(options.stdinLine);
    let ended = false;
    const done = new Promise<CommandResult>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        ended = true;
        const why = error.code === 'ENOENT' ? `${file} not found on PATH` : error.message;
        reject(new VmpathError('E_SYS_SPAWN', `cannot start ${file}: ${why}`, { cause: error }));
      });
      child.once('close', (exitCode, signal) => {
        ended = true;
        resolve({
          command,
          exitCode,
          signal,
          stdout,
          stderr,
          durationMs: performance.now() - begin,
        });
      });
    });
    return {
      pid: child.pid ?? -1,
      done,
      kill(signal: NodeJS.Signals = 'SIGTERM') {
        if (!ended && child.pid !== undefined) child.kill(signal);
      },
    };
  }
}

function failureOf(result: CommandResult, stderr: string) {
  return {
    argv: result.command.argv,
    netns: result.command.netns,
    exitCode: result.exitCode,
    signal: result.signal,
    stderr,
    durationMs: result.durationMs,
  };
}
