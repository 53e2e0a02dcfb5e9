/**
 * What the bench scripts share: a root check, testbeds the bench owns (a private testbed per
 * data path, the pair across hosts), the verdict line, and stopping cleanly: SIGINT or SIGTERM
 * aborts `interrupt`, which every long operation of a bench is given; the bench then unwinds,
 * removing its testbeds (ledger last), and exits 128 + the signal's number. A second signal, or
 * a bench still running 10 s after the first, removes what is left at once and exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Pair, studyPairs } from '../src/bench/pairs.js';
import { exitCodeOf, interrupted, type VmpathError } from '../src/core/errors.js';
import { newId } from '../src/core/ids.js';
import { readableRuns } from '../src/report/records.js';
import { type Claim, checkClaims } from '../src/report/views/claims.js';
import { requireOpenMpi as checkOpenMpi } from '../src/runtime/openmpi.js';
import { Store } from '../src/store/db.js';
import { inNetns } from '../src/sys/command.js';
import { CommandRunner } from '../src/sys/runner.js';
import { isRoot } from '../src/sys/tools.js';
import { clean, down, up } from '../src/testbed/lifecycle.js';
import { listIds } from '../src/testbed/state.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import type { Datapath, Topology } from '../src/topology/types.js';

export const env = {
  runner: new CommandRunner(process.env),
  stateDir: mkdtempSync(join(tmpdir(), 'vmpath-bench-')),
  searchPath: process.env.PATH,
  execPath: process.execPath,
};

const stop = new AbortController();
/** Aborted by SIGINT or SIGTERM: give it to every long operation (up, runs, calibration). */
export const interrupt: AbortSignal = stop.signal;
const owned = new Set<string>();

/** Removes every testbed the bench still owns, whatever it is doing, and exits. */
async function removeAllAndExit(code: number): Promise<never> {
  for (const id of [...owned].reverse()) {
    await clean(env, { id }).catch(() => {});
    owned.delete(id);
  }
  process.exit(code);
}

for (const name of ['SIGINT', 'SIGTERM'] as const)
  process.on(name, () => {
    if (stop.signal.aborted) return void removeAllAndExit(exitCodeOf(stop.signal.reason));
    process.stderr.write(`bench: ${name}: stopping, removing the testbeds\n`);
    stop.abort(interrupted(name));
    setTimeout(() => removeAllAndExit(exitCodeOf(stop.signal.reason)), 10_000).unref();
  });

// An interrupted bench ends with one line and the interrupt's exit code, not a stack trace.
process.on('uncaughtException', (error) => {
  if (stop.signal.aborted) {
    process.stderr.write(`bench: ${(stop.signal.reason as Error).message}\n`);
    process.exitCode = exitCodeOf(stop.signal.reason as VmpathError);
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
    process.exitCode = 1;
  }
  if (owned.size > 0) void removeAllAndExit(Number(process.exitCode));
});

// The state folder holds the ledgers: it goes only once no testbed is left in it.
process.on('exit', () => {
  if (listIds(env.stateDir).length === 0) rmSync(env.stateDir, { recursive: true, force: true });
  else
    process.stderr.write(
      `bench: testbeds left in ${env.stateDir}; remove them with VMPATH_STATE_DIR=${env.stateDir} vmpath testbed clean --all\n`,
    );
});

/** Builds a testbed the bench owns (removed on interrupt); its id starts with `prefix`. */
export async function buildTestbed(topology: Topology, prefix = 'b'): Promise<string> {
  const id = `${prefix}${newId().slice(0, 5)}`;
  owned.add(id);
  await up(env, topology, id, { signal: interrupt });
  return id;
}

/** Removes a testbed the bench built. */
export async function removeTestbed(id: string): Promise<void> {
  await down(env, id);
  owned.delete(id);
}

/** Exits with a message when not root (the benches build real namespaces). */
export function requireRoot(name: string): void {
  if (!isRoot()) {
    process.stderr.write(`bench ${name}: needs root (it builds real namespaces)\n`);
    process.exit(2);
  }
}

/** Exits 2 naming the package when Open MPI's tools are missing. */
export function requireOpenMpi(name: string): void {
  try {
    checkOpenMpi(env.searchPath, 'bench', name);
  } catch (error) {
    process.stderr.write(`bench ${name}: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

/** Builds `tiny` (unshaped) once per data path, all before any measurement (tearing a testbed
 * down leaves the kernel busy freeing namespaces for a while, which would disturb the next
 * one's figures), runs `body` on each first cross-host pair, and removes them all. */
export async function onPairs<T>(
  datapaths: readonly Datapath[],
  body: (datapath: Datapath, pair: Pair, testbed: { topology: Topology; id: string }) => Promise<T>,
): Promise<T[]> {
  const built: { datapath: Datapath; id: string; pair: Pair; topology: Topology }[] = [];
  try {
    for (const datapath of datapaths) {
      const topology = resolveTopology(presetSpec('tiny'), { datapath, rateMbit: 0 });
      const id = await buildTestbed(topology);
      built.push({ datapath, id, topology, pair: studyPairs(topology, id)[0] as Pair });
    }
    const results: T[] = [];
    for (const { datapath, pair, topology, id } of built)
      results.push(await body(datapath, pair, { topology, id }));
    return results;
  } finally {
    for (const { id } of built) await removeTestbed(id);
  }
}

/** Throws the interrupt, if one came: call it between measurements. */
export function stopIfInterrupted(): void {
  if (interrupt.aborted) throw interrupt.reason;
}

/** Runs the two sides alternately (A B, B A, A B, ...) `rounds` times each; their figures. */
export async function alternate<S extends string>(
  rounds: number,
  sides: readonly [S, S],
  measure: (side: S) => Promise<number>,
): Promise<Record<S, number[]>> {
  const figures = { [sides[0]]: [], [sides[1]]: [] } as unknown as Record<S, number[]>;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [sides[1], sides[0]] : [sides[0], sides[1]];
    for (const side of order) {
      stopIfInterrupted();
      figures[side].push(await measure(side));
    }
  }
  return figures;
}

/** The last line every bench prints. */
export function verdict(
  name: string,
  metric: string,
  value: number,
  op: '>=' | '<=',
  target: number,
): string {
  const met = op === '>=' ? value >= target : value <= target;
  return `bench ${name}: ${metric}=${value.toFixed(3)} target ${op} ${target} ${met ? 'met' : 'missed'}`;
}

const PINGPONG = fileURLToPath(new URL('./pingpong.js', import.meta.url));

/** Mean latency in microseconds of the plainest Node ping-pong of `bytes` over TCP on a pair. */
export async function plainPingPong(
  pair: Pair,
  bytes: number,
  durationMs: number,
  warmupMs: number,
): Promise<number> {
  let out = '';
  const server = env.runner.start(
    {
      argv: inNetns(pair.to.netns, [
        env.execPath,
        PINGPONG,
        'serve',
        '--bind',
        pair.to.address ?? '',
      ]),
      description: 'ping-pong server',
    },
    {
      onStdout: (c) => {
        out += c;
      },
    },
  );
  try {
    while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
    const { port } = JSON.parse(out) as { port: number };
    const client = await env.runner.run({
      argv: inNetns(pair.from.netns, [
        env.execPath,
        PINGPONG,
        'ping',
        '--bind',
        pair.from.address ?? '',
        '--target',
        `${pair.to.address}:${port}`,
        '--bytes',
        String(bytes),
        '--ms',
        String(durationMs),
        '--warmup-ms',
        String(warmupMs),
      ]),
      description: 'ping-pong client',
    });
    return (JSON.parse(client.stdout) as { meanUs: number }).meanUs;
  } finally {
    server.kill('SIGTERM');
    await server.done;
  }
}

/** The study's claims checked on the runs a `vmpath reproduce --out DIR` stored. */
export function claimsIn(out: string): Claim[] {
  const store = Store.open(join(out, 'results.db'));
  try {
    return checkClaims(readableRuns(store.runs()).typed);
  } finally {
    store.close();
  }
}
