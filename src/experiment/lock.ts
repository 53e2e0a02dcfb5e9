/**
 * One sweep of a spec at a time on this machine. A sweep's testbeds take ids derived from its
 * spec (so that a resumed sweep finds what a killed one left), so two sweeps of one spec would
 * build, use and remove each other's testbeds. The lock lives beside the testbeds' records
 * (a sweep with another state folder is stopped anyway, by `up`, when it finds the first
 * one's namespaces); a lock whose process is gone was left by a killed sweep and is taken over.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { VmpathError } from '../core/errors.js';
import { releaseLock, takeLock } from '../store/locks.js';
import { processAlive } from '../sys/tools.js';

/** Takes the lock of the sweep with spec hash `hash` (named `name`); returns its release. */
export function lockSweep(stateDir: string, hash: string, name: string): () => void {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, 'sweeps.lock');
  const key = `sweep ${hash}`;
  const holder = takeLock(
    file,
    key,
    { pid: process.pid, startedAt: new Date().toISOString(), name },
    processAlive,
  );
  if (holder)
    throw new VmpathError(
      'E_EXP_BUSY',
      `sweep ${name}: the same spec is already running (process ${holder.pid}, since ${holder.startedAt}); its testbeds are shared, so wait for it to end (or stop it), then run again to resume`,
      { details: { field: 'SPEC', value: name } },
    );
  return () => releaseLock(file, key, process.pid);
}
