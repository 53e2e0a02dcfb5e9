/** The study's Figures 2, 3 and 4 as Vega-Lite specifications. Pure. */
import { type Figure2, type Figure3, type Figure4, PARTS } from '../views/index.js';
import {
  type Chart,
  CONFIG,
  datapathColors,
  type Layers,
  runsText,
  SPREAD_NOTE,
} from './common.js';

export function figure2Chart(f: Figure2): Chart {
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

export function figure3Chart(f: Figure3): Chart {
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

/** Figure 4's least-squares line and, when the data show one, the crossover marked. */
function fitLayers(f: Figure4, x: object, lo: number, hi: number): Layers {
  const layers: Layers = [];
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
  return layers;
}

/** The study's Figure 4 as its text gives it: about 2x with every message across hosts, at
 * least 1.4x from half of them. */
const PAPER_FIGURE4 = [
  { share: 100, speedup: 2, label: 'paper: about 2x inter-node' },
  { share: 50, speedup: 1.4, label: 'paper: at least 1.4x from 50%' },
];

/** The study's Figure 4 figures: a dotted 1.4x from 50% up, and its two points. */
function paperLayers(x: { field: string; type: 'quantitative' }): Layers {
  return [
    {
      data: { values: [{ x: 50, x2: 100, y: 1.4 }] },
      mark: { type: 'rule', color: '#b07aa1', strokeDash: [2, 2] },
      encoding: {
        x: { ...x, field: 'x' },
        x2: { field: 'x2' },
        y: { field: 'y', type: 'quantitative' },
      },
    },
    {
      data: { values: PAPER_FIGURE4 },
      mark: { type: 'point', shape: 'cross', size: 90, color: '#b07aa1' },
      encoding: {
        x: { ...x },
        y: { field: 'speedup', type: 'quantitative' },
        tooltip: { field: 'label', type: 'nominal' },
      },
    },
  ];
}

/** Figure 4; `paper` draws the study's figures beside ours (for the advection app only). */
export function figure4Chart(f: Figure4, paper = false): Chart {
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
  const layers: Layers = [
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
  layers.push(...fitLayers(f, x, lo, hi));
  if (paper) layers.push(...paperLayers(x));
  return {
    id: 'figure-4',
    title: 'Figure 4: speedup of iov over bridged against the share of inter-host messages',
    caption: `One point per (placement, decomposition) at ${f.points[0]?.ranks ?? '?'} ranks; ${SPREAD_NOTE} (slowest bridged over fastest iov, and the reverse); the grey line is a least-squares fit${f.crossover === null ? '; the data show no crossover' : `, crossing 1 at ${(f.crossover * 100).toFixed(0)}% (marked)`}${paper ? "; the purple crosses and dotted line are the study's figures (about 2x inter-node, at least 1.4x from 50%)" : ''}. ${runsText(f.runs)}.`,
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
