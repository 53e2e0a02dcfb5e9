/**
 * Text renderings of topologies, testbed status and reachability for the terminal.
 */

import type { TestbedRecord } from '../testbed/state.js';
import type { TestbedStatus } from '../testbed/status.js';
import type { ReachabilityReport } from '../testbed/traffic.js';
import { slotsOf } from '../topology/query.js';
import type { Topology } from '../topology/types.js';
import { formatTable } from './table.js';

function rate(rateMbit: number | null): string {
  return rateMbit === null ? 'unshaped' : `${rateMbit} Mbit/s`;
}

/** A host's dom0: its backend and budget (the budget in cores is decided at `up`). */
function dom0Of(host: Topology['hosts'][number]): string {
  const cpus = host.dom0.cpus;
  const budget =
    cpus === null
      ? 'no CPU budget'
      : 'cores' in cpus
        ? `${cpus.cores} cores`
        : `${+(cpus.share * 100).toFixed(2)}% of ${host.cpus === null ? 'its share of the cores' : `${host.cpus} cores`}`;
  return `${host.dom0.backend}, ${budget}`;
}

export function formatTopology(topology: Topology): string {
  const head = [
    `topology ${topology.name}${topology.description ? `: ${topology.description}` : ''}`,
    `addressing ${topology.addressing.subnet}; ${topology.switch ? `switch ${topology.switch.name}` : 'one cable between the two hosts'}`,
  ];
  const rows = topology.hosts.flatMap((host) => [
    [
      host.name,
      'host',
      host.native ? 'native' : '',
      slotsOf(host),
      host.address ?? '',
      `${rate(host.uplink.rateMbit)}${host.uplink.delayMs ? `, ${host.uplink.delayMs} ms` : ''}`,
      host.native ? '' : `${host.iov.mode}, ${host.iov.maxVfs} VFs`,
      dom0Of(host),
    ],
    ...host.vms.map((vm) => [
      `  ${vm.name}`,
      'vm',
      vm.datapath,
      vm.slots,
      vm.address ?? '(host)',
      '',
      '',
      '',
    ]),
  ]);
  return `${head.join('\n')}\n\n${formatTable(['node', 'role', 'datapath', 'slots', 'address', 'uplink', 'iov', 'dom0'], rows)}`;
}

/** One line of `testbed status` without an id. */
export interface TestbedSummary {
  readonly id: string;
  readonly topology: string;
  readonly datapaths: string;
  readonly state: string;
  readonly createdAt: string;
}

export function summaryOf(record: TestbedRecord): TestbedSummary {
  const datapaths = new Set(record.topology.hosts.flatMap((h) => h.vms.map((vm) => vm.datapath)));
  return {
    id: record.id,
    topology: record.topology.name,
    datapaths: [...datapaths].join('+'),
    state: record.state,
    createdAt: record.createdAt,
  };
}

export function formatTestbedList(summaries: readonly TestbedSummary[]): string {
  if (summaries.length === 0) return 'no testbeds (vmpath testbed up --preset paper builds one)';
  return formatTable(
    ['id', 'topology', 'datapath', 'state', 'created'],
    summaries.map((s) => [s.id, s.topology, s.datapaths, s.state, s.createdAt]),
  );
}

export function formatStatus(status: TestbedStatus): string {
  const head = `testbed ${status.id} (${status.topology}, ${status.datapaths.join('+')}): ${status.state}, since ${status.createdAt}`;
  const rows = status.nodes.flatMap((node) => {
    if (!node.exists) return [[node.name, node.role, node.netns, 'MISSING', '', '', '']];
    if (node.interfaces.length === 0)
      return [[node.name, node.role, `${node.netns} (its host's)`, '', '', '', '']];
    return node.interfaces
      .filter((i) => i.name !== 'lo')
      .map((i, n) => {
        const q = node.qdiscs.find((qd) => qd.dev === i.name && qd.rateMbit !== null);
        const kind = [
          i.kind ?? '',
          i.mode ? `(${i.mode})` : '',
          i.master ? `@${i.master}` : '',
        ].join('');
        return [
          n === 0 ? node.name : '',
          n === 0 ? node.role : '',
          n === 0 ? node.netns : '',
          `${i.name}${i.up ? '' : ' (down)'}`,
          kind,
          i.addresses.join(' '),
          q ? `${q.rateMbit} Mbit/s` : '',
        ];
      });
  });
  const missing = status.missing.length ? `\nmissing namespaces: ${status.missing.join(', ')}` : '';
  const cores = (v: number | null) => (v === null ? 'no budget' : `${+v.toFixed(3)} cores`);
  const dom0 = status.dom0.map((d) => [
    d.host,
    d.backend,
    d.pid === null ? '' : `${d.pid}${d.running ? '' : ' (NOT RUNNING)'}`,
    cores(d.cpus),
    cores(d.guestsCpus),
  ]);
  return `${head}\n\n${formatTable(['node', 'role', 'namespace', 'interface', 'kind', 'address', 'shaped'], rows)}\n\n${formatTable(['host', 'dom0 backend', 'backend pid', 'dom0 CPU', 'guests CPU'], dom0)}${missing}`;
}

export function formatReachability(report: ReachabilityReport): string {
  const failed = report.pairs.filter((p) => !p.ok);
  const rows = failed.map((p) => [
    p.from,
    p.to,
    p.sameHost ? 'same host' : 'across hosts',
    p.error ?? 'failed',
  ]);
  const summary = `${report.pairs.length - failed.length}/${report.pairs.length} ordered pairs reachable over TCP`;
  return failed.length === 0
    ? `${summary}: ok`
    : `${summary}\n\n${formatTable(['from', 'to', 'where', 'error'], rows)}`;
}
