/**
 * Real traffic over a testbed, through the agent (agent.ts) started inside the namespaces:
 * `checkReachability` opens a TCP connection between every ordered pair of endpoints (like
 * Mininet's pingall, but TCP), `transfer` streams bytes from one node to another for a while.
 * Every agent started here is ended here, by PID, even when a check fails.
 */
import { fileURLToPath } from 'node:url';
import { VmpathError } from '../core/errors.js';
import { inNetns } from '../sys/command.js';
import type { CommandRunner, Started } from '../sys/runner.js';
import type { Topology } from '../topology/types.js';
import { endpointsOf, findNode, type TestbedNode } from './nodes.js';

/** The compiled agent next to this file. */
export const AGENT_PATH = fileURLToPath(new URL('./agent.js', import.meta.url));

export interface TrafficEnv {
  readonly runner: CommandRunner;
  /** The Node.js binary that runs the agent. */
  readonly execPath: string;
}

interface Server {
  readonly node: TestbedNode;
  readonly port: number;
  readonly process: Started;
}

function agentArgv(env: TrafficEnv, node: TestbedNode, args: string[]): string[] {
  return inNetns(node.netns, [env.execPath, AGENT_PATH, ...args]);
}

async function startServer(env: TrafficEnv, node: TestbedNode): Promise<Server> {
  if (!node.address)
    throw new VmpathError('E_TESTBED_NODE', `node ${node.name} has no address to serve on`);
  let onLine: (line: string) => void = () => {};
  const ready = new Promise<number>((resolve, reject) => {
    onLine = (text) => {
      const line = text.split('\n').find((l) => l.includes('"ready"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    };
    setTimeout(
      () =>
        reject(
          new VmpathError('E_TESTBED_CHECK', `agent on ${node.name} did not start within 10 s`),
        ),
      10_000,
    ).unref();
  });
  let seen = '';
  const started = env.runner.start(
    {
      argv: agentArgv(env, node, ['serve', '--bind', node.address]),
      netns: node.netns,
      description: `traffic agent on ${node.name}`,
    },
    {
      onStdout: (chunk) => {
        seen += chunk;
        onLine(seen);
      },
    },
  );
  started.done.catch(() => {});
  try {
    return { node, port: await ready, process: started };
  } catch (error) {
    started.kill('SIGKILL');
    throw error;
  }
}

async function withServers<T>(
  env: TrafficEnv,
  nodes: TestbedNode[],
  body: (servers: Server[]) => Promise<T>,
): Promise<T> {
  const servers: Server[] = [];
  try {
    for (const node of nodes) servers.push(await startServer(env, node));
    return await body(servers);
  } finally {
    for (const server of servers) server.process.kill('SIGTERM');
    await Promise.allSettled(servers.map((s) => s.process.done));
  }
}

export interface PairResult {
  readonly from: string;
  readonly to: string;
  /** Whether the two endpoints share a host (traffic may stay inside it). */
  readonly sameHost: boolean;
  readonly ok: boolean;
  readonly ms: number;
  readonly error?: string;
}

export interface ReachabilityReport {
  readonly ok: boolean;
  readonly pairs: readonly PairResult[];
}

/** TCP connect + ping/pong between every ordered pair of endpoints of a testbed. */
export async function checkReachability(
  env: TrafficEnv,
  topology: Topology,
  id: string,
): Promise<ReachabilityReport> {
  const endpoints = endpointsOf(topology, id);
  return withServers(env, endpoints, async (servers) => {
    const probes = endpoints.map(async (from) => {
      const others = servers.filter((s) => s.node.name !== from.name);
      const targets = others.map((s) => `${s.node.address}:${s.port}`).join(',');
      const result = await env.runner.run(
        {
          argv: agentArgv(env, from, ['probe', '--bind', from.address ?? '', '--targets', targets]),
          netns: from.netns,
          description: `probe from ${from.name}`,
        },
        { timeoutMs: 30_000 },
      );
      const replies = JSON.parse(result.stdout) as { ok: boolean; ms: number; error?: string }[];
      return others.map((server, i): PairResult => {
        const reply = replies[i] ?? { ok: false, ms: 0, error: 'no result' };
        return {
          from: from.name,
          to: server.node.name,
          sameHost: from.host === server.node.host,
          ok: reply.ok,
          ms: reply.ms,
          ...(reply.error ? { error: reply.error } : {}),
        };
      });
    });
    const pairs = (await Promise.all(probes)).flat();
    return { ok: pairs.every((p) => p.ok), pairs };
  });
}

export interface TransferResult {
  readonly from: string;
  readonly to: string;
  readonly sentBytes: number;
  readonly receivedBytes: number;
  /** Receiver's time from first to last byte. */
  readonly seconds: number;
  /** Received bytes over that time, in Mbit/s (10^6 bits). */
  readonly rateMbit: number;
}

/** Streams bytes from node `from` to node `to` for `seconds` over the testbed. */
export async function transfer(
  env: TrafficEnv,
  topology: Topology,
  id: string,
  from: string,
  to: string,
  seconds: number,
): Promise<TransferResult> {
  const source = findNode(topology, id, from);
  const sink = findNode(topology, id, to);
  return withServers(env, [sink], async ([server]) => {
    const target = `${sink.address}:${server?.port}`;
    const result = await env.runner.run(
      {
        argv: agentArgv(env, source, [
          'send',
          '--bind',
          source.address ?? '',
          '--target',
          target,
          '--seconds',
          String(seconds),
        ]),
        netns: source.netns,
        description: `stream ${from} -> ${to}`,
      },
      { timeoutMs: (seconds + 20) * 1000 },
    );
    const reply = JSON.parse(result.stdout) as { sent: number; received: number; seconds: number };
    return {
      from,
      to,
      sentBytes: reply.sent,
      receivedBytes: reply.received,
      seconds: reply.seconds,
      rateMbit: reply.seconds > 0 ? (reply.received * 8) / reply.seconds / 1e6 : 0,
    };
  });
}
