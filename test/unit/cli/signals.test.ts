/**
 * A long serial run stops on request: SIGINT and SIGTERM end `vmpath run advect --serial`
 * within a second or two, exiting 130 and 143 with one line; --timeout ends it with 124. The
 * run computes in this process, which yields to the event loop between steps for this.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { vmpath } from '../../support/cli.js';
import { CLI } from '../../support/paths.js';

/** Minutes of work on any machine (32^3 cells a step, a million steps). */
const LONG = ['run', 'advect', '--serial', '--grid', '32x32x32', '--steps', '1000000'];

/** CPU seconds a process has used (Linux /proc; clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  test(`run advect --serial: ${signal} ends it within seconds, exit ${code}`, async () => {
    const child = spawn(process.execPath, [CLI, ...LONG], { stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      said += c;
    });
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    // Let it start computing: past loading and parsing, its handler is in place.
    const deadline = Date.now() + 30_000;
    while (cpuSeconds(child.pid ?? 0) < 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const begin = performance.now();
    child.kill(signal);
    assert.equal(await closed, code, said);
    assert.ok(performance.now() - begin < 2000, `stopped in ${performance.now() - begin} ms`);
    assert.equal(said.trim(), `vmpath: interrupted by ${signal}`);
  });

test('run advect --serial honours --timeout (exit 124)', () => {
  const begin = performance.now();
  const result = vmpath([...LONG, '--timeout', '1']);
  assert.equal(result.status, 124, result.stderr);
  assert.match(result.stderr, /timed out after 1 s \(--timeout\)/);
  assert.ok(performance.now() - begin < 10_000);
});
