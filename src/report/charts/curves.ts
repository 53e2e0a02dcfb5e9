/** The OSU latency and bandwidth curves and the communication matrix as Vega-Lite
 * specifications. Pure. */
import type { MatrixView, OsuCurvesView } from '../views/index.js';
import {
  type Chart,
  CONFIG,
  datapathColors,
  type Layers,
  runsText,
  SPREAD_NOTE,
} from './common.js';

/** The curves' layers: a line per (data path, engine), the spread, the points. */
function curveLayers(x: object, y: object, color: object): Layers {
  return [
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
  ];
}

export function curveChart(
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
      layer: curveLayers(x, y, color),
    },
  };
}

export function matrixChart(m: MatrixView): Chart {
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
