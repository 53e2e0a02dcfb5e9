/**
 * A synthetic results database for report tests: every kind of run a study stores, with
 * figures chosen so that each part of the report has something to show (two repeats, so that
 * spreads are not zero; iov beating bridged only when many messages cross hosts, so that
 * Figure 4 has a crossover). Not measurements: the report's integration test on a real
 * `vmpath reproduce --quick` database covers those.
 */
import type { RunRecord } from '../../src/store/db.js';
import { Store } from '../../src/store/db.js';

export type FixtureRun = Omit<RunRecord, 'id' | 'sweepId' | 'environmentId'>;

const SHARES: Record<string, number> = { 'inter-node': 1, 'intra-node': 1 / 15, hybrid: 7 / 15 };
const STAMP = '2026-11-26T00:00:00.000Z';

function run(
  key: string,
  kind: string,
  params: Record<string, unknown>,
  summary: Record<string, unknown>,
  samples: unknown = null,
): FixtureRun {
  return {
    key,
    kind,
    params,
    status: 'done',
    startedAt: STAMP,
    finishedAt: STAMP,
    summary,
    samples,
    error: null,
  };
}

/** A complete advect summary around the given figures (the rest plausible, for the schema). */
export function advectSummary(
  figures: { wallS: number; computeS: number; packS?: number; commS: number; share: number },
  ranks = 16,
): Record<string, unknown> {
  const { wallS, computeS, packS = 0, commS, share } = figures;
  return {
    wallS,
    computeS,
    packS,
    commS,
    mcups: (32 ** 3 * 16) / wallS / 1e6,
    messagesPerStep: 2 * (ranks - 1),
    bytesPerStep: 2 * (ranks - 1) * 8192,
    maxRssBytes: 50e6,
    checksum: '00000000deadbeef',
    errors: { l1: 1e-3, max: 1e-2 },
    interHostMessageShare: share,
    interHostByteShare: share,
    classes: {
      'intra-vm': { messages: 0, bytes: 0 },
      'inter-vm': { messages: 0, bytes: 0 },
      'inter-host': { messages: 32 * share, bytes: 32 * share * 8192 },
    },
  };
}

/** A complete stream bench summary of a total (MiB/s). */
export function streamSummary(total: number): Record<string, unknown> {
  return { unit: 'MiB/s', total, perPair: [], rateMbit: null, linkMiBps: null };
}

/** The pipeline's matrix of `ranks` ranks: i -> i+1, `bytes` each. */
export function pipelineMatrix(ranks: number, bytes: number) {
  return Array.from({ length: ranks - 1 }, (_, i) => ({
    from: i,
    to: i + 1,
    messages: 16,
    bytes,
    transport: i % 2 ? 'tcp' : 'local',
  }));
}

export function fixtureRuns(options: { placementName?: string } = {}): FixtureRun[] {
  const runs: FixtureRun[] = [];
  for (const repeat of [1, 2]) {
    const jitter = repeat === 1 ? 0.95 : 1.05;
    for (const datapath of ['native', 'bridged', 'iov']) {
      const perPair =
        datapath === 'native'
          ? [1200]
          : datapath === 'bridged'
            ? [100, 110, 105, 95]
            : [160, 158, 162, 159];
      const pairs = perPair.map((v, i) => ({
        from: `node${i + 1}`,
        to: `node${i + 5}`,
        value: v * jitter,
      }));
      for (const tool of ['vmpath', 'iperf3'])
        runs.push(
          run(
            `bench/${datapath}/stream/${tool}/1s/#${repeat}`,
            'bench',
            { kind: 'bench', datapath, test: 'stream', tool, durationS: 1, repeat },
            {
              unit: 'MiB/s',
              total: pairs.reduce((s, p) => s + p.value, 0),
              perPair: pairs,
              rateMbit: 10000,
              linkMiBps: (10000 * 1e6) / 8 / 1048576,
            },
          ),
        );
      runs.push(
        run(
          `bench/${datapath}/rr/vmpath/1s/#${repeat}`,
          'bench',
          { kind: 'bench', datapath, test: 'rr', tool: 'vmpath', durationS: 1, repeat },
          {
            unit: 'transactions/s',
            total: 20000 * jitter,
            perPair: [{ from: 'node1', to: 'node5', value: 20000 * jitter }],
            rateMbit: 10000,
            linkMiBps: 1192,
          },
        ),
      );
      for (const tool of ['vmpath', 'openmpi']) {
        const sizes = [8, 64, 512, 4096, 32768, 262144, 2097152];
        runs.push(
          run(
            `bench/${datapath}/osu/${tool}/1s/#${repeat}`,
            'osu',
            { kind: 'bench', datapath, test: 'osu', tool, durationS: 1, repeat },
            {
              from: 'node1',
              to: 'node5',
              latencyUs: sizes.map((bytes) => ({
                bytes,
                value: (tool === 'vmpath' ? 40 : 12) * jitter + bytes / 1000,
              })),
              bwMiBps: sizes.map((bytes) => ({
                bytes,
                value: Math.min(2000, bytes / 100) * jitter + 1,
              })),
              latency8Us: (tool === 'vmpath' ? 40 : 12) * jitter,
              bw1MiBps: 2000 * jitter,
            },
          ),
        );
      }
      const advect = (ranks: number, decomp: number[], placement: string) => {
        const share = SHARES[placement] ?? 0.5;
        const commS =
          (datapath === 'bridged'
            ? 0.01 + 0.1 * share
            : datapath === 'iov'
              ? 0.02 + 0.03 * share
              : 0.015) * jitter;
        const computeS = (0.32 / ranks) * jitter;
        const packS = 0.002;
        const name =
          placement === 'hybrid' && options.placementName ? options.placementName : placement;
        runs.push(
          run(
            `advect/${datapath}/32x32x32x16/${ranks}/${decomp.join('x')}/${name}/vmpath/#${repeat}`,
            'advect',
            {
              kind: 'advect',
              datapath,
              grid: [32, 32, 32],
              steps: 16,
              ranks,
              decomp,
              placement: name,
              engine: 'vmpath',
              repeat,
            },
            advectSummary(
              { wallS: computeS + packS + commS + 0.001, computeS, packS, commS, share },
              ranks,
            ),
            { ranks: [], matrix: pipelineMatrix(ranks, 8192) },
          ),
        );
      };
      for (const placement of ['inter-node', 'intra-node', 'hybrid'])
        for (const decomp of [
          [1, 1, 16],
          [1, 16, 1],
          [16, 1, 1],
        ])
          advect(16, decomp, placement);
      for (const ranks of [2, 4, 8]) advect(ranks, [1, 1, ranks], 'hybrid');
      for (const placement of ['inter-node', 'intra-node', 'hybrid'])
        runs.push(mpiRun(datapath, placement, repeat, jitter));
    }
  }
  return runs;
}

/** A profiled run of an MPI program (halo2d, 16 ranks): bridged pays for each message that
 * crosses hosts three times what iov pays, and less for those that stay. */
function mpiRun(datapath: string, placement: string, repeat: number, jitter: number): FixtureRun {
  const share = SHARES[placement] as number;
  const comm = datapath === 'bridged' ? 0.02 + 0.3 * share : 0.04 + 0.1 * share;
  const programS = (0.2 + comm) * jitter;
  const command = ['/opt/apps/halo2d', '64', '64', '4', '4', '20'];
  const key = `mpi/${datapath}/halo2d/${command.slice(1).join(' ')}/16/${placement}/#${repeat}`;
  const messages = 1000;
  const cross = Math.round(messages * share);
  return run(
    key,
    'mpi',
    { kind: 'mpi', datapath, name: 'halo2d', command, ranks: 16, placement, profile: true, repeat },
    {
      wallS: programS + 0.4,
      programS,
      machines: 8,
      classes: {
        'intra-vm': { messages: messages - cross, bytes: (messages - cross) * 256 },
        'inter-vm': { messages: 0, bytes: 0 },
        'inter-host': { messages: cross, bytes: cross * 256 },
      },
      interHostMessageShare: cross / messages,
      interHostByteShare: cross / messages,
    },
    {
      ranks: [],
      tails: [{ rank: 0, lines: ['halo2d sum 1 1 conserved'] }],
      matrix: [{ from: 0, to: 1, messages, bytes: messages * 256 }],
    },
  );
}

/** The charts the report draws from the fixture, in its order. */
export const FIXTURE_CHARTS = [
  'figure-2',
  'figure-3',
  'figure-4',
  'osu-latency',
  'osu-bw',
  'matrix',
  'program-1-time',
  'program-1-speedup',
];

export const FIXTURE_ENVIRONMENT = {
  kernel: '6.1.0-test',
  cpuModel: 'Test CPU <fast>',
  cpuCount: 2,
  node: 'v20.20.2',
  vmpath: '0.1.0',
  gitRevision: '0123456789abcdef0123456789abcdef01234567',
  tools: { ip: 'ip utility', iperf3: null, mpirun: null },
};

/** Writes the fixture into a new database at `file`; `filter` keeps some runs only. */
export function writeFixtureDb(
  file: string,
  filter: (r: FixtureRun) => boolean = () => true,
  runs = fixtureRuns(),
): void {
  const store = Store.open(file);
  try {
    const environmentId = store.addEnvironment(FIXTURE_ENVIRONMENT);
    const sweepId = store.sweepFor('fixture', 'f1x7ure', { name: 'fixture <study>' });
    for (const r of runs.filter(filter)) store.recordRun({ ...r, sweepId, environmentId });
  } finally {
    store.close();
  }
}
