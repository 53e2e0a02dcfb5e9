/**
 * A long serial run stops on request: SIGINT and SIGTERM end `vmpath run advect --serial`
 * within a second or two, exiting 130 and 143 with one line; --timeout ends it with 124. The
 * run computes in this process, which yields to the event loop between steps for this.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { vmpath } from '../../support/cli.js';
import { CLI } from '../../support/paths.js';

const LONG = ['run', 'advect', '--serial', '--grid', '8x8x8', '--steps', '1000000'];

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
    // Let it start computing (the CLI loads, parses, begins the steps).
    await new Promise((resolve) => setTimeout(resolve, 1500));
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
