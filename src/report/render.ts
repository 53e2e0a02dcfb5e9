/**
 * Vega-Lite specification -> inline SVG, at build time on Node: compiled by vega-lite, laid
 * out by a headless Vega view (renderer none: no canvas, no DOM), serialised by Vega's SVG
 * string renderer, which escapes the text it draws. No data is loaded from anywhere: every
 * chart's data are inline values. Vega and Vega-Lite are loaded on the first chart, not when
 * the CLI starts (they are a third of its start-up otherwise).
 */
import type { TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [{ parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
