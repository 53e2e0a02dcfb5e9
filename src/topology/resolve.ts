/**
 * Turns raw spec input into a frozen, fully defaulted `Topology`, or throws one E_SPEC_INVALID
 * error naming every bad field, its value and what is allowed. Pure.
 */
import type { z } from 'zod';
import { invalidField, showValue, VmpathError } from '../core/errors.js';
import { BENCHMARK_RANGE, cidrWithin, hostAddress, parseCidr, usableAddresses } from './address.js';
import { type TopologyInput, topologySchema } from './schema.js';
import {
  ATTACHMENT,
  type Attachment,
  DATAPATHS,
  type Datapath,
  type Dom0Backend,
  type Host,
  type IovMode,
  type Topology,
  usesVf,
  type Vm,
} from './types.js';

/** Overrides applied on top of a spec, as the CLI's --datapath and --rate options ask. */
export interface TopologyOverrides {
  /** Every vm gets this data path. */
  datapath?: Datapath;
  /** Every uplink gets this rate; 0 means no shaping. */
  rateMbit?: number;
}

export const DEFAULTS = {
  name: 'custom',
  datapath: 'bridged' as Datapath,
  iov: { mode: 'veb' as IovMode, maxVfs: 64 },
  switchName: 'sw',
} as const;

/** Formats a zod path as `hosts[0].vms[1].slots`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  }
  return out || '(top level)';
}

/** One zod issue as `field: got value; allowed: ...`; an unknown key points at the README's
 * `section` on the format. */
export function describeIssue(issue: z.core.$ZodIssue, section = 'Topology specs'): string {
  const field = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${field}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => showValue(k)).join(', ')}; check the spelling (see README, "${section}")`;
  }
  const value = (issue as { input?: unknown }).input;
  const got = value === undefined ? 'missing' : `got ${showValue(value)}`;
  return `${field}: ${got}; allowed: ${issue.message}`;
}

/** Validates raw input against the schema, throwing one error that lists the problems. */
export function parseTopologyInput(raw: unknown, source = 'topology'): TopologyInput {
  const result = topologySchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => describeIssue(issue));
  const first = result.error.issues[0];
  const shown = lines.slice(0, 6).join('\n  ');
  const more = lines.length > 6 ? `\n  (${lines.length - 6} more)` : '';
  throw new VmpathError('E_SPEC_INVALID', `${source}: invalid spec\n  ${shown}${more}`, {
    details: { field: first ? formatPath(first.path) : undefined, problems: lines },
  });
}

function applyOverrides(input: TopologyInput, overrides: TopologyOverrides): TopologyInput {
  if (
    overrides.rateMbit !== undefined &&
    (!Number.isFinite(overrides.rateMbit) || overrides.rateMbit < 0)
  ) {
    throw invalidField(
      'E_CLI_USAGE',
      '--rate',
      overrides.rateMbit,
      'a rate in Mbit/s > 0, or 0 for no shaping',
    );
  }
  return {
    ...input,
    hosts: input.hosts.map((host) => ({
      ...host,
      uplink:
        overrides.rateMbit === undefined
          ? host.uplink
          : { ...host.uplink, rateMbit: overrides.rateMbit === 0 ? undefined : overrides.rateMbit },
      vms: host.vms.map((vm) =>
        overrides.datapath ? { ...vm, datapath: overrides.datapath } : vm,
      ),
    })),
  };
}

function checkNames(input: TopologyInput, switchName: string | null): void {
  const seen = new Map<string, string>();
  const claim = (name: string, field: string) => {
    const earlier = seen.get(name);
    if (earlier) {
      throw invalidField(
        'E_SPEC_INVALID',
        field,
        name,
        `a name not used elsewhere (already used by ${earlier})`,
      );
    }
    seen.set(name, field);
  };
  if (switchName) claim(switchName, 'switch.name');
  input.hosts.forEach((host, h) => {
    claim(host.name, `hosts[${h}].name`);
    host.vms.forEach((vm, v) => {
      claim(vm.name, `hosts[${h}].vms[${v}].name`);
    });
  });
}

/** The data paths that attach one way, e.g. `iov/shm`. */
const attaching = (way: Attachment) => DATAPATHS.filter((d) => ATTACHMENT[d] === way).join('/');

/** Checks that one host's vms attach to its uplink one way, and the VF budget of its uplink. */
function checkHostDatapaths(host: Host, h: number): void {
  const kinds = new Set(host.vms.map((vm) => vm.datapath));
  const ways = new Set(host.vms.map((vm) => ATTACHMENT[vm.datapath]));
  if (ways.size > 1) {
    throw invalidField(
      'E_SPEC_INVALID',
      `hosts[${h}].vms[].datapath`,
      [...kinds].join('+'),
      ways.has('host')
        ? `${attaching('host')} on every vm of a host or on none (${attaching('host')} means the ranks run on the host itself)`
        : `${attaching('bridge')} on every vm of a host, or ${attaching('vf')} on every vm: the emulated uplink is either a bridge port or the lower device of macvlan VFs`,
    );
  }
  const vfs = host.vms.filter((vm) => usesVf(vm.datapath)).length;
  if (vfs > host.iov.maxVfs) {
    throw invalidField(
      'E_SPEC_INVALID',
      `hosts[${h}].iov.maxVfs`,
      host.iov.maxVfs,
      `at least ${vfs}: host ${host.name} has ${vfs} iov/shm vms and each needs its own virtual function`,
    );
  }
}

/** A dom0 budget must leave the guests some of the host's cores. */
function checkHostCpus(host: Host, h: number): void {
  const budget = host.dom0.cpus;
  if (budget && 'share' in budget && !(budget.share > 0)) {
    throw invalidField(
      'E_SPEC_INVALID',
      `hosts[${h}].dom0.cpus`,
      `${budget.share * 100}%`,
      "a share of the host's cores greater than 0% and less than 100%",
    );
  }
  if (host.cpus !== null && budget && 'cores' in budget && budget.cores >= host.cpus) {
    throw invalidField(
      'E_SPEC_INVALID',
      `hosts[${h}].dom0.cpus`,
      budget.cores,
      `less than the host's ${host.cpus} cores (hosts[${h}].cpus): the rest is the guests' budget`,
    );
  }
}

function resolveSwitch(input: TopologyInput, hosts: readonly Host[]): { name: string } | null {
  const vepa = hosts.some((h) => h.iov.mode === 'vepa' && h.vms.some((vm) => usesVf(vm.datapath)));
  const needed = hosts.length !== 2 || vepa;
  if (input.switch === false && needed) {
    const why = vepa
      ? 'vepa mode reflects vm-to-vm frames at the switch'
      : 'only two hosts can share one cable';
    throw invalidField('E_SPEC_INVALID', 'switch', false, `true or { name } here: ${why}`);
  }
  if (typeof input.switch === 'object') return { name: input.switch.name };
  return needed || input.switch === true ? { name: DEFAULTS.switchName } : null;
}

function resolveSubnet(input: TopologyInput): {
  subnet: string;
  cidr: NonNullable<ReturnType<typeof parseCidr>>;
} {
  const subnet = input.addressing?.subnet ?? BENCHMARK_RANGE;
  const cidr = parseCidr(subnet);
  const range = parseCidr(BENCHMARK_RANGE);
  if (!cidr || !range || !cidrWithin(cidr, range)) {
    throw invalidField(
      'E_SPEC_INVALID',
      'addressing.subnet',
      subnet,
      'an IPv4 block a.b.c.d/n inside 198.18.0.0/15 (RFC 2544 benchmarking range) with host bits zero',
    );
  }
  return { subnet, cidr };
}

/** Validates and resolves a raw spec into a frozen Topology. */
export function resolveTopology(
  raw: unknown,
  overrides: TopologyOverrides = {},
  source = 'topology',
): Topology {
  const input = applyOverrides(parseTopologyInput(raw, source), overrides);
  const defaultPath = input.datapath ?? DEFAULTS.datapath;
  const defaultIov = { ...DEFAULTS.iov, ...input.iov };
  const { subnet, cidr } = resolveSubnet(input);
  let next = 0;
  const hosts: Host[] = input.hosts.map((host, h) => {
    const vms = host.vms.map((vm) => ({
      name: vm.name,
      slots: vm.slots,
      datapath: (vm.datapath ?? defaultPath) as Datapath,
    }));
    const native = vms.every((vm) => vm.datapath === 'native');
    const dom0 = { ...input.dom0, ...host.dom0 };
    const resolved: Host = {
      name: host.name,
      cpus: host.cpus ?? null,
      dom0: {
        // A dom0 named in the spec is the user-space one unless it says otherwise.
        backend: (dom0.backend ?? (input.dom0 || host.dom0 ? 'user' : 'kernel')) as Dom0Backend,
        cpus:
          dom0.cpus === undefined
            ? null
            : typeof dom0.cpus === 'number'
              ? { cores: dom0.cpus }
              : { share: Number.parseFloat(dom0.cpus) / 100 },
      },
      uplink: {
        rateMbit: host.uplink?.rateMbit ?? null,
        burstBytes: host.uplink?.burstBytes ?? null,
        delayMs: host.uplink?.delayMs ?? 0,
      },
      iov: { ...defaultIov, ...host.iov } as Host['iov'],
      native,
      address: native ? hostAddress(cidr, next++) : null,
      vms: vms.map((vm): Vm => ({ ...vm, address: native ? null : hostAddress(cidr, next++) })),
    };
    checkHostDatapaths(resolved, h);
    checkHostCpus(resolved, h);
    return resolved;
  });
  if (next > usableAddresses(cidr)) {
    throw invalidField(
      'E_SPEC_INVALID',
      'addressing.subnet',
      subnet,
      `a block with at least ${next} host addresses`,
    );
  }
  const sw = resolveSwitch(input, hosts);
  checkNames(input, sw?.name ?? null);
  return deepFreeze({
    name: input.name ?? DEFAULTS.name,
    description: input.description ?? '',
    addressing: { subnet, prefixLength: cidr.prefixLength },
    switch: sw,
    hosts,
  });
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
