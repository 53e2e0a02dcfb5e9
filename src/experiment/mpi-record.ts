/**
 * An MPI program's runs as results-database records (kind `mpi`, report/records.ts): one per
 * repeat, each with the placement, the tails of its ranks' output and, when profiled, its own
 * matrix, so that a reader can classify its messages without trusting another run's. Pure.
 */
import { basename } from 'node:path';
import type { ParamsOf, SummaryOf } from '../report/records.js';
import type { Datapath } from '../topology/types.js';
import type { MpiOutcome, MpiRepeat } from './mpi-run.js';

export interface MpiRecord {
  readonly params: ParamsOf<'mpi'>;
  readonly summary: SummaryOf<'mpi'>;
  readonly samples: {
    ranks: { rank: number; host: string; vm: string; machine: string }[];
    tails: { rank: number; lines: string[] }[];
    matrix: { from: number; to: number; messages: number; bytes: number }[] | null;
  };
}

/** The name a program's runs are grouped by: its file's name. */
export function programName(program: string): string {
  return basename(program);
}

export function summaryOfRepeat(outcome: MpiOutcome, repeat: MpiRepeat): SummaryOf<'mpi'> {
  return {
    wallS: repeat.wallS,
    programS: repeat.programS,
    machines: outcome.plan.machines.length,
    classes: repeat.classes
      ? {
          'intra-vm': { ...repeat.classes.byClass['intra-vm'] },
          'inter-vm': { ...repeat.classes.byClass['inter-vm'] },
          'inter-host': { ...repeat.classes.byClass['inter-host'] },
        }
      : null,
    interHostMessageShare: repeat.classes?.interHostMessageShare ?? null,
    interHostByteShare: repeat.classes?.interHostByteShare ?? null,
  };
}

/** What a record keeps of one repeat beside its summary: where each rank ran, the tails of
 * their output, and the run's own matrix (when profiled). */
export function samplesOfRepeat(outcome: MpiOutcome, repeat: MpiRepeat): MpiRecord['samples'] {
  return {
    ranks: outcome.plan.ranks.map(({ rank, host, vm, machine }) => ({ rank, host, vm, machine })),
    tails: repeat.tails.map((t) => ({ rank: t.rank, lines: [...t.lines] })),
    matrix: repeat.matrix ? repeat.matrix.matrix.map((t) => ({ ...t })) : null,
  };
}

/** The records of an outcome: one per repeat, numbered from `firstRepeat`. */
export function mpiRecords(
  outcome: MpiOutcome,
  job: {
    datapath: Datapath;
    command: readonly string[];
    placement: string;
    profile: boolean;
  },
  firstRepeat = 0,
): MpiRecord[] {
  return outcome.repeats.map((repeat, i) => ({
    params: {
      kind: 'mpi',
      datapath: job.datapath,
      name: programName(job.command[0] ?? ''),
      command: [...job.command],
      ranks: outcome.plan.ranks.length,
      placement: job.placement,
      profile: job.profile,
      repeat: firstRepeat + i,
    },
    summary: summaryOfRepeat(outcome, repeat),
    samples: samplesOfRepeat(outcome, repeat),
  }));
}
