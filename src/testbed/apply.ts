/**
 * Runs plan steps through the one CommandRunner, ledger first: an object is recorded before the
 * command that creates it starts, and every started PID is recorded as it starts.
 */
import { VmpathError } from '../core/errors.js';
import type { CommandRunner } from '../sys/runner.js';
import { explainStepFailure } from './features.js';
import type { Ledger } from './ledger.js';
import type { Step } from './plan.js';

export interface ApplyOptions {
  /** Aborting stops before the next step (Ctrl-C during `up`). */
  signal?: AbortSignal;
  /** Called after each step, e.g. for progress. */
  onStep?: (step: Step, index: number, total: number) => void;
}

/** Applies steps in order; throws the first failure, explained (features.ts). */
export async function applySteps(
  runner: CommandRunner,
  steps: readonly Step[],
  ledger: Ledger | null,
  options: ApplyOptions = {},
): Promise<void> {
  for (const [index, step] of steps.entries()) {
    if (options.signal?.aborted) {
      throw new VmpathError('E_TESTBED_APPLY', `interrupted before: ${step.description}`, {
        cause: options.signal.reason,
      });
    }
    if (step.creates && ledger) ledger.object(step.creates);
    try {
      await runner.run(step, { onSpawn: (pid) => ledger?.process(pid, step.argv) });
    } catch (error) {
      throw explainStepFailure(step, error);
    }
    options.onStep?.(step, index, steps.length);
  }
}

/** Applies steps that undo things: every step is tried, failures are collected, not thrown. */
export async function applyAll(runner: CommandRunner, steps: readonly Step[]): Promise<string[]> {
  const failures: string[] = [];
  for (const step of steps) {
    const result = await runner.run(step, { allowFailure: true });
    if (result.exitCode !== 0) failures.push(`${step.description}: ${result.stderr.trim()}`);
  }
  return failures;
}
