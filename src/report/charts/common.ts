/**
 * Vega-Lite specifications of the report's figures, from the view models. Pure.
 *
 * Every chart names its main layer `main` (Vega draws it as the group `main_marks`), and says
 * how many marks it must draw: the browser test counts them. Spread is drawn as a rule from
 * the minimum to the maximum over repeats; captions say how many runs a chart rests on.
 */
import type { TopLevelSpec } from 'vega-lite';
import { DATAPATH_RECORDS } from '../../testbed/datapaths/index.js';
import type { Datapath } from '../../topology/types.js';

export interface Chart {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
  /** How many items the `main` layer draws. */
  readonly marks: number;
}

const FONT = 'system-ui, sans-serif';
export const CONFIG = {
  font: FONT,
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#ddd' },
};
/** One colour per data path, the same in every chart, for the data paths present. */
export function datapathColors(present: Iterable<string>) {
  const domain = [...new Set(present)];
  return { domain, range: domain.map((d) => DATAPATH_RECORDS[d as Datapath]?.colour ?? '#999') };
}
export const runsText = (n: number) => `${n} run${n === 1 ? '' : 's'}`;
export const SPREAD_NOTE = 'whiskers span the minimum to the maximum over repeats';

/** The layers of a layered chart. */
export type Layers = NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']>;
