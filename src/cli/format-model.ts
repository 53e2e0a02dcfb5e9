/**
 * Text renderings of the model's commands: a calibration (vmpath calibrate), a prediction
 * (predict), the advisor's ranking (advise), a simulated cluster (simulate), and the
 * validation of predictions against measured runs, the errors and the advisor's regret
 * (`vmpath advise --validate`, bench model-accuracy).
 */
import type { Triple } from '../apps/advect/params.js';
import { median } from '../bench/stats.js';
import { type Checked, regret, sameDeployments } from '../experiment/validate.js';
import type { Advice } from '../model/advise.js';
import { type Calibration, costSummary } from '../model/calibration.js';
import { MODEL_PARTS } from '../model/parts.js';
import type { Prediction } from '../model/predict.js';
import type { Topology } from '../topology/types.js';
import { formatTable } from './table.js';

export const ms = (s: number) => (s * 1000).toFixed(1);

/** The validated cases as a table, their errors and the advisor's regret. With `anchor` (the
 * deployment whose reference run gave a program's computation), the errors of that deployment
 * are left out of the statistics: its prediction was made from its own run. */
export function formatValidation(checked: readonly Checked[], anchor?: string): string {
  const r = regret(checked);
  const alike = sameDeployments(checked);
  const counted = checked.filter((c) => c.deployment !== anchor);
  const errors = (counted.length > 0 ? counted : checked).map((c) => Math.abs(c.error));
  return [
    formatTable(
      ['data path', 'placement', 'predicted ms', 'measured ms', 'min-max ms', 'error %'],
      checked.map((c) => [
        c.datapath,
        c.placement,
        ms(c.prediction.wallS),
        ms(c.measuredS),
        `${ms(c.minS)}-${ms(c.maxS)}`,
        (c.error * 100).toFixed(1),
      ]),
    ),
    `median absolute error ${(median(errors) * 100).toFixed(1)}%, worst ${(Math.max(...errors) * 100).toFixed(1)}% (${checked[0]?.runs ?? 0} runs each, medians${anchor !== undefined && counted.length < checked.length ? '; the reference deployment left out' : ''})`,
    ...(alike.length > 0
      ? [
          `one deployment under two names (runs pooled for the regret): ${alike.map((g) => g.map((c) => `${c.datapath} ${c.placement}`).join(' = ')).join('; ')}`,
        ]
      : []),
    `advisor's pick ${r.pick.datapath} ${r.pick.placement}: measured ${ms(r.pickS)} ms; best measured ${r.best.datapath} ${r.best.placement}: ${ms(r.bestS)} ms; regret ${(r.regret * 100).toFixed(1)}%`,
  ].join('\n');
}

const PREDICTION_HEADER = ['wall ms', 'compute ms', 'pack ms', 'comm ms'];

function predictionRow(p: Prediction): string[] {
  return [ms(p.wallS), ms(p.computeS), ms(p.packS), ms(p.commS)];
}

interface AppShape {
  readonly grid: Triple;
  readonly steps: number;
  readonly decomp: Triple;
}

/** `vmpath predict`: the configuration, its predicted times and its messages per class. */
export function formatPrediction(
  asked: { placement: string; app: AppShape },
  topology: Topology,
  calibration: Calibration,
  p: Prediction,
  parts: boolean,
): string {
  const { app } = asked;
  const messages = Object.entries(p.byClass)
    .map(([c, t]) => `${c} ${t.messages}`)
    .join(', ');
  const stretch =
    p.cpuStretch > 1
      ? `; computation stretched ${p.cpuStretch.toFixed(1)}x (ranks share ${calibration.machine.cores} cores)`
      : '';
  return [
    `advect ${app.grid.join('x')} x ${app.steps} steps, ${app.decomp.join('x')}, ${asked.placement} on ${topology.name} (${calibration.datapath}):`,
    formatTable(PREDICTION_HEADER, [predictionRow(p)]),
    `messages: ${messages}${stretch}`,
    ...(parts ? ['', ...MODEL_PARTS.map((m) => `${m.name}: ${m.description} [${m.source}]`)] : []),
  ].join('\n');
}

/** `vmpath advise`: the candidates ranked, the explanation, what was pooled. */
export function formatAdvice(advice: Advice, engine = 'vmpath'): string {
  return [
    `Figures for the ${engine === 'openmpi' ? 'Open MPI engine (its measured classes)' : 'vmpath runtime'}:`,
    formatTable(
      ['#', 'data path', 'placement', ...PREDICTION_HEADER, 'inter-host msgs'],
      advice.ranked.map((c, i) => [
        String(i + 1),
        c.datapath,
        c.placement,
        ...predictionRow(c.prediction),
        String(c.prediction.byClass['inter-host'].messages),
      ]),
    ),
    '',
    advice.explanation,
    ...(advice.pooled.length > 0
      ? [`Measured in common (calibrations pooled): ${advice.pooled.join('; ')}.`]
      : []),
  ].join('\n');
}

/** `vmpath simulate`: the cluster, each placement's predicted times, how long it took. */
export function formatSimulation(
  { calibration, source }: { calibration: Calibration; source: string },
  cluster: { hosts: number; vmsPerHost: number; slots: number },
  app: AppShape,
  rows: readonly { placement: string; prediction: Prediction }[],
  seconds: number,
): string {
  const { hosts, vmsPerHost, slots } = cluster;
  return [
    `${hosts} hosts x ${vmsPerHost} vms x ${slots} slots = ${hosts * vmsPerHost * slots} ranks, advect ${app.grid.join('x')} x ${app.steps} steps as ${app.decomp.join('x')}, ${calibration.datapath} (from ${source}, measured on ${calibration.topology.name}):`,
    formatTable(
      ['placement', ...PREDICTION_HEADER, 'inter-host msgs/step'],
      rows.map((r) => [
        r.placement,
        ...predictionRow(r.prediction),
        String(r.prediction.byClass['inter-host'].messages / app.steps),
      ]),
    ),
    `evaluated in ${seconds.toFixed(2)} s`,
  ].join('\n');
}

/** What calibrate prints of one calibration: its classes' fits, sharing, kernel and runtime. */
export function formatCalibration(calibration: Calibration, id: string, out: string): string {
  const rows = Object.entries(calibration.classes).map(([c, m]) => [
    c,
    m.latency.segments
      .map(
        (s) =>
          `${s.fromBytes}:${(s.a * 1e6).toFixed(1)}us+${s.g > 0 ? (1 / s.g / 2 ** 20).toFixed(0) : 'inf '}MiB/s`,
      )
      .join(' '),
    (m.latency.error * 100).toFixed(1),
    (m.stream.segments[0]?.a ?? 0) * 1e6 > 0
      ? ((m.stream.segments[0]?.a ?? 0) * 1e6).toFixed(1)
      : '0',
    (m.stream.error * 100).toFixed(1),
  ]);
  const { sharing } = calibration;
  return [
    `vmpath calibrate: ${id} (${calibration.topology.name}, ${calibration.datapath}) -> ${out}`,
    formatTable(
      ['class', 'one-way segments (from bytes: a + rate)', 'fit err %', 'o us', 'stream err %'],
      rows,
    ),
    `sharing: one stream ${(sharing.singleFlowBytesPerS / 2 ** 20).toFixed(0)} MiB/s, ${sharing.pairs} concurrent ${(sharing.aggregateBytesPerS / 2 ** 20).toFixed(0)} MiB/s; ${costSummary(calibration)}`,
  ].join('\n');
}
