/**
 * The kernel as a rank runs it when ranks share the cores: one process steps a block of the
 * given shape and gives up its core after each step (as a rank does waiting for its faces),
 * from a common start time to a common end time, so that every process of a probe runs
 * alongside all the others. Prints one JSON line: steps done and the CPU seconds of the steps
 * alone (the waits are not counted; the runtime's calibration prices those).
 *
 * Usage: node kernel-probe.js NX NY NZ START_EPOCH_MS END_EPOCH_MS
 */
import { BlockMemory } from './kernel.js';

/** How long a process sleeps after each step: enough for the scheduler to run another. */
const PAUSE_MS = 0.05;

function main(argv: readonly string[]): void {
  const [nx, ny, nz, start, end] = argv.map(Number);
  if (![nx, ny, nz, start, end].every((v) => Number.isFinite(v) && (v as number) > 0)) {
    process.stderr.write('usage: kernel-probe NX NY NZ START_EPOCH_MS END_EPOCH_MS\n');
    process.exit(2);
  }
  const block = new BlockMemory([nx, ny, nz] as [number, number, number]);
  block.field.fill(0.5);
  const gate = new Int32Array(new SharedArrayBuffer(4));
  // Compiled and touched before the window opens.
  for (let i = 0; i < 3; i++) block.step(0.3, 0.3, 0.3);
  const wait = (start as number) - Date.now();
  if (wait > 0) Atomics.wait(gate, 0, 0, wait);
  let steps = 0;
  let cpuS = 0;
  while (Date.now() < (end as number)) {
    const before = process.cpuUsage();
    block.step(0.3, 0.3, 0.3);
    const used = process.cpuUsage(before);
    cpuS += (used.user + used.system) / 1e6;
    steps++;
    Atomics.wait(gate, 0, 0, PAUSE_MS);
  }
  process.stdout.write(`${JSON.stringify({ steps, cpuS })}\n`);
}

main(process.argv.slice(2));
