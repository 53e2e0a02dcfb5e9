/** The communication matrix of one run, as the runtime counted it. Pure. */
import { doneRuns, type TypedRun } from '../records.js';

export interface MatrixCell {
  readonly from: number;
  readonly to: number;
  readonly bytes: number;
  readonly messages: number;
  readonly transport: string;
}

export interface MatrixView {
  readonly run: string;
  readonly ranks: number;
  readonly cells: readonly MatrixCell[];
}

/** The matrix of the run with most ranks (hybrid on iov preferred: the study's mixed case). */
export function matrixView(runs: readonly TypedRun[], missing: string[]): MatrixView | null {
  const candidates = doneRuns(runs, 'advect').filter((r) => (r.samples?.matrix?.length ?? 0) > 0);
  const score = (r: (typeof candidates)[number]) =>
    r.params.ranks * 4 +
    (r.params.placement === 'hybrid' ? 2 : 0) +
    (r.params.datapath === 'iov' ? 1 : 0);
  const best = [...candidates].sort((a, b) => score(b) - score(a) || a.id - b.id)[0];
  if (!best) {
    missing.push('Communication matrix: no advect run with a stored matrix (engine vmpath)');
    return null;
  }
  const cells = (best.samples?.matrix ?? [])
    .filter((c) => c.bytes > 0 || c.messages > 0)
    .map(({ from, to, bytes, messages, transport }) => ({ from, to, bytes, messages, transport }));
  return { run: best.key, ranks: best.params.ranks, cells };
}
