/**
 * Text renderings of the model's validation: each configuration's prediction against its
 * measured runs, the errors and the advisor's regret (`vmpath advise --validate`, bench
 * model-accuracy).
 */
import { median } from '../bench/stats.js';
import { type Checked, regret, sameDeployments } from '../experiment/validate.js';
import { formatTable } from './table.js';

export const ms = (s: number) => (s * 1000).toFixed(1);

export function formatValidation(checked: readonly Checked[]): string {
  const r = regret(checked);
  const alike = sameDeployments(checked);
  const errors = checked.map((c) => Math.abs(c.error));
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
    `median absolute error ${(median(errors) * 100).toFixed(1)}%, worst ${(Math.max(...errors) * 100).toFixed(1)}% (${checked[0]?.runs ?? 0} runs each, medians)`,
    ...(alike.length > 0
      ? [
          `one deployment under two names (runs pooled for the regret): ${alike.map((g) => g.map((c) => `${c.datapath} ${c.placement}`).join(' = ')).join('; ')}`,
        ]
      : []),
    `advisor's pick ${r.pick.datapath} ${r.pick.placement}: measured ${ms(r.pickS)} ms; best measured ${r.best.datapath} ${r.best.placement}: ${ms(r.bestS)} ms; regret ${(r.regret * 100).toFixed(1)}%`,
  ].join('\n');
}
