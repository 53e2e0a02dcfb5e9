/**
 * Folders a vmpath process makes in this machine's temporary folder, named
 * <prefix><its PID>-<random>, which it removes when it ends; one killed with SIGKILL cannot. The
 * next process of the kind removes those whose process is gone.
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './tools.js';

/** The folders in `dir` named `prefix`<PID>-... whose PID no longer runs. */
export function staleFolders(prefix: string, dir = tmpdir()): string[] {
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)-`);
  return readdirSync(dir).filter((name) => {
    const match = pattern.exec(name);
    return match !== null && !processAlive(Number(match[1]));
  });
}

/** Removes the stale folders of `prefix` in `dir` (staleFolders); returns their names. Nothing
 * else is touched. */
export function removeStaleFolders(prefix: string, dir = tmpdir()): string[] {
  const removed = staleFolders(prefix, dir);
  for (const name of removed) rmSync(join(dir, name), { recursive: true, force: true });
  return removed;
}
