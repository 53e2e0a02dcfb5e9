/**
 * An Open MPI job's folder (src/experiment/mpi-job-dir.ts): what a killed vmpath left is ended
 * by the PIDs its agents recorded, but only from folders vmpath made; the processes recorded are
 * the ones the agents started (PID and start time), not whatever has the PID now.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { reapStaleJobs, recordedAlive } from '../../../src/experiment/mpi-job-dir.js';
import { processAlive, processStart } from '../../../src/sys/tools.js';
import { tempDir } from '../../support/temp.js';

/** A PID no process has now: a child's, once it has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

async function sleeper() {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const done = new Promise((r) => child.once('exit', r));
  return { child, pid: child.pid as number, done };
}

test('a stale job folder of vmpath is reaped: its recorded processes end, the folder goes', async () => {
  const tmp = tempDir('vmpath-stale-');
  const { pid, done } = await sleeper();
  const name = `vmpath-mpi-${deadPid()}-abc`;
  const folder = join(tmp, name);
  mkdirSync(folder);
  chmodSync(folder, 0o755);
  writeFileSync(join(folder, 'head.pids'), `${pid} ${processStart(pid)} mpirun\n`);
  assert.deepEqual(recordedAlive(folder), [{ pid, name: 'mpirun' }]);
  assert.deepEqual(await reapStaleJobs(tmp), [name]);
  await done;
  assert.equal(processAlive(pid), false);
  assert.equal(existsSync(folder), false);
});

test("a folder anyone may write is not vmpath's: nothing it names is ended", async () => {
  const tmp = tempDir('vmpath-stale-');
  const { child, pid } = await sleeper();
  try {
    const folder = join(tmp, `vmpath-mpi-${deadPid()}-xyz`);
    mkdirSync(folder);
    chmodSync(folder, 0o777);
    writeFileSync(join(folder, 'head.pids'), `${pid} ${processStart(pid)} mpirun\n`);
    assert.deepEqual(await reapStaleJobs(tmp), []);
    assert.equal(processAlive(pid), true);
    assert.equal(existsSync(folder), true);
    // A recorded PID whose start time is not the process's now names another process.
    writeFileSync(join(folder, 'ranks.pids'), `${pid} 1 rank0\n`);
    writeFileSync(join(folder, 'head.pids'), '');
    assert.deepEqual(recordedAlive(folder), []);
  } finally {
    child.kill('SIGKILL');
  }
});
