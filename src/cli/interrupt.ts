/**
 * Turning SIGINT, SIGTERM, and a reader that closed our standard output, into an abort of the
 * work in progress, so that it stops the way it does on failure: what it built is removed,
 * what it started is ended, what it measured is kept. The error it then fails with is an
 * interrupt (E_CLI_INTERRUPTED: exit 128 + the signal's number, 130 for SIGINT, 143 for
 * SIGTERM, 141 for a closed pipe, as a shell reports them) whose cause says what stopped.
 */
import { hasCode, interrupted } from '../core/errors.js';

const running = new Set<(signal: string) => void>();

/** Runs `body` with an AbortSignal that SIGINT and SIGTERM (and interruptAll) trigger, instead
 * of ending the process at once. */
export async function interruptible<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: string | null = null;
  const stop = (signal: string) => {
    received ??= signal;
    controller.abort(interrupted(signal));
  };
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  running.add(stop);
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    return await body(controller.signal);
  } catch (error) {
    if (received) throw hasCode(error, 'E_CLI_INTERRUPTED') ? error : interrupted(received, error);
    throw error;
  } finally {
    running.delete(stop);
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

/** Interrupts every interruptible body running now, as `signal` would. */
export function interruptAll(signal: string): void {
  for (const stop of running) stop(signal);
}
