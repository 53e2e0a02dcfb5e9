/**
 * Text renderings of bench results: the pairs table and the study's table.
 */
import type { PairsResult } from '../bench/run.js';
import type { BenchTable } from '../bench/table.js';
import type { RrRun, Run } from '../bench/types.js';
import { formatTable } from './table.js';

const fixed = (value: number, digits = 2) => Number(value.toFixed(digits));

function meanOf(runs: readonly Run[], pick: (run: RrRun) => number): number {
  const rr = runs.filter((r): r is RrRun => r.test === 'rr');
  return rr.length ? rr.reduce((sum, r) => sum + pick(r), 0) / rr.length : 0;
}

/** How the repetition ended, in words. */
export function describeConfidence(result: PairsResult): string {
  const { interval, policy, iterations, confident } = result;
  if (confident === null) return `${iterations} run`;
  const ci = `${(policy.level * 100).toFixed(0)}% confidence interval +/- ${interval.halfWidthPct.toFixed(2)}% of the mean`;
  return confident
    ? `${iterations} runs; ${ci} (wanted <= ${policy.widthPct}%)`
    : `${iterations} runs (the maximum); ${ci}: the wanted ${policy.widthPct}% was NOT reached`;
}

export function formatPairs(result: PairsResult): string {
  const stream = result.test === 'stream';
  const headers = stream
    ? ['from', 'to', 'MiB/s', 'min', 'max', 'sender CPU %']
    : ['from', 'to', 'transactions/s', 'p50 us', 'p90 us', 'p99 us', 'max us'];
  const rows = result.pairs.map((p) =>
    stream
      ? [
          p.from,
          p.to,
          fixed(p.summary.mean),
          fixed(p.summary.min),
          fixed(p.summary.max),
          fixed(
            p.runs.reduce((s, r) => s + (r.test === 'stream' ? (r.senderCpuPct ?? 0) : 0), 0) /
              p.runs.length,
            1,
          ),
        ]
      : [
          p.from,
          p.to,
          fixed(p.summary.mean, 0),
          fixed(
            meanOf(p.runs, (r) => r.latencyUs.p50),
            1,
          ),
          fixed(
            meanOf(p.runs, (r) => r.latencyUs.p90),
            1,
          ),
          fixed(
            meanOf(p.runs, (r) => r.latencyUs.p99),
            1,
          ),
          fixed(
            meanOf(p.runs, (r) => r.latencyUs.max),
            1,
          ),
        ],
  );
  if (result.pairs.length > 1) {
    rows.push(
      stream
        ? [
            'total',
            '',
            fixed(result.total.mean),
            fixed(result.total.min),
            fixed(result.total.max),
            '',
          ]
        : ['total', '', fixed(result.total.mean, 0), '', '', '', ''],
    );
  }
  const head = `${result.test} with ${result.tool}, ${result.pairs.length} pair${result.pairs.length > 1 ? 's' : ''} at once, ${result.params.durationMs / 1000} s each after ${result.params.warmupMs / 1000} s warm-up; ${describeConfidence(result)}`;
  return `${head}\n\n${formatTable(headers, rows)}`;
}

export function formatBenchTable(table: BenchTable): string {
  const width = Math.max(...table.rows.map((r) => r.perPair.length));
  const unit = table.unit === 'MiB/s' ? 'MiB/s' : 'tx/s';
  const headers = [
    'config',
    ...Array.from({ length: width }, (_, i) => `pair ${i + 1} ${unit}`),
    `total ${unit}`,
    '% of NATIVE',
    '% of link',
  ];
  const rows = table.rows.map((row) => [
    row.datapath.toUpperCase(),
    ...Array.from({ length: width }, (_, i) => {
      const pair = row.perPair[i];
      return pair ? fixed(pair.value) : '';
    }),
    fixed(row.total),
    row.pctOfNative === null ? '' : fixed(row.pctOfNative, 1),
    row.pctOfLink === null ? '' : fixed(row.pctOfLink, 1),
  ]);
  const pairs = table.rows
    .map((r) => `${r.datapath}: ${r.perPair.map((p) => `${p.from}->${p.to}`).join(', ')}`)
    .join('; ');
  const link =
    table.rateMbit === null
      ? 'uplinks unshaped'
      : `uplink ${table.rateMbit} Mbit/s${table.linkMiBps === null ? '' : ` = ${fixed(table.linkMiBps)} MiB/s`}`;
  const ratio =
    table.bridgedOverIov === null ? '' : `\nBRIDGED/IOV total: ${table.bridgedOverIov.toFixed(3)}`;
  const warnings = table.rows
    .filter((r) => r.result.confident === false)
    .map((r) => `\nwarning: ${r.datapath}: ${describeConfidence(r.result)}`);
  return `${table.topology}, ${table.rows[0]?.result.test ?? ''} with ${table.rows[0]?.result.tool ?? ''}, ${link}\n(${pairs})\n\n${formatTable(headers, rows)}${ratio}${warnings.join('')}`;
}
