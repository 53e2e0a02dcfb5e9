/**
 * Folders a vmpath process makes in this machine's temporary folder, named
 * <prefix><its PID>-<random>, which it removes when it ends; one killed with SIGKILL cannot. The
 * next process of the kind removes those whose process is gone.
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './tools.js';

/** Removes the folders in `dir` named `prefix`<PID>-... whose PID no longer runs; returns
 * their names. Nothing else is touched. */
export function removeStaleFolders(prefix: string, dir = tmpdir()): string[] {
  const removed: string[] = [];
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)-`);
  for (const name of readdirSync(dir)) {
    const match = pattern.exec(name);
    if (!match || processAlive(Number(match[1]))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
