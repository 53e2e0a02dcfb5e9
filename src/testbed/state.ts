/**
 * Where a testbed's records live: `<stateDir>/<id>/` holds `testbed.json` (what was asked for
 * and the resolved topology) and `ledger.jsonl` (ledger.ts). The folder is created exclusively,
 * which is also the lock that refuses a second `up` with the same id. Also lists the namespaces
 * that exist now (iproute2 keeps them as files in /run/netns).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VmpathError } from '../core/errors.js';
import { ID_PATTERN } from '../core/ids.js';
import type { Topology } from '../topology/types.js';
import { Ledger } from './ledger.js';
import { PREFIX } from './names.js';

/** iproute2's NETNS_RUN_DIR: one bind-mounted file per named namespace. */
export const NETNS_RUN_DIR = '/run/netns';

/** The record of one testbed. */
export interface TestbedRecord {
  readonly id: string;
  readonly state: 'building' | 'up';
  readonly createdAt: string;
  /** PID of the `vmpath testbed up` that built it. */
  readonly pid: number;
  readonly topology: Topology;
}

export class TestbedState {
  readonly dir: string;
  readonly id: string;

  constructor(stateDir: string, id: string) {
    this.id = id;
    this.dir = join(stateDir, id);
  }

  get ledger(): Ledger {
    return new Ledger(join(this.dir, 'ledger.jsonl'));
  }

  /** Creates the folder; refuses if it exists (the id is in use or was left by a crash). */
  claim(stateDir: string): void {
    mkdirSync(stateDir, { recursive: true });
    try {
      mkdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new VmpathError(
          'E_TESTBED_ID_IN_USE',
          `--id: testbed ${JSON.stringify(this.id)} already exists; choose another id, or run 'vmpath testbed down --id ${this.id}' (or 'clean' after a crash)`,
          { details: { field: '--id', value: this.id } },
        );
      }
      throw error;
    }
  }

  exists(): boolean {
    try {
      readdirSync(this.dir);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes the record atomically (write then rename). */
  write(record: TestbedRecord): void {
    const path = join(this.dir, 'testbed.json');
    writeFileSync(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  /** The record, or null if there is none (never written, or the folder is gone). */
  read(): TestbedRecord | null {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'testbed.json'), 'utf8')) as TestbedRecord;
    } catch {
      return null;
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Ids with a state folder under `stateDir`. */
export function listIds(stateDir: string): string[] {
  try {
    return (
      readdirSync(stateDir, { withFileTypes: true })
        // A testbed's folder is its id; other entries (the .cache of built helpers) are not.
        .filter((entry) => entry.isDirectory() && ID_PATTERN.test(entry.name))
        .map((entry) => entry.name)
        .sort()
    );
  } catch {
    return [];
  }
}

/** Namespaces that exist now whose name starts with `prefix` (default: every vmpath one). */
export function listNetns(prefix = `${PREFIX}-`): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR)
      .filter((name) => name.startsWith(prefix))
      .sort();
  } catch {
    return [];
  }
}
