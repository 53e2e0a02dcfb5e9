/**
 * What the bench scripts share: a root check, a private testbed per data path, the pair across
 * hosts, and the verdict line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Pair, studyPairs } from '../src/bench/pairs.js';
import { newId } from '../src/core/ids.js';
import { requireOpenMpi as checkOpenMpi } from '../src/runtime/openmpi.js';
import { inNetns } from '../src/sys/command.js';
import { CommandRunner } from '../src/sys/runner.js';
import { isRoot } from '../src/sys/tools.js';
import { down, up } from '../src/testbed/lifecycle.js';
import { presetSpec } from '../src/topology/presets.js';
import { resolveTopology } from '../src/topology/resolve.js';
import type { Datapath, Topology } from '../src/topology/types.js';

export const env = {
  runner: new CommandRunner(process.env),
  stateDir: mkdtempSync(join(tmpdir(), 'vmpath-bench-')),
  searchPath: process.env.PATH,
  execPath: process.execPath,
};
process.on('exit', () => rmSync(env.stateDir, { recursive: true, force: true }));

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
      const id = `b${newId().slice(0, 5)}`;
      await up(env, topology, id);
      built.push({ datapath, id, topology, pair: studyPairs(topology, id)[0] as Pair });
    }
    const results: T[] = [];
    for (const { datapath, pair, topology, id } of built)
      results.push(await body(datapath, pair, { topology, id }));
    return results;
  } finally {
    for (const { id } of built) await down(env, id);
  }
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
    for (const side of order) figures[side].push(await measure(side));
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
