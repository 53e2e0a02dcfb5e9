/**
 * The report as one self-contained HTML file: inline CSS, charts as inline SVG, no script, no
 * external reference of any kind. Every text taken from the database goes through escapeHtml.
 * Pure.
 */

import type { Chart } from './charts/index.js';
import type { Claim } from './views/claims.js';
import type { BenchTable, ReportView, Spread } from './views/index.js';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** A chart rendered to SVG. */
export interface RenderedChart extends Chart {
  readonly svg: string;
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 0.6rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.55rem; text-align: right; vertical-align: top; }
th { background: #f5f5f5; }
td.l, th.l { text-align: left; }
.spread { color: #777; font-size: 0.85em; }
figure { margin: 1.2rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; max-width: 60rem; }
.missing { background: #fff8e1; border: 1px solid #f0d48a; padding: 0.6rem 1rem; }
pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; font-size: 0.85em; }
`;

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function spreadCell(s: Spread, digits = 1): string {
  if (s.n === 0) return '-';
  const range =
    s.n > 1 ? ` <span class="spread">${fmt(s.min, digits)}-${fmt(s.max, digits)}</span>` : '';
  return `${fmt(s.mean, digits)}${range}`;
}

function benchTableHtml(t: BenchTable): string {
  const width = Math.max(...t.rows.map((r) => r.nodes.length));
  const head = [
    '<th class="l">data path</th>',
    ...Array.from({ length: width }, (_, i) => `<th>pair ${i + 1}</th>`),
    `<th>total (${escapeHtml(t.unit)})</th>`,
    ...(t.test === 'stream'
      ? ['<th>% of NATIVE</th>', '<th>% of link</th>', '<th>paper total (MiB/s)</th>']
      : []),
    '<th>runs</th>',
  ].join('');
  const body = t.rows
    .map((r) => {
      const cells = [
        `<td class="l">${escapeHtml(r.datapath.toUpperCase())}</td>`,
        ...Array.from({ length: width }, (_, i) => {
          const node = r.nodes[i];
          return node
            ? `<td title="${escapeHtml(`${node.from} -> ${node.to}`)}">${spreadCell(node.value)}<br><span class="spread">${escapeHtml(node.from)}&rarr;${escapeHtml(node.to)}</span></td>`
            : '<td></td>';
        }),
        `<td><b>${spreadCell(r.total)}</b></td>`,
        ...(t.test === 'stream'
          ? [
              `<td>${r.ofNative === null ? '-' : fmt(r.ofNative)}</td>`,
              `<td>${r.ofLink === null ? 'unshaped' : fmt(r.ofLink)}</td>`,
              `<td>${r.paper === null ? '-' : fmt(r.paper, 2)}</td>`,
            ]
          : []),
        `<td>${r.total.n}</td>`,
      ];
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<section class="table" id="${t.test}-${t.tool}">
<h3>${escapeHtml(t.title)}</h3>
<table><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>
<p class="meta">Mean over repeats with min-max in grey when there are several; the vm rows are the concurrent vm pairs between the hosts, as in the study; the NATIVE row the same number of concurrent streams host to host. ${t.runs} run${t.runs === 1 ? '' : 's'}.</p>
</section>`;
}

function claimsHtml(claims: readonly Claim[]): string {
  const rows = claims
    .map(
      (c) =>
        `<tr class="verdict-${c.verdict.replace(' ', '-')}"><td>${c.id}</td><td class="l">${escapeHtml(c.claim)}</td><td class="l">${escapeHtml(c.paper)}</td><td class="l">${escapeHtml(c.ours)}</td><td class="l"><b>${escapeHtml(c.verdict)}</b><br><span class="spread">${escapeHtml(c.why)}</span></td></tr>`,
    )
    .join('\n');
  return `<section id="findings"><h2>Findings: the study's claims</h2>
<table><thead><tr><th>#</th><th class="l">claim</th><th class="l">paper</th><th class="l">ours: mean [95% interval] (repeats)</th><th class="l">verdict</th></tr></thead><tbody>
${rows}
</tbody></table>
<p class="meta">A comparison is decided only when the intervals are disjoint; overlapping intervals, or a single repeat, make a claim inconclusive.</p>
</section>`;
}

function chartHtml(c: RenderedChart): string {
  return `<figure class="chart" id="${escapeHtml(c.id)}" data-marks="${c.marks}">
<h3>${escapeHtml(c.title)}</h3>
${c.svg}
<figcaption>${escapeHtml(c.caption)}</figcaption>
</figure>`;
}

function keyValues(info: Record<string, unknown>, prefix = ''): [string, string][] {
  return Object.entries(info).flatMap(([k, v]): [string, string][] =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? keyValues(v as Record<string, unknown>, `${prefix}${k}.`)
      : [[`${prefix}${k}`, v === null ? '(none)' : String(v)]],
  );
}

function provenanceHtml(view: ReportView): string {
  const envs = view.environments
    .map(
      (e) => `<h3>Environment ${e.id}</h3>
<table><tbody>${keyValues(e.info)
        .map(
          ([k, v]) =>
            `<tr><th class="l">${escapeHtml(k)}</th><td class="l">${escapeHtml(v)}</td></tr>`,
        )
        .join('')}</tbody></table>`,
    )
    .join('\n');
  const sweeps = view.sweeps
    .map(
      (s) => `<h3>Sweep ${s.id}: ${escapeHtml(s.name)}</h3>
<p class="meta">spec ${escapeHtml(s.specHash)}, created ${escapeHtml(s.createdAt)}; ${s.runs} runs stored, ${s.failed} failed</p>
<pre>${escapeHtml(JSON.stringify(s.spec, null, 2))}</pre>`,
    )
    .join('\n');
  return `<section id="provenance"><h2>Provenance</h2>
<p>vmpath revision${view.revisions.length === 1 ? '' : 's'}: ${view.revisions.length ? view.revisions.map(escapeHtml).join(', ') : '(no environment recorded)'}</p>
${envs}
${sweeps}
</section>`;
}

export function reportHtml(view: ReportView, rendered: readonly RenderedChart[]): string {
  const missing = view.missing.length
    ? `<section class="missing" id="missing"><h2>Not in this database</h2><ul>${view.missing
        .map((m) => `<li>${escapeHtml(m)}</li>`)
        .join('')}</ul></section>`
    : '';
  const failed = view.failed.length
    ? `<section id="failed"><h2>Failed runs</h2><ul>${view.failed
        .map((f) => `<li><code>${escapeHtml(f.key)}</code>: ${escapeHtml(f.error)}</li>`)
        .join('')}</ul></section>`
    : '';
  const findings = view.claims ? claimsHtml(view.claims) : '';
  const tables = view.tables.length
    ? `<section id="tables"><h2>Data-path micro-benchmarks</h2>${view.tables.map(benchTableHtml).join('\n')}</section>`
    : '';
  const figures = rendered.length
    ? `<section id="figures"><h2>Figures</h2>${rendered.map(chartHtml).join('\n')}</section>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vmpath report: ${escapeHtml(view.source)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>vmpath report</h1>
<p class="meta">${escapeHtml(view.source)}: ${view.runs} runs in ${view.sweeps.length} sweep${view.sweeps.length === 1 ? '' : 's'}; generated ${escapeHtml(view.generatedAt)}</p>
${findings}
${missing}
${tables}
${figures}
${failed}
${provenanceHtml(view)}
</body>
</html>
`;
}
