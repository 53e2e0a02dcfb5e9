/**
 * What a sweep ran on, for the database: kernel, CPU model and count, memory, Node.js, vmpath's
 * version and git revision, and the versions of the external tools (absent ones are null).
 */
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { CommandRunner } from '../sys/runner.js';
import { findExecutable } from '../sys/tools.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function firstLine(
  runner: CommandRunner,
  searchPath: string | undefined,
  argv: string[],
): Promise<string | null> {
  if (!findExecutable(argv[0] as string, searchPath)) return null;
  try {
    const result = await runner.run({ argv, description: `${argv[0]} version` });
    return `${result.stdout}${result.stderr}`.trim().split('\n')[0] ?? null;
  } catch {
    return null;
  }
}

export async function captureEnvironment(
  runner: CommandRunner,
  searchPath: string | undefined,
): Promise<Record<string, unknown>> {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
  const [git, ip, iperf3, mpirun] = await Promise.all([
    firstLine(runner, searchPath, ['git', '-C', ROOT, 'rev-parse', 'HEAD']),
    firstLine(runner, searchPath, ['ip', '-V']),
    firstLine(runner, searchPath, ['iperf3', '--version']),
    firstLine(runner, searchPath, ['mpirun', '--version']),
  ]);
  return {
    kernel: release(),
    cpuModel: cpus()[0]?.model ?? null,
    cpuCount: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    vmpath: pkg.version,
    gitRevision: git && /^[0-9a-f]{40}$/.test(git) ? git : null,
    tools: { ip, iperf3, mpirun },
  };
}
