/**
 * What bench advect-vs-c and advect-memory share: running the application through
 * src/apps/advect/run.ts on either engine, and the table of a result's time split.
 */
import { totalmem } from 'node:os';
import type { AdvectParams } from '../src/apps/advect/params.js';
import type { AdvectResult } from '../src/apps/advect/result.js';
import { type Engine, type RunTarget, runAdvect } from '../src/apps/advect/run.js';
import { env, interrupt } from './support.js';

export async function runOnce(
  params: AdvectParams,
  target: RunTarget,
  engine: Engine,
): Promise<AdvectResult> {
  const { result } = await runAdvect(params, target, {
    runner: env.runner,
    execPath: env.execPath,
    searchPath: env.searchPath,
    engine,
    timeoutMs: 900_000,
    signal: interrupt,
    onLine: (line) => process.stderr.write(`${line}\n`),
  });
  return result;
}

export const machineMemory = totalmem();
