#!/usr/bin/env node
/**
 * One rank of the advection application on the vmpath runtime, as `vmpath run advect` launches
 * it: node dist/src/apps/advect/rank.js --grid XxYxZ --steps T --decomp PxQxR --velocity a,b,c
 * --dt DT. Rank 0 prints the run's result as one JSON line prefixed with RESULT_PREFIX. An
 * error of its own ends the rank with one line naming it (the launcher then ends the job); the
 * runtime reports its own errors.
 */
import { init, isRuntimeError } from '../../runtime/index.js';
import { makeParams, parseDims, parseVelocity } from './params.js';
import { combine, RESULT_PREFIX } from './result.js';
import { type RankResult, solveBlock } from './solve.js';

function option(name: string): string {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? process.argv[at + 1] : undefined;
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}

const world = await init();
try {
  const params = makeParams(
    {
      grid: parseDims(option('--grid'), '--grid'),
      steps: Number(option('--steps')),
      decomp: parseDims(option('--decomp'), '--decomp'),
      velocity: parseVelocity(option('--velocity')),
      dt: Number(option('--dt')),
      warmup: Number(option('--warmup')),
    },
    world.size,
  );
  const mine = await solveBlock(params, world.rank, world);
  const all = await world.gather(Buffer.from(JSON.stringify(mine)), 0);
  if (all) {
    const ranks = all.map((b) => JSON.parse(b.toString('utf8')) as RankResult);
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(combine('vmpath', params, ranks))}\n`);
  }
  await world.finalize();
} catch (error) {
  if (isRuntimeError(error)) throw error;
  const message = (error as Error).message ?? String(error);
  process.stderr.write(
    `${message.startsWith('rank ') ? message : `rank ${world.rank}: ${message}`}\n`,
  );
  process.exit(1);
}
