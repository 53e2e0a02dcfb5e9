/**
 * `vmpath testbed up|status|exec|check|down|clean`.
 */
import { constants } from 'node:os';
import type { Command } from 'commander';
import { VmpathError } from '../../core/errors.js';
import { checkId, newId } from '../../core/ids.js';
import { inNetns } from '../../sys/command.js';
import { recordedBackends } from '../../testbed/dom0.js';
import { clean, down, type RemovalReport, up } from '../../testbed/lifecycle.js';
import { findNode } from '../../testbed/nodes.js';
import { listIds, TestbedState } from '../../testbed/state.js';
import { testbedStatus } from '../../testbed/status.js';
import { checkReachability } from '../../testbed/traffic.js';
import { PRESETS } from '../../topology/presets.js';
import type { CliContext } from '../context.js';
import { formatReachability, formatStatus, formatTestbedList, summaryOf } from '../format.js';
import { interruptible } from '../interrupt.js';
import { recordOf } from '../testbeds.js';

/** Says which processes outlive the namespaces they ran in (vmpath did not start them). */
function warnStray(ctx: CliContext, reports: readonly RemovalReport[]): void {
  for (const { netns, pid, command } of reports.flatMap((r) => r.strayProcesses)) {
    ctx.err(
      `warning: process ${pid} (${command.slice(0, 80)}) was still running in ${netns}; it keeps that namespace alive until it exits`,
    );
  }
}

export function testbedCommands(program: Command, ctx: CliContext): void {
  const testbed = program
    .command('testbed')
    .description('build, inspect and remove emulated clusters (needs root)');
  testbedUpCommand(testbed, ctx);
  testbedStatusCommand(testbed, ctx);
  testbedExecCommand(testbed, ctx);
  testbedCheckCommand(testbed, ctx);
  testbedDownCommand(testbed, ctx);
  testbedCleanCommand(testbed, ctx);
}

function testbedUpCommand(testbed: Command, ctx: CliContext): void {
  testbed
    .command('up')
    .description('build a testbed: namespaces, cable or switch, data paths, shaping; prints its id')
    .option('--topology <file>', 'YAML or JSON topology spec')
    .option('--preset <name>', `a built-in topology (${Object.keys(PRESETS).join(', ')})`)
    .option('--datapath <path>', 'override the data path of every vm: native, bridged, iov, shm')
    .option('--rate <mbit>', 'override every uplink rate in Mbit/s (0: no shaping)')
    .option('--id <id>', 'testbed id, 1-8 of a-z0-9 (default: random)')
    .option('--json', 'print the record as JSON')
    .action(
      async (options: {
        topology?: string;
        preset?: string;
        datapath?: string;
        rate?: string;
        id?: string;
        json?: boolean;
      }) => {
        // Loaded on demand: the spec parser (zod, yaml) is the slowest import, and only up needs it.
        const { loadTopology } = await import('../load.js');
        const topology = loadTopology(options);
        const id = options.id === undefined ? newId() : checkId(options.id);
        const record = await interruptible((signal) => up(ctx, topology, id, { signal }));
        ctx.out(options.json ? JSON.stringify(record, null, 2) : id);
      },
    );
}

function testbedStatusCommand(testbed: Command, ctx: CliContext): void {
  testbed
    .command('status')
    .description('hosts, vms, namespaces, interfaces, addresses, data paths and rates, read live')
    .option('--id <id>', 'testbed id (default: the only one; with several, they are listed)')
    .option('--json', 'print JSON')
    .action(async (options: { id?: string; json?: boolean }) => {
      const ids = listIds(ctx.stateDir);
      if (options.id === undefined && ids.length !== 1) {
        const records = ids.flatMap((id) => new TestbedState(ctx.stateDir, id).read() ?? []);
        ctx.out(
          options.json
            ? JSON.stringify(records.map(summaryOf), null, 2)
            : formatTestbedList(records.map(summaryOf)),
        );
        return;
      }
      const record = recordOf(ctx, options.id);
      const ledger = new TestbedState(ctx.stateDir, record.id).ledger.read();
      const status = await testbedStatus(ctx.runner, record, ledger);
      ctx.out(options.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      if (status.missing.length > 0 || status.dom0.some((d) => d.running === false))
        process.exitCode = 1;
    });
}

function testbedExecCommand(testbed: Command, ctx: CliContext): void {
  testbed
    .command('exec')
    .description(
      'run a command inside a host, vm or switch namespace; its exit code is passed through',
    )
    .requiredOption('--id <id>', 'testbed id')
    .argument('<node>', 'host, vm or switch name')
    .argument('<command...>', 'the command and its arguments (put -- before them)')
    .action(async (node: string, command: string[], options: { id: string }) => {
      const record = recordOf(ctx, options.id);
      const target = findNode(record.topology, record.id, node);
      const started = ctx.runner.start(
        {
          argv: inNetns(target.netns, command),
          netns: target.netns,
          description: `exec in ${node}`,
        },
        { stdio: 'inherit' },
      );
      const forward = (signal: NodeJS.Signals) => started.kill(signal);
      process.on('SIGTERM', forward);
      const result = await started.done.finally(() => process.off('SIGTERM', forward));
      // A command ended by a signal exits 128 + the signal's number, as shells report it.
      process.exitCode =
        result.exitCode ?? 128 + (result.signal ? (constants.signals[result.signal] ?? 0) : 0);
    });
}

function testbedCheckCommand(testbed: Command, ctx: CliContext): void {
  testbed
    .command('check')
    .description('open a TCP connection between every ordered pair of vms (or native hosts)')
    .option('--id <id>', 'testbed id (default: the only one)')
    .option('--json', 'print JSON')
    .action(async (options: { id?: string; json?: boolean }) => {
      const record = recordOf(ctx, options.id);
      const report = await checkReachability(ctx, record.topology, record.id);
      // A dom0 backend that is gone cuts its host's bridged vms off: say which, and why.
      const dead = recordedBackends(new TestbedState(ctx.stateDir, record.id).ledger.read())
        .filter((b) => !b.running)
        .map(
          (b) =>
            `the dom0 backend of ${b.host} (pid ${b.pid}) is not running: the bridged vms of ${b.host} are cut off from its bridge; rebuild the testbed (vmpath testbed down, then up)`,
        );
      ctx.out(
        options.json
          ? JSON.stringify({ ...report, ok: report.ok && dead.length === 0, dom0: dead }, null, 2)
          : [formatReachability(report), ...dead].join('\n'),
      );
      if (!report.ok || dead.length > 0) process.exitCode = 1;
    });
}

function testbedDownCommand(testbed: Command, ctx: CliContext): void {
  testbed
    .command('down')
    .description('remove a testbed by replaying its ledger in reverse; idempotent')
    .option('--id <id>', 'testbed id (default: the only one)')
    .action(async (options: { id?: string }) => {
      const id = options.id === undefined ? recordOf(ctx, undefined).id : checkId(options.id);
      const report = await down(ctx, id);
      warnStray(ctx, [report]);
      if (report.failures.length > 0) {
        throw new VmpathError(
          'E_TESTBED_APPLY',
          `testbed ${id}: could not remove everything:\n  ${report.failures.join('\n  ')}`,
        );
      }
      ctx.out(
        report.removedNetns.length > 0
          ? `testbed ${id} removed (${report.removedNetns.length} namespaces)`
          : `testbed ${id}: nothing to remove`,
      );
    });
}

function testbedCleanCommand(testbed: Command, ctx: CliContext): void {
  testbed
    .command('clean')
    .description('remove what crashed runs left: one id, or every vmpath testbed (--all)')
    .option('--id <id>', 'testbed id')
    .option('--all', 'every testbed and every namespace with the vmpath prefix')
    .action(async (options: { id?: string; all?: boolean }) => {
      if ((options.id === undefined) === (options.all === undefined)) {
        throw new VmpathError('E_CLI_USAGE', 'clean: give exactly one of --id ID or --all', {
          details: { field: '--id' },
        });
      }
      const reports = await clean(
        ctx,
        options.all ? { all: true } : { id: checkId(options.id as string) },
      );
      warnStray(ctx, reports);
      const removed = reports.reduce((n, r) => n + r.removedNetns.length, 0);
      const failures = reports.flatMap((r) => r.failures);
      if (failures.length > 0)
        throw new VmpathError(
          'E_TESTBED_APPLY',
          `clean: could not remove everything:\n  ${failures.join('\n  ')}`,
        );
      ctx.out(
        `removed ${removed} namespaces${reports.length ? ` (${reports.map((r) => r.id).join(', ')})` : ''}`,
      );
    });
}
