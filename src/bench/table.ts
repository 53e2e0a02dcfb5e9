/**
 * The study's Tables 1 and 2 on a testbed: for each data path (native, bridged, iov) bring a
 * testbed up, run the concurrent pairs, tear it down (also on failure or Ctrl-C), and compare:
 * per-node and total figures, each total as % of NATIVE and of the uplink rate, and the ratio
 * BRIDGED/IOV. `buildTable` is pure; `runTable` does the work.
 */

import type { Launcher } from '../cluster/launcher.js';
import { newId } from '../core/ids.js';
import { down, type TestbedEnv, up } from '../testbed/lifecycle.js';
import { checkBuildable } from '../testbed/plan-up.js';
import { resolveTopology, type TopologyOverrides } from '../topology/resolve.js';
import type { Datapath, Topology } from '../topology/types.js';
import { studyPairs } from './pairs.js';
import { checkTool, type PairsOptions, type PairsResult, runPairs } from './run.js';
import type { BenchEnv } from './tools/index.js';
import { MiB } from './types.js';

export const TABLE_DATAPATHS: readonly Datapath[] = ['native', 'bridged', 'iov'];

export interface TableRow {
  readonly datapath: Datapath;
  /** Figure of each pair, in pair order (node1->node5, ...). */
  readonly perPair: readonly {
    readonly from: string;
    readonly to: string;
    readonly value: number;
  }[];
  readonly total: number;
  /** Total as a percentage of the native total; null without a native row. */
  readonly pctOfNative: number | null;
  /** Total as a percentage of the uplink rate (stream only, shaped uplinks only). */
  readonly pctOfLink: number | null;
  readonly result: PairsResult;
}

export interface BenchTable {
  readonly topology: string;
  readonly unit: PairsResult['unit'];
  /** Uplink rate of host 0 in Mbit/s; null when unshaped. */
  readonly rateMbit: number | null;
  /** That rate in MiB/s, for stream tables; null when unshaped or for rr. */
  readonly linkMiBps: number | null;
  readonly rows: readonly TableRow[];
  /** total(bridged) / total(iov); null if either is missing. */
  readonly bridgedOverIov: number | null;
}

/** Assembles the table from one result per data path. */
export function buildTable(
  topology: Topology,
  results: readonly { datapath: Datapath; result: PairsResult }[],
): BenchTable {
  const rate = topology.hosts[0]?.uplink.rateMbit ?? null;
  const stream = results[0]?.result.test !== 'rr';
  const linkMiBps = rate === null ? null : (rate * 1e6) / 8 / MiB;
  const totalOf = (dp: Datapath) =>
    results.find((r) => r.datapath === dp)?.result.total.mean ?? null;
  const native = totalOf('native');
  const rows = results.map(({ datapath, result }): TableRow => {
    const total = result.total.mean;
    return {
      datapath,
      perPair: result.pairs.map((p) => ({ from: p.from, to: p.to, value: p.summary.mean })),
      total,
      // ratio first, then percent: the native row is then exactly 100
      pctOfNative: native ? (total / native) * 100 : null,
      pctOfLink: stream && linkMiBps ? (total / linkMiBps) * 100 : null,
      result,
    };
  });
  const bridged = totalOf('bridged');
  const iov = totalOf('iov');
  return {
    topology: topology.name,
    rateMbit: rate,
    unit: results[0]?.result.unit ?? 'MiB/s',
    linkMiBps: stream ? linkMiBps : null,
    rows,
    bridgedOverIov: bridged !== null && iov ? bridged / iov : null,
  };
}

export interface TableOptions extends Omit<PairsOptions, 'signal'> {
  readonly signal?: AbortSignal;
  /** Called with a line of progress (a testbed built, a data path measured). */
  readonly onProgress?: (text: string) => void;
}

/** Runs the whole table on `spec`. The three testbeds are all built before the first
 * measurement and removed after the last (also on failure or Ctrl-C): removing a testbed keeps
 * the kernel busy freeing namespaces for a while, which would disturb the next data path. */
export async function runTable(
  env: TestbedEnv & BenchEnv,
  spec: unknown,
  overrides: TopologyOverrides,
  options: TableOptions,
): Promise<BenchTable> {
  // Check the tool and resolve every variant first, so that bad input (a test the tool lacks,
  // a spec that cannot take one data path) fails before anything is built.
  checkTool(env, options.tool, options.params);
  const variants = TABLE_DATAPATHS.map((datapath) => {
    const topology = resolveTopology(spec, { ...overrides, datapath });
    checkBuildable(topology);
    return { datapath, topology, id: newId() };
  });
  const built: string[] = [];
  try {
    for (const { datapath, topology, id } of variants) {
      options.onProgress?.(`building the ${datapath} testbed (${id})`);
      built.push(id);
      await up(env, topology, id, options.signal ? { signal: options.signal } : {});
    }
    const results: { datapath: Datapath; result: PairsResult }[] = [];
    for (const { datapath, topology, id } of variants) {
      options.onProgress?.(`measuring ${datapath}`);
      results.push({ datapath, result: await runPairs(env, studyPairs(topology, id), options) });
    }
    return buildTable((variants[0] as { topology: Topology }).topology, results);
  } finally {
    for (const id of built.reverse()) await down(env, id);
  }
}

/** One row of a table measured on a cluster: an inventory whose vms all declare one data path. */
export interface ClusterRow {
  readonly datapath: Datapath;
  readonly topology: Topology;
  readonly id: string;
  readonly launcher: Launcher;
}

/** The table over clusters, a row per inventory (a cluster's nodes are what they are: each data
 * path is its own set of addresses, as a vm's virtio and VF interfaces are). */
export async function runClusterTable(
  env: BenchEnv,
  rows: readonly ClusterRow[],
  options: TableOptions,
): Promise<BenchTable> {
  checkTool(env, options.tool, options.params);
  const results: { datapath: Datapath; result: PairsResult }[] = [];
  for (const row of rows) {
    options.onProgress?.(`measuring ${row.datapath} on cluster ${row.id}`);
    results.push({
      datapath: row.datapath,
      result: await runPairs(
        { ...env, launcher: row.launcher },
        studyPairs(row.topology, row.id),
        options,
      ),
    });
  }
  return buildTable((rows[0] as ClusterRow).topology, results);
}
