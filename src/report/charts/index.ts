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
  if (view.figure4) out.push(figure4Chart(view.figure4));
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
  return out;
}
