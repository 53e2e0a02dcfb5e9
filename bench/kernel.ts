/**
 * bench kernel: million cell updates per second of one advection step on a 256^3 block, single
 * thread: the WebAssembly SIMD kernel the application uses (assembly/advect.ts), the same
 * kernel in plain JavaScript (src/apps/advect/reference.ts), and in C (bench/kernel/kernel.c,
 * gcc -O3 -march=native), measured alternately, 5 times each; medians.
 * Target: the application's kernel at least 0.7x C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlockMemory } from '../src/apps/advect/kernel.js';
import { referenceStep } from '../src/apps/advect/reference.js';
import { median } from '../src/bench/stats.js';
import { formatTable } from '../src/cli/table.js';
import { env, verdict } from './support.js';

const N = 256;
const ROUNDS = 5;
const SOURCE = fileURLToPath(new URL('../../bench/kernel/kernel.c', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vmpath-kernel-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const program = join(dir, 'kernel');
await env.runner.run({
  argv: ['gcc', '-O3', '-march=native', '-o', program, SOURCE],
  description: 'build the C kernel',
});

const block = new BlockMemory([N, N, N]);
block.field.forEach((_, i, f) => {
  f[i] = (i % 1000) / 1000;
});
const plain = new Float64Array(block.field.length);
plain.set(block.field);
const timed = (run: () => void) => {
  const t = performance.now();
  run();
  return (N * N * N) / ((performance.now() - t) / 1000) / 1e6;
};
// Warm-up: one step each (pages touched, code compiled).
block.step(0.3, 0.3, 0.3);
referenceStep(plain, [N, N, N], 0.3, 0.3, 0.3);

const sides = ['wasm', 'c', 'js'] as const;
const figures: Record<(typeof sides)[number], number[]> = { wasm: [], c: [], js: [] };
for (let round = 0; round < ROUNDS; round++) {
  const order = sides.map((_, i) => sides[(i + round) % sides.length] as (typeof sides)[number]);
  for (const side of order) {
    if (side === 'wasm') figures.wasm.push(timed(() => block.step(0.3, 0.3, 0.3)));
    else if (side === 'js')
      figures.js.push(timed(() => referenceStep(plain, [N, N, N], 0.3, 0.3, 0.3)));
    else {
      const out = await env.runner.run({
        argv: [program, String(N), '1'],
        description: 'C kernel',
      });
      figures.c.push((JSON.parse(out.stdout) as { mcups: number }).mcups);
    }
  }
}
const c = median(figures.c);
const rows = sides.map((side) => [
  side === 'wasm'
    ? 'WebAssembly SIMD (used)'
    : side === 'js'
      ? 'JavaScript'
      : 'C -O3 -march=native',
  median(figures[side]).toFixed(0),
  Math.min(...figures[side]).toFixed(0),
  Math.max(...figures[side]).toFixed(0),
  (median(figures[side]) / c).toFixed(3),
]);
process.stdout.write(
  `${formatTable(['kernel', 'median Mcell/s', 'min', 'max', 'x C'], rows)}\n\none step on ${N}^3, single thread, ${ROUNDS} alternating runs each\n`,
);
process.stdout.write(`${verdict('kernel', 'wasm_over_c', median(figures.wasm) / c, '>=', 0.7)}\n`);
