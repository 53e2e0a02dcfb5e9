/**
 * Open MPI, the reference engine: checking that its tools are installed and that a program is
 * an MPI program, building a C program with mpicc into a private folder, and the argv that
 * starts one rank per network namespace (runtime/openmpi-job.ts plans a job as a cluster runs
 * it, one daemon per machine, for any program).
 *
 * The MPMD recipe: mpirun runs in rank 0's namespace and starts each rank in its own through
 * `ip netns exec`, one context per rank in rank order; Open MPI's out-of-band channel, PMIx and
 * the TCP BTL are held to the testbed subnet, so no traffic leaves the namespaces vmpath made.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invalidField, VmpathError } from '../core/errors.js';
import { inNetns, inNetnsKeepingSys } from '../sys/command.js';
import type { CommandRunner } from '../sys/runner.js';
import { findExecutable } from '../sys/tools.js';
import { BENCHMARK_RANGE } from '../topology/address.js';

const MPIRUN = ['mpirun', '--allow-run-as-root', '--oversubscribe'];

/** Throws an input error naming `field` when mpicc or mpirun is missing. */
export function requireOpenMpi(searchPath: string | undefined, field: string, value: string): void {
  for (const tool of ['mpicc', 'mpirun'])
    if (!findExecutable(tool, searchPath))
      throw new VmpathError(
        'E_APP_NO_TOOL',
        `${field} ${value}: ${tool} is not on PATH; install Open MPI (apt-get install -y openmpi-bin libopenmpi-dev)`,
        { details: { field, value } },
      );
}

/** Compiles `source` with mpicc (extra `flags` first) into a fresh folder: the program's path
 * and the folder's removal. */
export async function buildWithMpicc(
  runner: CommandRunner,
  source: string,
  name: string,
  flags: readonly string[],
): Promise<{ program: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), `vmpath-${name}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const program = join(dir, name);
  try {
    await runner.run({
      argv: ['mpicc', ...flags, '-o', program, source],
      description: `build ${name} with mpicc`,
    });
  } catch (error) {
    remove();
    throw error;
  }
  return { program, remove };
}

/** What an ELF file says of MPI: whether it names an MPI library or MPI_Init itself, and the
 * shared libraries it names (its DT_NEEDED entries among them); null when it is not ELF. */
function scanElf(file: string): { mpi: boolean; libraries: Set<string> } | null {
  const fd = openSync(file, 'r');
  const libraries = new Set<string>();
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let offset = 0; ; ) {
      const read = readSync(fd, chunk, 0, chunk.length, offset);
      if (read <= 0) return { mpi: false, libraries };
      const latin = chunk.subarray(0, read).toString('latin1');
      if (offset === 0 && !latin.startsWith('\x7fELF')) return null;
      if (/libmpi(_mpifh|_usempi\w*|cxx)?\.so|MPI_Init|mpi_init_/.test(latin))
        return { mpi: true, libraries };
      for (const m of latin.matchAll(/lib[\w+.-]*\.so(\.\d+)*/g)) libraries.add(m[0]);
      // Overlap so that a name split across chunks is still found.
      offset += Math.max(1, read - 64);
    }
  } finally {
    closeSync(fd);
  }
}

/** Where the dynamic loader looks for a library named only by its file name. */
const LIBRARY_DIRS = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
  '/usr/local/lib',
];

/** Whether an ELF file links an MPI library, itself or through the libraries it needs (PETSc,
 * a solver library: three levels deep), or holds MPI_Init itself. A file that is not ELF (a
 * script) is taken on trust. */
export function looksLikeMpi(file: string, depth = 3, seen = new Set<string>()): boolean {
  const scanned = scanElf(file);
  if (scanned === null) return depth === 3;
  if (scanned.mpi) return true;
  if (depth === 0) return false;
  for (const name of scanned.libraries) {
    if (seen.has(name)) continue;
    seen.add(name);
    const found = LIBRARY_DIRS.map((d) => join(d, name)).find((p) => existsSync(p));
    if (found && looksLikeMpi(found, depth - 1, seen)) return true;
  }
  return false;
}

/** An MPI program by name or path (`field` names it in errors): found, executable, MPI. */
export function findMpiProgram(
  name: string | undefined,
  searchPath: string | undefined,
  field: string,
  code: 'E_APP_INPUT' | 'E_EXP_SPEC' = 'E_APP_INPUT',
): string {
  if (!name) throw invalidField(code, field, '(none)', 'an MPI program and its arguments');
  const path = findExecutable(name, searchPath);
  if (!path)
    throw invalidField(code, field, name, 'an executable file (a path, or a name on PATH)');
  if (!looksLikeMpi(path))
    throw invalidField(
      code,
      field,
      name,
      'an MPI program (this ELF file links no MPI library; build it with mpicc, mpif90 or mpicxx)',
    );
  return path;
}

/** mpirun with `np` ranks of one program on this machine. */
export function mpirunLocal(np: number, args: readonly string[]): string[] {
  return [...MPIRUN, '-np', String(np), ...args];
}

/** mpirun with rank i in namespace `netns[i]` (MPMD), Open MPI's `btl` (tcp or vader). A rank
 * in rank 0's namespace is started directly. */
export function mpirunAcross(
  netns: readonly string[],
  args: readonly string[],
  btl: 'tcp' | 'vader' = 'tcp',
): string[] {
  const first = netns[0];
  if (first === undefined) throw new VmpathError('E_APP_INPUT', 'mpirunAcross: no ranks');
  const contexts = netns.flatMap((ns, i) => [
    ...(i > 0 ? [':'] : []),
    '-np',
    '1',
    ...(ns === first ? args : inNetns(ns, args)),
  ]);
  // Keeping this machine's /sys: each rank's own entry (inNetns) joins its host's budget there.
  return inNetnsKeepingSys(first, [
    'env',
    `PMIX_MCA_ptl_tcp_if_include=${BENCHMARK_RANGE}`,
    ...MPIRUN,
    '--mca',
    'oob_tcp_if_include',
    BENCHMARK_RANGE,
    '--mca',
    'btl',
    `${btl},self`,
    ...(btl === 'tcp' ? ['--mca', 'btl_tcp_if_include', BENCHMARK_RANGE] : []),
    ...contexts,
  ]);
}

/** mpirun options (Open MPI 4.1) followed by a value; --mca and --gmca take two. Any other
 * option is taken as a flag. */
const MPIRUN_VALUES = new Set([
  '-np',
  '--np',
  '-n',
  '-c',
  '-N',
  '--npernode',
  '--npersocket',
  '-H',
  '-host',
  '--host',
  '-hostfile',
  '--hostfile',
  '-machinefile',
  '--machinefile',
  '--default-hostfile',
  '-x',
  '-am',
  '--am',
  '--map-by',
  '--rank-by',
  '--bind-to',
  '-rf',
  '--rankfile',
  '-wd',
  '-wdir',
  '--wdir',
  '--path',
  '--prefix',
  '--preload-files',
  '--output-filename',
  '--timeout',
  '--cpus-per-proc',
  '--cpus-per-rank',
  '--stdin',
  '--report-uri',
  '--ompi-server',
  '--launch-agent',
  '--personality',
  '--tune',
  '--app',
]);
const MPIRUN_PAIRS = new Set(['--mca', '-mca', '--gmca', '-gmca']);

/** The program in mpirun's arguments (the first word that is not an option or an option's
 * value), or null when there is none; an appfile (--app) names its programs itself. */
export function mpirunProgram(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--app') return args[i + 1] ?? null;
    if (MPIRUN_PAIRS.has(arg)) i += 2;
    else if (MPIRUN_VALUES.has(arg)) i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return null;
}

/** A user's mpirun command line with Open MPI's pml monitoring on (vmpath profile): each rank
 * writes what it sent to whom to `<dir>/prof.<rank>.prof` when the program ends. */
export function monitoredMpirun(mpirun: string, args: readonly string[], dir: string): string[] {
  return [
    mpirun,
    '--mca',
    'pml_monitoring_enable',
    '1',
    '--mca',
    'pml_monitoring_enable_output',
    '3',
    '--mca',
    'pml_monitoring_filename',
    join(dir, 'prof'),
    ...args,
  ];
}

/** The ranks' files among a folder's names, as monitoredMpirun has them written. */
export function monitoringFiles(names: readonly string[]): { rank: number; name: string }[] {
  return names
    .map((name) => /^prof\.(\d+)\.prof$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ rank: Number(m[1]), name: m[0] }));
}
