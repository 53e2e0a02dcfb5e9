#!/usr/bin/env node
/**
 * One rank of the advection application on the vmpath runtime, as `vmpath run advect` launches
 * it: node dist/src/apps/advect/rank.js --grid XxYxZ --steps T --decomp PxQxR --velocity a,b,c
 * --dt DT, or several such problems separated by `--then` (solved in order, in one job). Rank 0
 * prints each problem's result as one JSON line prefixed with RESULT_PREFIX. An
 * error of its own ends the rank with one line naming it (the launcher then ends the job); the
 * runtime reports its own errors.
 */
import { init, isRuntimeError } from '../../runtime/index.js';
import { makeParams, parseDims, parseVelocity, splitSeries } from './params.js';
import { combine, RESULT_PREFIX } from './result.js';
import { type RankResult, solveBlock } from './solve.js';

/** The value after `name` in one problem's arguments. */
function option(args: readonly string[], name: string): string {
  const at = args.indexOf(name);
  const value = at >= 0 ? args[at + 1] : undefined;
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}

const world = await init();
try {
  // One problem, or several separated by SERIES_SEPARATOR, solved in order (one result line each).
  const problems = splitSeries(process.argv.slice(2)).map((args) =>
    makeParams(
      {
        grid: parseDims(option(args, '--grid'), '--grid'),
        steps: Number(option(args, '--steps')),
        decomp: parseDims(option(args, '--decomp'), '--decomp'),
        velocity: parseVelocity(option(args, '--velocity')),
        dt: Number(option(args, '--dt')),
        warmup: Number(option(args, '--warmup')),
      },
      world.size,
    ),
  );
  for (const params of problems) {
    const mine = await solveBlock(params, world.rank, world);
    const all = await world.gather(Buffer.from(JSON.stringify(mine)), 0);
    if (all) {
      const ranks = all.map((b) => JSON.parse(b.toString('utf8')) as RankResult);
      process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(combine('vmpath', params, ranks))}\n`);
    }
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
