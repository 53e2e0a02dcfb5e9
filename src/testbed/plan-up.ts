/**
 * The plan that builds a testbed: namespaces, then the wire (a cable or a switch), then each
 * host's data path, then shaping. Pure: `planUp` returns steps; `apply.ts` runs them.
 */
import { availableParallelism } from 'node:os';
import { vmsOf } from '../topology/query.js';
import type { Topology } from '../topology/types.js';
import { planBudgets } from './budgets.js';
import { datapathRecord, hostDatapath } from './datapaths/index.js';
import { BRIDGE, hostNetns, switchNetns, switchPort, UPLINK, vmNetns } from './names.js';
import { addBridge, ip, linkUp, type PlanContext, type Step } from './plan.js';
import { planShaping } from './shaping.js';

function addNetns(name: string, what: string): Step[] {
  return [
    {
      argv: ['ip', 'netns', 'add', name],
      netns: name,
      description: `namespace of ${what}`,
      creates: { kind: 'netns', name },
    },
    linkUp(name, 'lo'),
  ];
}

/** Every namespace, in creation order: switch, hosts, then each host's vms. */
export function planNamespaces(ctx: PlanContext): Step[] {
  const { id, topology } = ctx;
  const steps: Step[] = [];
  if (topology.switch)
    steps.push(
      ...addNetns(switchNetns(id, topology.switch.name), `switch ${topology.switch.name}`),
    );
  for (const host of topology.hosts)
    steps.push(...addNetns(hostNetns(id, host.name), `host ${host.name}`));
  for (const { host, vm } of vmsOf(topology)) {
    if (!host.native)
      steps.push(...addNetns(vmNetns(id, host.name, vm.name), `vm ${vm.name} on ${host.name}`));
  }
  return steps;
}

/** The wire: one veth cable between two hosts, or a veth from each host to a switch bridge. */
export function planWire(ctx: PlanContext): Step[] {
  const { id, topology } = ctx;
  const hosts = topology.hosts;
  if (!topology.switch) {
    const [a, b] = hosts;
    if (!a || !b) return [];
    const nsA = hostNetns(id, a.name);
    const nsB = hostNetns(id, b.name);
    return [
      {
        argv: [
          'ip',
          'link',
          'add',
          UPLINK,
          'netns',
          nsA,
          'type',
          'veth',
          'peer',
          'name',
          UPLINK,
          'netns',
          nsB,
        ],
        netns: nsA,
        description: `cable between ${a.name} and ${b.name} (veth pair, created inside both namespaces)`,
        creates: { kind: 'link', netns: nsA, name: UPLINK },
      },
    ];
  }
  const swNs = switchNetns(id, topology.switch.name);
  const steps = addBridge(swNs, BRIDGE, `switch ${topology.switch.name}`);
  hosts.forEach((host, h) => {
    const port = switchPort(host.name, `hosts[${h}].name`);
    steps.push(
      {
        argv: [
          'ip',
          'link',
          'add',
          port,
          'netns',
          swNs,
          'type',
          'veth',
          'peer',
          'name',
          UPLINK,
          'netns',
          hostNetns(id, host.name),
        ],
        netns: swNs,
        description: `cable from ${host.name} to switch port ${port}`,
        creates: { kind: 'link', netns: swNs, name: port },
      },
      ip(swNs, ['link', 'set', 'dev', port, 'master', BRIDGE], `${port} joins the switch`),
    );
    if (host.iov.mode === 'vepa' && datapathRecord(hostDatapath(host)).usesVf) {
      steps.push(
        ip(
          swNs,
          ['link', 'set', 'dev', port, 'type', 'bridge_slave', 'hairpin', 'on'],
          `hairpin on ${port} (vepa reflection)`,
        ),
      );
    }
    steps.push(linkUp(swNs, port));
  });
  return steps;
}

/** Egress shaping on each host's uplink, and on the switch port towards it. */
export function planLinkShaping(ctx: PlanContext): Step[] {
  const { id, topology } = ctx;
  return topology.hosts.flatMap((host, h) => [
    ...planShaping(hostNetns(id, host.name), UPLINK, host.uplink),
    ...(topology.switch
      ? planShaping(
          switchNetns(id, topology.switch.name),
          switchPort(host.name, `hosts[${h}].name`),
          host.uplink,
        )
      : []),
  ]);
}

/** The whole build, in order. */
export function planUp(topology: Topology, id: string): Step[] {
  const ctx: PlanContext = { id, topology };
  const datapaths = topology.hosts.flatMap((host, h) =>
    datapathRecord(hostDatapath(host)).plan(host, hostNetns(id, host.name), ctx, h),
  );
  return [...planNamespaces(ctx), ...planWire(ctx), ...planLinkShaping(ctx), ...datapaths];
}

/** Every namespace the plan creates, for checks that nothing is left. */
export function namespacesOf(steps: readonly Step[]): string[] {
  return steps.flatMap((step) => (step.creates?.kind === 'netns' ? [step.creates.name] : []));
}

/** Checks that `topology` can be built, as `up` would before creating anything (names within
 * the kernel's limits, data paths the hosts can take), without an id or root: for `topology
 * validate` and for plans made long before their testbed (sweeps). Throws E_SPEC_INVALID. */
export function checkBuildable(topology: Topology): void {
  planUp(topology, 'z'.repeat(8));
  planBudgets(topology, 'z'.repeat(8), availableParallelism());
}
