/**
 * A runtime job as one Slurm job step: `srun` starts every rank, in rank order on the nodes
 * the placement names (`--distribution=arbitrary` with SLURM_HOSTFILE: line i is rank i's
 * node), and each rank learns who it is from SLURM_PROCID and SLURM_NTASKS and where its vm
 * is from VMPATH_NODES (runtime/identity.ts). vmpath hosts the rendezvous itself. srun labels
 * each line with its task, which becomes the rank's `[rank] ` prefix; its own messages name
 * the task that failed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { slurmName } from '../cluster/launcher.js';
import { DIES_WITH_VMPATH } from '../sys/command.js';
import { lineSplitter } from '../sys/lines.js';
import type { CommandRunner, Started } from '../sys/runner.js';
import { findNode } from '../testbed/nodes.js';
import type { Topology } from '../topology/types.js';

export interface SrunJob {
  readonly topology: Topology | null;
  readonly id: string;
  readonly placement: readonly { readonly rank: number; readonly vm: string }[];
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly onLine: (line: string, stream: 'out' | 'err') => void;
}

/** Each task runs under this shell, which says on standard error how the rank ended as soon as
 * it has: srun itself reports its tasks' ends only as the step ends. */
export const TASK_SHELL = '"$@"; s=$?; echo "vmpath-task-exit $s" >&2; exit $s';

/** How long srun has to end its step after SIGTERM before it is killed. */
const GRACE_MS = 3000;

/** Where every rank of the job is (identity.ts withNodeTable): its vms, each with its address,
 * host, data path and rank count, and each rank's vm by index. Ranks of one Slurm node can be
 * in different vms (a native host's slots), so the rank, not the node, picks the entry. */
export function nodeTable(job: SrunJob): {
  vms: { name: string; address: string; host: string; datapath: string; ranks: number }[];
  rankVm: number[];
} {
  const vms: { name: string; address: string; host: string; datapath: string; ranks: number }[] =
    [];
  const index = new Map<string, number>();
  const rankVm = job.placement.map((p) => {
    let i = index.get(p.vm);
    if (i === undefined) {
      const node = job.topology ? findNode(job.topology, job.id, p.vm) : null;
      i = vms.length;
      index.set(p.vm, i);
      vms.push({
        name: p.vm,
        address: node?.address ?? '',
        host: node?.host ?? p.vm,
        datapath: node?.datapath ?? 'native',
        ranks: 0,
      });
    }
    (vms[i] as { ranks: number }).ranks += 1;
    return i;
  });
  return { vms, rankVm };
}

/** The Slurm node of each rank, in rank order (SLURM_HOSTFILE's lines). */
export function slurmHosts(job: SrunJob): string[] {
  return job.placement.map((p) =>
    job.topology ? slurmName(findNode(job.topology, job.id, p.vm)) : p.vm,
  );
}

/** srun's word on a task that did not end well, as the job's failure (the rank, its node). */
export function taskFailure(text: string): { rank: number; reason: string; code: number } | null {
  const m = /srun: error: (\S+): tasks? (\d+)[-\d,]*: (.*)/.exec(text);
  if (!m) return null;
  const code = /exit code (\d+)/.exec(m[3] as string);
  return {
    rank: Number(m[2]),
    reason: `rank ${m[2]} (on ${m[1]}) ${code ? `exited with code ${code[1]}` : (m[3] as string).toLowerCase()}`,
    code: code ? Number(code[1]) : 1,
  };
}

/** Starts the whole job as one srun. */
export function startSrunJob(
  runner: CommandRunner,
  job: SrunJob,
  setting: {
    size: number;
    token: string;
    rendezvous: string;
    hostfileDir: string;
    /** Called as soon as a task ends badly, with the rank, why and its exit code. */
    onTaskFailed?: (failure: { rank: number; reason: string; code: number }) => void;
  },
): {
  what: string;
  rank: Started;
  ended: Promise<{ reason: string; code: number; graceMs?: number; quiet?: boolean } | null>;
} {
  const hostfile = join(setting.hostfileDir, 'slurm-hostfile');
  writeFileSync(
    hostfile,
    slurmHosts(job)
      .map((h) => `${h}\n`)
      .join(''),
  );
  let said = '';
  const outLine = labeller('out', job.onLine);
  const errLine = labeller('err', taskExits(job, setting.onTaskFailed));
  const out = lineSplitter(outLine);
  const err = lineSplitter((line) => {
    if (/^srun: error: /.test(line)) said += `${line}\n`;
    errLine(line);
  });
  const srun = runner.start(
    {
      argv: srunArgv(job),
      description: `${job.placement.length} ranks under srun`,
    },
    {
      env: {
        VMPATH_SIZE: String(setting.size),
        VMPATH_TOKEN: setting.token,
        VMPATH_RENDEZVOUS: setting.rendezvous,
        VMPATH_RENDEZVOUS_HOSTED: '1',
        VMPATH_NODES: JSON.stringify(nodeTable(job)),
        SLURM_HOSTFILE: hostfile,
        ...job.env,
      },
      onStdout: (chunk) => out.push(chunk),
      onStderr: (chunk) => err.push(chunk),
      collect: false,
    },
  );
  const ended = srun.done.then((result) => {
    out.end();
    err.end();
    if (result.exitCode === 0) return null;
    return (
      taskFailure(said) ?? {
        reason: `srun ${result.exitCode === null ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`}`,
        code: result.exitCode ?? 1,
      }
    );
  });
  return { what: 'srun', rank: endingGently(srun), ended };
}

/** srun for every rank of `job`, each under TASK_SHELL. */
function srunArgv(job: SrunJob): string[] {
  return [
    ...DIES_WITH_VMPATH,
    'srun',
    `--ntasks=${job.placement.length}`,
    '--distribution=arbitrary',
    '--overlap',
    '--export=ALL',
    '--input=none',
    '--label',
    '--kill-on-bad-exit=0',
    'sh',
    '-c',
    TASK_SHELL,
    'vmpath-task',
    ...job.argv,
  ];
}

/** The ranks' standard error lines, but a task's own word on its end (TASK_SHELL), which is
 * the rank's exit and not shown. */
function taskExits(
  job: SrunJob,
  onTaskFailed: ((failure: { rank: number; reason: string; code: number }) => void) | undefined,
): SrunJob['onLine'] {
  return (line, stream) => {
    const exit = /^\[(\d+)\] vmpath-task-exit (\d+)$/.exec(line);
    if (!exit) return job.onLine(line, stream);
    const rank = Number(exit[1]);
    const code = Number(exit[2]);
    const vm = job.placement[rank]?.vm ?? '?';
    if (code !== 0)
      onTaskFailed?.({
        rank,
        reason: `rank ${rank} (on ${vm}) ${code > 128 ? `was killed by signal ${code - 128}` : `exited with code ${code}`}`,
        code: code > 128 ? 1 : code,
      });
  };
}

/** srun as a Started that ends gently: srun ends its step's tasks when told to (SIGTERM);
 * killed at once, it could not, so SIGKILL comes GRACE_MS after. */
function endingGently(srun: Started): Started {
  let stopping = false;
  return {
    pid: srun.pid,
    done: srun.done,
    kill(signal = 'SIGTERM') {
      if (stopping) return;
      stopping = true;
      srun.kill('SIGTERM');
      if (signal === 'SIGKILL') setTimeout(() => srun.kill('SIGKILL'), GRACE_MS).unref();
    },
  };
}

/** srun forwards a task's output in pieces of at most this many bytes, each labelled and
 * ended as a line: a piece of exactly this size is continued by the task's next one. */
export const SRUN_PIECE_BYTES = 1024;

/** `N: text` (srun --label) as `[N] text`, a long line's pieces joined again; srun's own lines
 * as they are. */
export function labeller(stream: 'out' | 'err', onLine: SrunJob['onLine']): (line: string) => void {
  const pending = new Map<string, string>();
  return (line) => {
    const m = /^\s*(\d+): (.*)$/.exec(line);
    if (!m) return onLine(line, stream);
    const [, task, piece] = m as unknown as [string, string, string];
    const text = (pending.get(task) ?? '') + piece;
    if (Buffer.byteLength(piece) === SRUN_PIECE_BYTES) pending.set(task, text);
    else {
      pending.delete(task);
      onLine(`[${task}] ${text}`, stream);
    }
  };
}
