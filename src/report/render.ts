/**
 * Vega-Lite specification -> inline SVG, at build time on Node: compiled by vega-lite, laid
 * out by a headless Vega view (renderer none: no canvas, no DOM), serialised by Vega's SVG
 * string renderer, which escapes the text it draws. No data is loaded from anywhere: every
 * chart's data are inline values.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
