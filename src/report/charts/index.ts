/** The report's charts, in its order (charts/common.ts says how every chart is built). Pure. */
import type { ReportView } from '../views/index.js';
import type { Chart } from './common.js';
import { curveChart, matrixChart } from './curves.js';
import { figure2Chart, figure3Chart, figure4Chart } from './figures.js';

export type { Chart } from './common.js';

/** Every chart the view has data for, in the report's order. */
export function charts(view: ReportView): Chart[] {
  const out: Chart[] = [];
  if (view.figure2) out.push(figure2Chart(view.figure2));
  if (view.figure3) out.push(figure3Chart(view.figure3));
  if (view.figure4) out.push(figure4Chart(view.figure4, true));
  if (view.osu) {
    out.push(
      curveChart(
        'osu-latency',
        'Latency across hosts (OSU ping-pong, half round trip)',
        'microseconds',
        view.osu.latency,
        view.osu.runs,
      ),
      curveChart(
        'osu-bw',
        'Bandwidth across hosts (OSU window of 64 messages)',
        'MiB/s',
        view.osu.bw,
        view.osu.runs,
      ),
    );
  }
  if (view.matrix) out.push(matrixChart(view.matrix));
  for (const [i, p] of view.programs.entries()) {
    const what = `${p.program}, ${p.ranks} ranks (${p.time === 'program' ? "the program's own time" : "mpirun's wall time"})`;
    if (p.figure2)
      out.push({
        ...figure2Chart(p.figure2),
        id: `program-${i + 1}-time`,
        title: `${what}: time per data path and placement`,
      });
    if (p.figure4)
      out.push({
        ...figure4Chart(p.figure4),
        id: `program-${i + 1}-speedup`,
        title: `${what}: speedup of iov over bridged against its measured inter-host messages`,
      });
  }
  return out;
}
