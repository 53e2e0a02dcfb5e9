/**
 * Vega-Lite specifications of the report's figures, from the view models. Pure.
 *
 * Every chart names its main layer `main` (Vega draws it as the group `main_marks`), and says
 * how many marks it must draw: the browser test counts them. Spread is drawn as a rule from
 * the minimum to the maximum over repeats; captions say how many runs a chart rests on.
 */
import type { TopLevelSpec } from 'vega-lite';
import { DATAPATH_RECORDS } from '../testbed/datapaths/index.js';
import type { Datapath } from '../topology/types.js';
import {
  type Figure2,
  type Figure3,
  type Figure4,
  type MatrixView,
  type OsuCurvesView,
  PARTS,
  type ReportView,
} from './views/index.js';

export interface Chart {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
  /** How many items the `main` layer draws. */
  readonly marks: number;
}

const FONT = 'system-ui, sans-serif';
const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#ddd' },
};
/** One colour per data path, the same in every chart, for the data paths present. */
function datapathColors(present: Iterable<string>) {
  const domain = [...new Set(present)];
  return { domain, range: domain.map((d) => DATAPATH_RECORDS[d as Datapath]?.colour ?? '#999') };
}
const runsText = (n: number) => `${n} run${n === 1 ? '' : 's'}`;
const SPREAD_NOTE = 'whiskers span the minimum to the maximum over repeats';

function figure2Chart(f: Figure2): Chart {
  const values = f.bars.map((b) => ({
    placement: b.placement,
    decomp: b.decomp,
    datapath: b.datapath,
    seconds: b.wall.mean,
    min: b.wall.min,
    max: b.wall.max,
    n: b.wall.n,
  }));
  const x = { field: 'datapath', type: 'nominal', title: null, sort: null } as const;
  return {
    id: 'figure-2',
    title: `Figure 2: execution time per data path (${f.ranks} ranks, ${f.problem})`,
    caption: `Bars: mean wall time per placement (rows) and decomposition (columns); ${SPREAD_NOTE}. ${runsText(f.runs)}.`,
    marks: values.length,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      data: { values },
      facet: {
        row: {
          field: 'placement',
          type: 'nominal',
          title: 'placement',
          sort: [...new Set(values.map((v) => v.placement))],
        },
        column: { field: 'decomp', type: 'nominal', title: 'decomposition' },
      },
      spec: {
        width: 150,
        height: 120,
        layer: [
          {
            name: 'main',
            mark: 'bar',
            encoding: {
              x,
              y: { field: 'seconds', type: 'quantitative', title: 'wall time (s)' },
              color: {
                field: 'datapath',
                type: 'nominal',
                scale: datapathColors(values.map((v) => v.datapath)),
                legend: null,
              },
            },
          },
          {
            mark: { type: 'rule', color: '#333' },
            encoding: {
              x,
              y: { field: 'min', type: 'quantitative' },
              y2: { field: 'max' },
            },
          },
        ],
      },
    },
  };
}

function figure3Chart(f: Figure3): Chart {
  const values = [
    ...f.bars.map((b) => ({ kind: 'part', stack: PARTS.indexOf(b.part), ...b })),
    ...f.totals.map((t) => ({
      kind: 'total',
      datapath: t.datapath,
      ranks: t.ranks,
      min: t.total.min,
      max: t.total.max,
    })),
  ];
  const x = { field: 'ranks', type: 'ordinal', title: 'ranks' } as const;
  return {
    id: 'figure-3',
    title: `Figure 3: computation and communication against rank count (${f.placement}, ${f.decomp}, ${f.problem})`,
    caption: `Stacked mean seconds per rank: computation, packing of faces, communication (waiting included); ${SPREAD_NOTE} of the total. ${runsText(f.runs)}.`,
    marks: f.bars.length,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      data: { values },
      facet: {
        column: {
          field: 'datapath',
          type: 'nominal',
          title: 'data path',
          sort: [...new Set(f.bars.map((b) => b.datapath))],
        },
      },
      spec: {
        width: 180,
        height: 180,
        layer: [
          {
            name: 'main',
            transform: [{ filter: "datum.kind === 'part'" }],
            mark: 'bar',
            encoding: {
              x,
              y: { field: 'seconds', type: 'quantitative', stack: 'zero', title: 'seconds' },
              color: {
                field: 'part',
                type: 'nominal',
                sort: ['computation', 'packing', 'communication'],
                scale: {
                  domain: ['computation', 'packing', 'communication'],
                  range: ['#4c78a8', '#f58518', '#e45756'],
                },
              },
              order: { field: 'stack', sort: 'ascending' },
            },
          },
          {
            transform: [{ filter: "datum.kind === 'total'" }],
            mark: { type: 'rule', color: '#333' },
            encoding: { x, y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } },
          },
        ],
      },
    },
  };
}

function figure4Chart(f: Figure4): Chart {
  const points = f.points.map((p) => ({
    share: p.share * 100,
    speedup: p.speedup,
    low: p.low,
    high: p.high,
    placement: p.placement,
    decomp: p.decomp,
    label: `${p.placement} ${p.decomp}`,
  }));
  const shares = points.map((p) => p.share);
  const lo = Math.min(0, ...shares);
  const hi = Math.max(100, ...shares);
  const x = {
    field: 'share',
    type: 'quantitative' as const,
    title: 'messages crossing hosts (%)',
    scale: { domain: [lo, hi] },
  };
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    {
      data: { values: [{ y: 1 }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    },
    {
      data: { values: points },
      mark: { type: 'rule', color: '#333' },
      encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
    },
    {
      name: 'main',
      data: { values: points },
      mark: { type: 'point', filled: true, size: 70 },
      encoding: {
        x,
        y: {
          field: 'speedup',
          type: 'quantitative',
          title: 'speedup (bridged time / iov time)',
          scale: { zero: false },
        },
        color: { field: 'placement', type: 'nominal' },
        shape: { field: 'decomp', type: 'nominal', title: 'decomposition' },
      },
    },
  ];
  if (f.fit) {
    const line = [lo, hi].map((s) => ({
      share: s,
      speedup: (f.fit?.intercept ?? 0) + ((f.fit?.slope ?? 0) * s) / 100,
    }));
    layers.push({
      data: { values: line },
      mark: { type: 'line', color: '#999', strokeWidth: 1 },
      encoding: { x, y: { field: 'speedup', type: 'quantitative' } },
    });
  }
  if (f.crossover !== null) {
    const c = [
      { share: f.crossover * 100, text: `bridged wins below ${(f.crossover * 100).toFixed(0)}%` },
    ];
    layers.push(
      {
        data: { values: c },
        mark: { type: 'rule', color: '#e45756', strokeDash: [2, 2] },
        encoding: { x },
      },
      {
        data: { values: c },
        mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#e45756', y: 0 },
        encoding: { x, text: { field: 'text' } },
      },
    );
  }
  return {
    id: 'figure-4',
    title: 'Figure 4: speedup of iov over bridged against the share of inter-host messages',
    caption: `One point per (placement, decomposition) at ${f.points[0]?.ranks ?? '?'} ranks; ${SPREAD_NOTE} (slowest bridged over fastest iov, and the reverse); the grey line is a least-squares fit${f.crossover === null ? '; the data show no crossover' : `, crossing 1 at ${(f.crossover * 100).toFixed(0)}% (marked)`}. ${runsText(f.runs)}.`,
    marks: points.length,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      width: 420,
      height: 260,
      layer: layers,
    },
  };
}

function curveChart(
  id: string,
  title: string,
  unit: string,
  points: OsuCurvesView['latency'],
  runs: number,
): Chart {
  const values = points.map((p) => ({
    datapath: p.datapath,
    engine: p.engine,
    series: `${p.datapath} ${p.engine}`,
    bytes: p.bytes,
    value: p.value.mean,
    min: p.value.min,
    max: p.value.max,
  }));
  const x = {
    field: 'bytes',
    type: 'quantitative',
    scale: { type: 'log', base: 2 },
    title: 'message size (bytes)',
  } as const;
  const y = {
    field: 'value',
    type: 'quantitative',
    scale: { type: 'log' },
    title: unit,
  } as const;
  const color = {
    field: 'datapath',
    type: 'nominal',
    scale: datapathColors(values.map((v) => v.datapath)),
    title: 'data path',
  } as const;
  return {
    id,
    title,
    caption: `Solid: the vmpath runtime; dashed: Open MPI (TCP BTL) when measured. Points are means over repeats; ${SPREAD_NOTE}. ${runsText(runs)}.`,
    marks: values.length,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      width: 420,
      height: 240,
      data: { values },
      layer: [
        {
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x,
            y,
            color,
            detail: { field: 'series', type: 'nominal' },
            strokeDash: {
              field: 'engine',
              type: 'nominal',
              scale: {
                domain: ['vmpath', 'openmpi'],
                range: [
                  [1, 0],
                  [5, 3],
                ],
              },
              title: 'engine',
            },
          },
        },
        {
          mark: { type: 'rule' },
          encoding: {
            x,
            y: { field: 'min', type: 'quantitative', scale: { type: 'log' } },
            y2: { field: 'max' },
            color,
          },
        },
        {
          name: 'main',
          mark: { type: 'point', filled: true, size: 18 },
          encoding: { x, y, color, shape: { field: 'engine', type: 'nominal', title: 'engine' } },
        },
      ],
    },
  };
}

function matrixChart(m: MatrixView): Chart {
  const ranks = Array.from({ length: m.ranks }, (_, i) => i);
  const values = m.cells.map((c) => ({ ...c, mib: c.bytes / (1024 * 1024) }));
  return {
    id: 'matrix',
    title: `Communication matrix of ${m.run}`,
    caption: `Bytes sent from each rank (rows) to each rank (columns) over the whole run, as the runtime counted them; empty cells: no traffic. 1 run.`,
    marks: values.length,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CONFIG,
      width: Math.min(480, 20 * m.ranks + 40),
      height: Math.min(480, 20 * m.ranks + 40),
      data: { values },
      layer: [
        {
          name: 'main',
          mark: 'rect',
          encoding: {
            x: { field: 'to', type: 'ordinal', title: 'to rank', scale: { domain: ranks } },
            y: { field: 'from', type: 'ordinal', title: 'from rank', scale: { domain: ranks } },
            color: {
              field: 'mib',
              type: 'quantitative',
              title: 'MiB',
              scale: { scheme: 'blues' },
            },
          },
        },
      ],
    },
  };
}

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
