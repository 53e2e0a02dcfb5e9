/**
 * Socket buffer sizes for a test (netperf -s / -S). Node's net module cannot set SO_SNDBUF or
 * SO_RCVBUF, and iperf3 only sets both ends alike, so vmpath caps TCP's buffer autotuning in the
 * namespaces instead: net.ipv4.tcp_wmem = "4096 N N" where the sender runs and tcp_rmem where
 * the receiver runs. These sysctls are per network namespace, so only the testbed's own
 * namespaces change; the old values are put back when the test ends.
 */
import { inNetns } from '../sys/command.js';
import type { CommandRunner } from '../sys/runner.js';
import type { Pair } from './pairs.js';

export interface SocketBuffers {
  /** Sender's socket buffer cap in bytes; null leaves the namespace's default. */
  readonly sndbufBytes: number | null;
  readonly rcvbufBytes: number | null;
}

export const DEFAULT_BUFFERS: SocketBuffers = { sndbufBytes: null, rcvbufBytes: null };

/** Smallest buffer TCP accepts as a minimum (one page). */
export const MIN_BUFFER_BYTES = 4096;

export interface SysctlSetting {
  readonly netns: string;
  /** Path under /proc/sys, e.g. net/ipv4/tcp_wmem. */
  readonly key: string;
  readonly value: string;
}

/** The settings `buffers` asks for over `pairs`, one per namespace and key. Pure. */
export function planBuffers(pairs: readonly Pair[], buffers: SocketBuffers): SysctlSetting[] {
  const settings = new Map<string, SysctlSetting>();
  const add = (netns: string, key: string, bytes: number | null) => {
    if (bytes !== null)
      settings.set(`${netns} ${key}`, {
        netns,
        key,
        value: `${MIN_BUFFER_BYTES} ${bytes} ${bytes}`,
      });
  };
  for (const pair of pairs) {
    add(pair.from.netns, 'net/ipv4/tcp_wmem', buffers.sndbufBytes);
    add(pair.to.netns, 'net/ipv4/tcp_rmem', buffers.rcvbufBytes);
  }
  return [...settings.values()];
}

function read(runner: CommandRunner, s: SysctlSetting) {
  return runner.run({
    argv: inNetns(s.netns, ['cat', `/proc/sys/${s.key}`]),
    netns: s.netns,
    description: `read ${s.key}`,
  });
}

function write(runner: CommandRunner, s: SysctlSetting, value: string) {
  return runner.run(
    {
      argv: inNetns(s.netns, ['tee', `/proc/sys/${s.key}`]),
      netns: s.netns,
      description: `set ${s.key} to ${value}`,
    },
    { input: `${value}\n` },
  );
}

/** Applies the settings; returns what puts the old values back (call it in `finally`). */
export async function applyBuffers(
  runner: CommandRunner,
  settings: readonly SysctlSetting[],
): Promise<() => Promise<void>> {
  const applied: { setting: SysctlSetting; old: string }[] = [];
  const restore = async () => {
    for (const { setting, old } of applied.reverse()) await write(runner, setting, old);
  };
  try {
    for (const setting of settings) {
      const old = (await read(runner, setting)).stdout.trim().split(/\s+/).join(' ');
      applied.push({ setting, old });
      await write(runner, setting, setting.value);
    }
  } catch (error) {
    await restore();
    throw error;
  }
  return restore;
}
