/**
 * An MPI program's communication matrix, from Open MPI's pml monitoring (vmpath profile): the
 * user's mpirun command runs with monitoring on, into a private folder that is removed after;
 * each rank's file says what it sent to whom.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmpathError } from '../core/errors.js';
import { type MatrixFile, parseMonitoring } from '../model/matrix.js';
import { monitoredMpirun, monitoringFiles } from '../runtime/openmpi.js';
import type { CommandRunner } from '../sys/runner.js';

/** How long a profiled program may run. */
const PROFILE_TIMEOUT_MS = 3_600_000;

export async function profileMpirun(
  runner: CommandRunner,
  mpirun: string,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<MatrixFile> {
  const dir = mkdtempSync(join(tmpdir(), 'vmpath-profile-'));
  try {
    const result = await runner.run(
      {
        argv: monitoredMpirun(mpirun, args, dir),
        description: 'the MPI program under pml monitoring',
      },
      { timeoutMs: PROFILE_TIMEOUT_MS, allowFailure: true, ...(signal ? { signal } : {}) },
    );
    if (result.exitCode !== 0)
      throw new VmpathError(
        'E_MODEL_FAILED',
        `mpirun exited ${result.exitCode ?? result.signal}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    const files = monitoringFiles(readdirSync(dir)).map(({ rank, name }) => ({
      rank,
      text: readFileSync(join(dir, name), 'utf8'),
    }));
    return parseMonitoring(files);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
