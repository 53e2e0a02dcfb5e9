/**
 * `vmpath cluster check`: whether every node of an inventory answers as it says.
 */
import type { Command } from 'commander';
import { checkCluster, type NodeCheck } from '../../cluster/check.js';
import { clusterTarget } from '../../cluster/target.js';
import { VmpathError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { interruptible } from '../interrupt.js';
import { formatTable } from '../table.js';
import { readInventory } from '../testbeds.js';

/** Where a node is in the inventory, for errors: `hosts[0].vms[1]`. */
function fieldOf(
  check: NodeCheck,
  hosts: readonly { name: string; vms: readonly { name: string }[] }[],
): string {
  const h = hosts.findIndex((x) => x.name === check.node.host);
  const host = hosts[h];
  const v = host?.vms.findIndex((x) => x.name === check.node.name) ?? -1;
  return check.node.role === 'host' || v < 0 ? `hosts[${h}]` : `hosts[${h}].vms[${v}]`;
}

export function formatChecks(checks: readonly NodeCheck[]): string {
  return formatTable(
    [
      'node',
      'host',
      'address',
      'answers as',
      'leaves from',
      'node.js',
      'vmpath',
      'iperf3',
      'open mpi',
      'verdict',
    ],
    checks.map((c) => [
      c.node.name,
      c.node.host ?? '',
      c.node.address ?? '',
      c.facts?.hostname ?? '-',
      c.facts?.source ?? '-',
      c.facts?.node ?? '-',
      c.facts?.vmpath ?? '-',
      c.facts?.iperf3?.replace(/^iperf /, '').split(' ')[0] ?? '-',
      c.facts?.openmpi?.replace(/^.*\) /, '') ?? '-',
      c.problems.length ? `FAILED: ${c.problems.map((p) => p.text).join('; ')}` : 'ok',
    ]),
  );
}

export function clusterCommands(program: Command, ctx: CliContext): void {
  const cluster = program
    .command('cluster')
    .description('real clusters described by an inventory (hosts, vms, ssh or Slurm)');
  cluster
    .command('check')
    .description(
      'reach every node, check its tools (same Node.js, vmpath, iperf3, Open MPI) and the address its traffic leaves from',
    )
    .requiredOption('--cluster <file>', 'the inventory (YAML or JSON)')
    .option('--json', 'print JSON')
    .action(async (flags: { cluster: string; json?: boolean }) => {
      const inventory = readInventory(ctx, flags.cluster);
      const target = clusterTarget(inventory, ctx.env);
      const checks = await interruptible(() => checkCluster(ctx.runner, target));
      ctx.out(
        flags.json
          ? JSON.stringify(
              {
                kind: 'vmpath.cluster.check',
                version: 1,
                cluster: inventory.name,
                launcher: target.launcher.kind,
                nodes: checks.map((c) => ({
                  name: c.node.name,
                  host: c.node.host,
                  address: c.node.address,
                  facts: c.facts,
                  problems: c.problems,
                })),
              },
              null,
              2,
            )
          : formatChecks(checks),
      );
      const failed = checks.find((c) => c.problems.length > 0);
      if (failed) {
        const field = fieldOf(failed, inventory.topology.hosts);
        const problem = failed.problems[0] as { field: string; text: string };
        throw new VmpathError(
          'E_CLUSTER_CHECK',
          `${flags.cluster}: ${problem.field === 'address' ? `${field}.address` : field} (node ${failed.node.name}): ${problem.text}${checks.filter((c) => c.problems.length).length > 1 ? ` (and ${checks.filter((c) => c.problems.length).length - 1} more node(s): see the table)` : ''}`,
          { details: { field, node: failed.node.name } },
        );
      }
      ctx.err(`vmpath cluster check: ${checks.length} nodes of ${target.label} answer as it says`);
    });
}
