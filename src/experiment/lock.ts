/**
 * One sweep of a spec at a time on this machine. A sweep's testbeds take ids derived from its
 * spec (so that a resumed sweep finds what a killed one left), so two sweeps of one spec would
 * build, use and remove each other's testbeds. The lock is a file in the testbeds' state folder,
 * created exclusively, holding the PID of the sweep that runs; a lock whose process is gone was
 * left by a killed sweep and is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VmpathError } from '../core/errors.js';
import { processAlive } from '../sys/tools.js';

interface Holder {
  readonly pid: number;
  readonly startedAt: string;
  readonly name: string;
}

function holderOf(path: string): Holder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return null; // gone meanwhile, or torn by a crash while written
  }
}

/** Takes the lock of the sweep with spec hash `hash` (named `name`); returns its release. */
export function lockSweep(stateDir: string, hash: string, name: string): () => void {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, `sweep-${hash}.lock`);
  const mine: Holder = { pid: process.pid, startedAt: new Date().toISOString(), name };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine), { flag: 'wx' });
      return () => {
        if (holderOf(path)?.pid === process.pid) rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = holderOf(path);
    if (holder && processAlive(holder.pid))
      throw new VmpathError(
        'E_EXP_BUSY',
        `sweep ${name}: the same spec is already running (process ${holder.pid}, since ${holder.startedAt}); its testbeds are shared, so wait for it to end (or stop it), then run again to resume`,
        { details: { field: 'SPEC', value: name } },
      );
    rmSync(path, { force: true }); // left by a sweep that was killed
  }
  throw new VmpathError('E_EXP_BUSY', `sweep ${name}: could not take its lock ${path}`);
}
