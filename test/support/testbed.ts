/**
 * Helpers for integration tests that build real testbeds: why a test must skip (not root, no
 * iproute2), a private state folder, fresh ids, and `withTestbed`, which always tears down.
 */
import { spawnSync } from 'node:child_process';
import { newId } from '../../src/core/ids.js';
import { CommandRunner } from '../../src/sys/runner.js';
import { findExecutable, isRoot, processCmdline, processesInNetns } from '../../src/sys/tools.js';
import { BACKEND_PATH } from '../../src/testbed/dom0.js';
import { down, type TestbedEnv, up } from '../../src/testbed/lifecycle.js';
import { netnsPrefix } from '../../src/testbed/names.js';
import { listNetns } from '../../src/testbed/state.js';
import type { TrafficEnv } from '../../src/testbed/traffic.js';
import type { Topology } from '../../src/topology/types.js';
import { tempDir } from './temp.js';

/** false when integration tests can run here, else the reason they skip. */
export const SKIP_NO_ROOT: string | false = !isRoot()
  ? 'skipped: needs root to create network namespaces (run the tests as root, as CI does)'
  : !findExecutable('ip', process.env.PATH) || !findExecutable('tc', process.env.PATH)
    ? 'skipped: needs iproute2 (ip, tc): apt-get install -y iproute2'
    : false;

if (SKIP_NO_ROOT) process.stderr.write(`# ${SKIP_NO_ROOT}\n`);

export type Env = TestbedEnv & TrafficEnv;

const ids = new Set<string>();

/** Last line of defence when a test is cut short (failed assertion, cancellation): remove the
 * namespaces of every id this test process handed out. A test that
 * passes has already removed them through vmpath itself; anything found here is reported. */
process.on('exit', () => {
  for (const id of ids) {
    for (const ns of listNetns(netnsPrefix(id))) {
      process.stderr.write(`# test cleanup: removing leftover namespace ${ns}\n`);
      spawnSync('ip', ['netns', 'delete', ns]);
    }
  }
});

export { tempDir };

/** A testbed environment with a private state folder (so tests never see a user's testbeds). */
export function testEnv(): Env {
  return {
    runner: new CommandRunner(process.env),
    stateDir: tempDir('vmpath-state-'),
    searchPath: process.env.PATH,
    execPath: process.execPath,
  };
}

/** A fresh id starting with 't' (6 characters). */
export function testId(): string {
  const id = `t${newId().slice(0, 5)}`;
  ids.add(id);
  return id;
}

/** Builds `topology`, runs `body`, and removes the testbed whatever happens. */
export async function withTestbed<T>(
  env: Env,
  topology: Topology,
  body: (id: string) => Promise<T>,
): Promise<T> {
  const id = testId();
  await up(env, topology, id);
  try {
    return await body(id);
  } finally {
    await down(env, id);
  }
}

/** Namespaces of testbed `id` that exist now. */
export function leftovers(id: string): string[] {
  return listNetns(netnsPrefix(id));
}

/** PIDs of processes running inside a namespace now. */
export function pidsIn(netns: string): number[] {
  // A host's dom0 backend is the testbed's own daemon, not something a job left.
  return processesInNetns([netns])
    .filter((p) => processCmdline(p.pid)?.[0] !== BACKEND_PATH)
    .map((p) => p.pid);
}

/** Why a test that needs root and `tools` must skip (said once on stderr), or false. */
export function skipUnlessTools(tools: readonly string[], install: string): string | false {
  if (SKIP_NO_ROOT) return SKIP_NO_ROOT;
  const missing = tools.filter((t) => !findExecutable(t, process.env.PATH));
  if (missing.length === 0) return false;
  const why = `skipped: needs ${missing.join(', ')} (apt-get install -y ${install})`;
  process.stderr.write(`# ${why}\n`);
  return why;
}
