/** Calibrations with round numbers for the model's unit tests, and the paper topology on iov. */
import {
  CALIBRATION_VERSION,
  type Calibration,
  fingerprint,
  type RuntimeLevel,
  THIN_DEPTH,
} from '../../src/model/calibration.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';

export const paper = resolveTopology(presetSpec('paper'), { datapath: 'iov' });

export const line = (a: number, g: number) => ({
  segments: [{ fromBytes: 0, a, g }],
  error: 0,
  points: 10,
});

/** A calibration with round numbers: 10 us + 1 GB/s across hosts, 5 us + 4 GB/s between vms,
 * 1 us + 8 GB/s inside a vm; 1 GB/s shared per uplink; 1 ns per cell, no packing, no runtime
 * cost of its own. */
type Loose<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
type LooseLevel = Loose<RuntimeLevel, 'depth' | 'thick'>;
type Overrides = Omit<Partial<Calibration>, 'runtime' | 'kernel' | 'machine'> & {
  runtime?: readonly LooseLevel[];
  kernel?: Loose<Calibration['kernel'], 'shared'>;
  machine?: Loose<Calibration['machine'], 'cpu' | 'kernel' | 'memoryBytes'>;
};
const MACHINE = { cpu: 'a test machine', kernel: 'Linux', memoryBytes: 2 ** 34 };

/** A level as calibrate writes it: thin runs 4 deep and thick ones (here costing as thin ones,
 * unless given). */
const full = (level: LooseLevel): RuntimeLevel => ({
  depth: THIN_DEPTH,
  thick: { depth: 24, classes: level.classes },
  ...level,
});

export function roundCalibration(overrides: Overrides = {}): Calibration {
  const { runtime, kernel, machine, ...rest } = overrides;
  return {
    version: CALIBRATION_VERSION,
    topology: { name: 'paper', fingerprint: fingerprint(paper), rateMbit: 10000 },
    datapath: 'iov',
    machine: { ...MACHINE, cores: 16, emulated: false, ...machine },
    classes: {
      'intra-vm': { latency: line(1e-6, 1 / 8e9), stream: line(0.5e-6, 1 / 8e9) },
      'inter-vm': { latency: line(5e-6, 1 / 4e9), stream: line(2e-6, 1 / 4e9) },
      'inter-host': { latency: line(10e-6, 1 / 1e9), stream: line(4e-6, 1 / 1e9) },
    },
    sharing: { singleFlowBytesPerS: 1e9, aggregateBytesPerS: 1e9, pairs: 4 },
    kernel: { step: line(0, 1e-9), packSecondsPerByte: 0, shared: [], ...kernel },
    runtime: (
      runtime ?? [
        {
          ranks: 16,
          classes: { 'inter-host': { cpu: line(0, 0), transient: line(0, 0) } },
          utilization: 1,
        },
      ]
    ).map(full),
    measuredAt: '2026-11-26T00:00:00Z',
    ...rest,
  };
}
