/**
 * The report: stored runs -> view models -> Vega-Lite charts rendered to SVG -> one HTML page.
 */
import { charts } from './charts/index.js';
import { type RenderedChart, reportHtml } from './html.js';
import { renderSvg } from './render.js';
import { type ReportInput, type ReportView, reportView } from './views/index.js';

export interface Report {
  readonly html: string;
  readonly view: ReportView;
  readonly charts: readonly RenderedChart[];
}

export async function makeReport(input: ReportInput): Promise<Report> {
  const view = reportView(input);
  const rendered: RenderedChart[] = [];
  for (const chart of charts(view)) rendered.push({ ...chart, svg: await renderSvg(chart.spec) });
  return { html: reportHtml(view, rendered), view, charts: rendered };
}
