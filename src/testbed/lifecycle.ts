/**
 * A testbed's life: `up` (preflight, claim the id, apply the plan, roll back on any failure),
 * `down` (replay the ledger in reverse), `clean` (remove what a crashed run left, by id or by
 * the vmpath prefix only). Each leaves either a whole testbed or nothing.
 */
import { availableParallelism } from 'node:os';
import { VmpathError } from '../core/errors.js';
import type { CommandRunner } from '../sys/runner.js';
import { processAlive, processCmdline, processesInNetns, signalProcess } from '../sys/tools.js';
import type { Topology } from '../topology/types.js';
import { type ApplyOptions, applyAll, applySteps } from './apply.js';
import {
  applyBudgets,
  listCgroups,
  planBudgets,
  removeCgroups,
  requireController,
} from './budgets.js';
import { planBackends, requireBackend, startBackends, stopDaemons } from './dom0.js';
import type { LedgerLine } from './ledger.js';
import { netnsPrefix, PREFIX } from './names.js';
import { planDown, planRemoveNamespaces } from './plan-down.js';
import { planUp } from './plan-up.js';
import { preflight } from './preflight.js';
import { listIds, listNetns, type TestbedRecord, TestbedState } from './state.js';

/** What every lifecycle call needs from its caller (the CLI or a test). */
export interface TestbedEnv {
  readonly runner: CommandRunner;
  readonly stateDir: string;
  /** PATH, to find ip and tc before starting. */
  readonly searchPath: string | undefined;
}

/** Builds a testbed. On any failure or abort, removes everything it made and rethrows. */
export async function up(
  env: TestbedEnv,
  topology: Topology,
  id: string,
  options: ApplyOptions = {},
): Promise<TestbedRecord> {
  const steps = planUp(topology, id);
  const budgets = planBudgets(topology, id, availableParallelism());
  const backends = planBackends(topology, id);
  preflight(steps, env.searchPath);
  requireBackend(backends);
  const controller = requireController(budgets);
  const leftovers = listNetns(netnsPrefix(id));
  const state = new TestbedState(env.stateDir, id);
  if (leftovers.length > 0 && !state.exists()) {
    throw new VmpathError(
      'E_TESTBED_ID_IN_USE',
      `--id: namespaces of testbed ${JSON.stringify(id)} exist without a record (${leftovers[0]}...); run 'vmpath testbed clean --id ${id}' first`,
      { details: { field: '--id', value: id } },
    );
  }
  state.claim(env.stateDir);
  const record: TestbedRecord = {
    id,
    state: 'building',
    createdAt: new Date().toISOString(),
    pid: process.pid,
    topology,
  };
  try {
    state.write(record);
    await applySteps(env.runner, steps, state.ledger, options);
    if (controller) applyBudgets(controller, budgets, state.ledger);
    await startBackends(backends, budgets, controller?.root ?? null, state.dir, state.ledger);
  } catch (error) {
    await removeTestbed(env, state);
    throw error;
  }
  const done: TestbedRecord = { ...record, state: 'up' };
  state.write(done);
  return done;
}

/** What `down` or `clean` removed. */
export interface RemovalReport {
  readonly id: string;
  readonly removedNetns: string[];
  readonly failures: string[];
  /** Processes vmpath did not start that were still running inside the removed namespaces:
   * they keep those namespaces alive (unnamed) until they exit. Reported, never ended. */
  readonly strayProcesses: { netns: string; pid: number; command: string }[];
}

/** Removes testbed `id` by its ledger. Idempotent: an unknown id removes nothing. */
export async function down(env: TestbedEnv, id: string): Promise<RemovalReport> {
  const state = new TestbedState(env.stateDir, id);
  if (!state.exists()) {
    const leftovers = listNetns(netnsPrefix(id));
    if (leftovers.length > 0) {
      throw new VmpathError(
        'E_TESTBED_STATE',
        `testbed ${id} has namespaces (${leftovers.join(', ')}) but no ledger; run 'vmpath testbed clean --id ${id}'`,
      );
    }
    return { id, removedNetns: [], failures: [], strayProcesses: [] };
  }
  preflight([], env.searchPath, 'removing a testbed');
  return removeTestbed(env, state);
}

/** Removes what a crashed run left of `id` (ledger, then anything with its prefix), or with
 * `all`, of every vmpath testbed. Waits for (then ends) only the processes the ledger recorded. */
export async function clean(
  env: TestbedEnv,
  target: { id: string } | { all: true },
): Promise<RemovalReport[]> {
  preflight([], env.searchPath, 'cleaning up');
  const ids = 'id' in target ? [target.id] : listIds(env.stateDir);
  const reports: RemovalReport[] = [];
  for (const id of ids) reports.push(await removeTestbed(env, new TestbedState(env.stateDir, id)));
  const prefix = 'id' in target ? netnsPrefix(target.id) : `${PREFIX}-`;
  const stray = listNetns(prefix);
  const strayCgroups = listCgroups(prefix);
  if (stray.length > 0 || strayCgroups.length > 0) {
    const strayProcesses = processesInNetns(stray);
    const failures = await applyAll(env.runner, planRemoveNamespaces(stray));
    failures.push(...(await removeCgroups(strayCgroups)));
    reports.push({
      id: 'id' in target ? target.id : '(no record)',
      removedNetns: stray,
      failures,
      strayProcesses,
    });
  }
  return reports;
}

async function removeTestbed(env: TestbedEnv, state: TestbedState): Promise<RemovalReport> {
  const ledger = state.ledger;
  await stopDaemons(ledger.read());
  await settleRecordedProcesses(ledger.read());
  const objects = ledger.objects();
  // Namespaces that still exist: those of this ledger, plus any with the prefix (crash window).
  const existing = new Set(listNetns(netnsPrefix(state.id)));
  const strayProcesses = processesInNetns([...existing]);
  const steps = planDown(objects, existing);
  const failures = await applyAll(env.runner, steps);
  const stray = listNetns(netnsPrefix(state.id));
  failures.push(...(await applyAll(env.runner, planRemoveNamespaces(stray))));
  // Cgroups last: the processes in them are gone with the namespaces' commands.
  const cgroups = objects.flatMap((obj) => (obj.kind === 'cgroup' ? [obj.name] : []));
  const leftCgroups = listCgroups(netnsPrefix(state.id));
  failures.push(...(await removeCgroups([...new Set([...cgroups, ...leftCgroups])])));
  const removedNetns = [...steps.map((step) => step.netns ?? ''), ...stray].filter(Boolean);
  if (failures.length === 0) state.remove();
  return { id: state.id, removedNetns, failures, strayProcesses };
}

/** Waits up to `graceMs` for processes the ledger recorded (e.g. an `ip` a killed `up` left
 * running) to end; then ends the ones still running, by PID, if they are still the same command. */
async function settleRecordedProcesses(
  lines: readonly LedgerLine[],
  graceMs = 2000,
): Promise<void> {
  const mine = (pid: number, argv: readonly string[]) => {
    const cmdline = processCmdline(pid);
    return cmdline !== null && cmdline.slice(1).join(' ') === argv.slice(1).join(' ');
  };
  const pending = lines.flatMap((line) =>
    line.t === 'proc' && !line.daemon && processAlive(line.pid) && mine(line.pid, line.argv)
      ? [line]
      : [],
  );
  const deadline = Date.now() + graceMs;
  while (pending.some((p) => processAlive(p.pid)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const p of pending) {
    if (processAlive(p.pid) && mine(p.pid, p.argv)) signalProcess(p.pid, 'SIGKILL');
  }
}
