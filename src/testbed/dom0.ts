/**
 * The emulated Dom0: one backend process per host with `bridged` vms and `dom0.backend: user`
 * (native/dom0.c). It runs in the host's namespace under the host's dom0 CPU budget and moves
 * every frame between each vm's port (`v-<vm>`, the host end of the vm's veth) and the vm's tap
 * on the host bridge (`t-<vm>`), through user space. It is a daemon of the testbed: recorded in
 * the ledger with its PID when it starts, ended by PID by `down` and `clean`.
 *
 * `planBackends` is pure; `startBackends` spawns and waits for each to attach.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VmpathError } from '../core/errors.js';
import { inCgroup } from '../sys/cgroup.js';
import { processAlive, processCmdline, signalProcess } from '../sys/tools.js';
import type { Topology } from '../topology/types.js';
import type { Budget } from './budgets.js';
import type { Ledger, LedgerLine } from './ledger.js';
import { hostNetns, vmPort, vmTap } from './names.js';

export const BACKEND_PATH = fileURLToPath(new URL('../../native/vmpath-dom0', import.meta.url));

export interface BackendPlan {
  readonly host: string;
  readonly netns: string;
  /** `PORT:VIF` per bridged vm of the host. */
  readonly pairs: readonly string[];
}

/** The backends a testbed runs: one per host whose bridged vms cross a user-space dom0. */
export function planBackends(topology: Topology, id: string): BackendPlan[] {
  return topology.hosts.flatMap((host, h) => {
    const bridged = host.vms
      .map((vm, v) => ({ vm, v }))
      .filter(({ vm }) => vm.datapath === 'bridged');
    if (bridged.length === 0 || host.dom0.backend !== 'user') return [];
    return [
      {
        host: host.name,
        netns: hostNetns(id, host.name),
        pairs: bridged.map(({ vm, v }) => {
          const owner = `hosts[${h}].vms[${v}].name`;
          return `${vmPort(vm.name, owner)}:${vmTap(vm.name, owner)}`;
        }),
      },
    ];
  });
}

/** The daemon name of a host's backend in the ledger. */
export const backendDaemon = (host: string) => `dom0:${host}`;

/** Refuses before anything is built when the backend was not compiled. */
export function requireBackend(plans: readonly BackendPlan[]): void {
  if (plans.length > 0 && !existsSync(BACKEND_PATH)) {
    throw new VmpathError(
      'E_TESTBED_NO_TOOL',
      `dom0.backend: the user-space backend ${BACKEND_PATH} is not built (npm run build needs gcc); install gcc and rebuild, or set dom0: { backend: kernel } in the topology`,
      { details: { field: 'dom0.backend', value: 'user' } },
    );
  }
}

/** Starts every backend (ledger first, in its dom0 cgroup if it has one) and waits until each
 * has attached to its devices; throws with the backend's own words if one fails. */
export async function startBackends(
  plans: readonly BackendPlan[],
  budgets: readonly Budget[],
  controllerRoot: string | null,
  stateDir: string,
  ledger: Ledger,
): Promise<void> {
  for (const plan of plans) {
    const ready = join(stateDir, `dom0-${plan.host}.ready`);
    const log = join(stateDir, `dom0-${plan.host}.log`);
    const argv = [BACKEND_PATH, '--ready', ready, ...plan.pairs];
    const dom0 = budgets.find((b) => b.host === plan.host && b.role === 'dom0');
    const enter = ['ip', 'netns', 'exec', plan.netns, ...argv];
    const full =
      dom0 && controllerRoot
        ? inCgroup(join(controllerRoot, dom0.name, 'cgroup.procs'), enter)
        : enter;
    const out = openSync(log, 'a');
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(full[0] as string, full.slice(1), {
        detached: true,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    const pid = child.pid;
    if (pid === undefined) throw new VmpathError('E_TESTBED_APPLY', `could not start ${argv[0]}`);
    ledger.process(pid, argv, backendDaemon(plan.host));
    child.unref();
    await waitReady(pid, ready, log, plan.host);
  }
}

async function waitReady(pid: number, ready: string, log: string, host: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (existsSync(ready) && readFileSync(ready, 'utf8').trim() === String(pid)) return;
    if (!processAlive(pid) || processCmdline(pid) === null) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const said = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3) : [];
  throw new VmpathError(
    'E_TESTBED_APPLY',
    `the dom0 backend of ${host} did not attach to its devices within 5 s${said.length ? `: ${said.join('; ')}` : ''}`,
  );
}

/** A recorded backend: its host, PID and whether it still runs (the same command line). */
export interface BackendState {
  readonly host: string;
  readonly pid: number;
  readonly running: boolean;
}

/** The backends a ledger recorded, and whether each still runs. */
export function recordedBackends(lines: readonly LedgerLine[]): BackendState[] {
  return lines.flatMap((line) =>
    line.t === 'proc' && line.daemon?.startsWith('dom0:')
      ? [
          {
            host: line.daemon.slice('dom0:'.length),
            pid: line.pid,
            running: sameCommand(line.pid, line.argv),
          },
        ]
      : [],
  );
}

function sameCommand(pid: number, argv: readonly string[]): boolean {
  const cmdline = processCmdline(pid);
  return cmdline !== null && cmdline.join('\0') === argv.join('\0');
}

/** Ends every daemon the ledger recorded that still runs (SIGTERM, SIGKILL after 1 s), by PID. */
export async function stopDaemons(lines: readonly LedgerLine[]): Promise<void> {
  const running = lines.flatMap((line) =>
    line.t === 'proc' && line.daemon && sameCommand(line.pid, line.argv) ? [line] : [],
  );
  for (const d of running) signalProcess(d.pid, 'SIGTERM');
  const deadline = Date.now() + 1000;
  while (running.some((d) => sameCommand(d.pid, d.argv)) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
  for (const d of running) if (sameCommand(d.pid, d.argv)) signalProcess(d.pid, 'SIGKILL');
}
