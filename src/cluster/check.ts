/**
 * `vmpath cluster check`: every node of an inventory reached through its launcher, and asked
 * what vmpath needs of it: the same Node.js and vmpath as here (at the same paths: ranks and
 * bench servers start from them), iperf3 and Open MPI at the same versions, and the address its
 * traffic towards this machine leaves from, which must be the one the inventory gives it (a
 * vm whose traffic leaves from another address is measured on another path than declared).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addressTowards } from '../sys/route.js';
import type { CommandRunner } from '../sys/runner.js';
import { endpointsOf, type TestbedNode } from '../testbed/nodes.js';
import { runOn } from './launcher.js';
import type { Target } from './target.js';

/** vmpath's folder (the one holding package.json). */
export const VMPATH_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What a node says of itself (PROBE's output). */
export interface NodeFacts {
  readonly hostname: string;
  readonly node: string;
  readonly vmpath: string | null;
  readonly iperf3: string | null;
  readonly openmpi: string | null;
  /** util-linux's setsid, which the ssh launcher's shell on the node starts commands with. */
  readonly setsid?: string | null;
  readonly source: string | null;
}

/** The probe, run on the node with this machine's Node.js path: one JSON line. */
export const PROBE = `
const { spawnSync } = require('node:child_process');
const { createSocket } = require('node:dgram');
const { readFileSync } = require('node:fs');
const [root, head] = process.argv.slice(1);
const first = (argv) => {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return r.status === 0 ? ((r.stdout || r.stderr).split('\\n').find(Boolean) ?? '').trim() : null;
};
let vmpath = null;
try { vmpath = JSON.parse(readFileSync(root + 'package.json', 'utf8')).version; } catch {}
const socket = createSocket('udp4');
const done = (source) => {
  console.log(JSON.stringify({
    hostname: require('node:os').hostname(), node: process.version, vmpath,
    iperf3: first(['iperf3', '--version']), openmpi: first(['mpirun', '--version']),
    setsid: first(['setsid', '--version']), source,
  }));
  socket.close();
};
socket.on('error', () => done(null));
socket.connect(9, head, () => done(socket.address().address));
`;

/** One node's verdict: what was found, and what is wrong (empty when nothing). */
export interface NodeCheck {
  readonly node: TestbedNode;
  readonly facts: NodeFacts | null;
  readonly problems: readonly { field: string; text: string }[];
}

/** What this machine has, to compare the nodes with. */
export function localFacts(): Omit<NodeFacts, 'hostname' | 'source' | 'setsid'> {
  const json = JSON.parse(readFileSync(`${VMPATH_ROOT}package.json`, 'utf8')) as {
    version: string;
  };
  return { node: process.version, vmpath: json.version, iperf3: null, openmpi: null };
}

/** What is wrong with a node's facts, each naming the inventory's field or the tool. Pure. */
export function judge(
  node: TestbedNode,
  facts: NodeFacts,
  here: Omit<NodeFacts, 'hostname' | 'source' | 'setsid'>,
): { field: string; text: string }[] {
  const problems: { field: string; text: string }[] = [];
  const same = (what: keyof typeof here, name: string, install: string) => {
    const theirs = facts[what];
    if (theirs === null) problems.push({ field: name, text: `${name} is missing (${install})` });
    else if (here[what] !== null && theirs !== here[what])
      problems.push({ field: name, text: `${name} ${theirs}, here ${here[what]}` });
  };
  same('node', 'node', `Node.js ${here.node} at ${process.execPath}`);
  same('vmpath', 'vmpath', `vmpath ${here.vmpath} at ${VMPATH_ROOT}`);
  same('iperf3', 'iperf3', 'apt-get install -y iperf3');
  same('openmpi', 'Open MPI', 'apt-get install -y openmpi-bin');
  if (facts.setsid === null)
    problems.push({ field: 'setsid', text: 'setsid is missing (util-linux)' });
  if (facts.source !== node.address)
    problems.push({
      field: 'address',
      text: `its traffic towards this machine leaves from ${facts.source ?? 'no address'}, not ${node.address}`,
    });
  return problems;
}

/** The versions of iperf3 and Open MPI here (first lines of their --version). */
async function toolVersions(runner: CommandRunner) {
  const first = async (argv: string[]) => {
    const r = await runner
      .run({ argv, description: argv.join(' ') }, { allowFailure: true })
      .catch(() => null);
    return r && r.exitCode === 0
      ? ((r.stdout || r.stderr).split('\n').find(Boolean) ?? '').trim()
      : null;
  };
  return {
    iperf3: await first(['iperf3', '--version']),
    openmpi: await first(['mpirun', '--version']),
  };
}

/** Reaches every endpoint of `target` at once and judges what each says. */
export async function checkCluster(runner: CommandRunner, target: Target): Promise<NodeCheck[]> {
  const here = { ...localFacts(), ...(await toolVersions(runner)) };
  const nodes = endpointsOf(target.topology, target.id);
  return Promise.all(
    nodes.map(async (node): Promise<NodeCheck> => {
      const head = await addressTowards(node.address ?? '127.0.0.1').catch(() => '127.0.0.1');
      const result = await runOn(
        runner,
        target.launcher,
        node,
        {
          argv: [process.execPath, '-e', PROBE, VMPATH_ROOT, head],
          description: `probe ${node.name}`,
        },
        { allowFailure: true, timeoutMs: 30_000 },
      ).catch((error: Error) => ({ exitCode: null, stdout: '', stderr: error.message }));
      const line = result.stdout.split('\n').find((l) => l.startsWith('{'));
      if (result.exitCode !== 0 || !line) {
        const why = result.stderr.trim().split('\n').slice(-2).join(' / ');
        const unreached = target.launcher.kind === 'ssh' && result.exitCode === 255;
        return {
          node,
          facts: null,
          problems: [
            unreached
              ? {
                  field: 'address',
                  text: `not reached over ssh at ${node.address}: ${why || 'no answer'}`,
                }
              : {
                  field: 'node',
                  text: `the probe (${process.execPath} -e) failed (exit ${result.exitCode}): ${why || 'no output'}; is Node.js at that path there?`,
                },
          ],
        };
      }
      const facts = JSON.parse(line) as NodeFacts;
      return { node, facts, problems: judge(node, facts, here) };
    }),
  );
}
