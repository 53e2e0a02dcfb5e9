/**
 * The ledger: an append-only JSON-lines file recording every kernel object a testbed owns
 * *before* it is created, and every helper process it starts, so that `down` and `clean` can
 * undo a build even after `up` was killed with SIGKILL half-way. A line torn by such a kill is
 * ignored when reading. The file lives in the testbed's state folder (state.ts).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import type { LedgerObject } from './plan.js';

export type LedgerLine =
  | { readonly t: 'obj'; readonly obj: LedgerObject }
  | {
      readonly t: 'proc';
      readonly pid: number;
      readonly argv: readonly string[];
      /** A daemon that lives as long as the testbed (a dom0 backend): ended by `down`. */
      readonly daemon?: string;
    };

export class Ledger {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** Records an object about to be created; synchronous so it is on disk before the next step. */
  object(obj: LedgerObject): void {
    this.#append({ t: 'obj', obj });
  }

  /** Records a process vmpath started (so a crash cleanup can wait for or end that PID only). */
  process(pid: number, argv: readonly string[], daemon?: string): void {
    this.#append({ t: 'proc', pid, argv, ...(daemon ? { daemon } : {}) });
  }

  /** Every well-formed line, in order; missing file means an empty ledger. */
  read(): LedgerLine[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines: LedgerLine[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        lines.push(JSON.parse(line) as LedgerLine);
      } catch {
        // a line torn by a crash while it was written: its object was never created
      }
    }
    return lines;
  }

  /** The objects only, in creation order. */
  objects(): LedgerObject[] {
    return this.read().flatMap((line) => (line.t === 'obj' ? [line.obj] : []));
  }

  #append(line: LedgerLine): void {
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }
}
