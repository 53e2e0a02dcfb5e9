/**
 * Built-in topologies, as raw specs (validated like any user file). Pure.
 */
import { VmpathError } from '../core/errors.js';
import type { TopologyInput } from './schema.js';

function vms(first: number, count: number, slots: number): TopologyInput['hosts'][number]['vms'] {
  return Array.from({ length: count }, (_, i) => ({ name: `node${first + i}`, slots }));
}

/** Name -> { description, spec }. */
export const PRESETS: Readonly<Record<string, { description: string; spec: TopologyInput }>> = {
  paper: {
    description:
      "the 2010 study: 2 hosts x 4 dual-vCPU vms, 10 Gbit/s back-to-back uplinks (node1-4, node5-8), each host's dom0 an eighth of its cores",
    spec: {
      name: 'paper',
      description: 'Two Xen hosts, four dual-core VMs each, two 10GbE adapters back to back',
      datapath: 'bridged',
      iov: { mode: 'veb', maxVfs: 64 },
      // One of the study's eight cores per host for Dom0 (a single-vCPU Dom0): an eighth of
      // each host's cores; the rest is the guests' budget on every data path. README, "The
      // emulated dom0", says why and what a quarter gives instead.
      dom0: { cpus: '12.5%' },
      hosts: [
        { name: 'host0', uplink: { rateMbit: 10_000 }, vms: vms(1, 4, 2) },
        { name: 'host1', uplink: { rateMbit: 10_000 }, vms: vms(5, 4, 2) },
      ],
    },
  },
  tiny: {
    description: 'for tests: 2 hosts x 2 single-vCPU vms, unshaped cable',
    spec: {
      name: 'tiny',
      datapath: 'bridged',
      hosts: [
        { name: 'host0', vms: vms(1, 2, 1) },
        { name: 'host1', vms: vms(3, 2, 1) },
      ],
    },
  },
  trio: {
    description: 'for tests: 3 hosts x 1 single-vCPU vm joined by a switch namespace',
    spec: {
      name: 'trio',
      datapath: 'bridged',
      hosts: [
        { name: 'host0', vms: vms(1, 1, 1) },
        { name: 'host1', vms: vms(2, 1, 1) },
        { name: 'host2', vms: vms(3, 1, 1) },
      ],
    },
  },
};

/** The raw spec of a preset, or an input error listing the presets. */
export function presetSpec(name: string): TopologyInput {
  const preset = PRESETS[name];
  if (!preset) {
    throw new VmpathError(
      'E_SPEC_PRESET',
      `--preset: got ${JSON.stringify(name)}; allowed: ${Object.keys(PRESETS).join(', ')}`,
      { details: { field: '--preset', value: name, allowed: Object.keys(PRESETS).join(', ') } },
    );
  }
  return structuredClone(preset.spec);
}
