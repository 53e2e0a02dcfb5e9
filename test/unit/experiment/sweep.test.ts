/**
 * Sweep specs (validation, expansion, keys), the results store (schema, migrations, resume
 * bookkeeping) and the reproduce findings, computed from records.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { findings, REPRODUCE_SIZES, reproduceSpec } from '../../../src/experiment/reproduce.js';
import { expandSweep, parseSweep, runKey } from '../../../src/experiment/spec.js';
import { sweepOrder } from '../../../src/experiment/sweep-order.js';
import { type RunRecord, SCHEMA_VERSION, Store } from '../../../src/store/db.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';
import { advectSummary, streamSummary } from '../../support/report-fixture.js';
import { tempDir } from '../../support/temp.js';

const paper = resolveTopology(presetSpec('paper'));
const tiny = resolveTopology(presetSpec('tiny'));

test('a spec expands into the cartesian product, N standing for the rank count', () => {
  const spec = parseSweep({
    datapaths: ['bridged', 'iov'],
    bench: { tests: ['stream', 'rr'], tools: ['vmpath', 'iperf3'], durationS: 2 },
    advect: {
      grid: '32x32x32',
      steps: 4,
      ranks: [4, 16],
      decomps: ['1x1xN', 'Nx1x1'],
      placements: ['inter-node', 'hybrid'],
    },
    repeats: 2,
  });
  const runs = expandSweep(spec, paper);
  // per data path and repeat: 3 bench runs (iperf3 has no rr) + 2 x 2 x 2 advect runs
  assert.equal(runs.length, 2 * 2 * (3 + 8));
  assert.equal(new Set(runs.map(runKey)).size, runs.length, 'keys are unique');
  assert.ok(runs.some((r) => runKey(r) === 'advect/iov/32x32x32x4/16/16x1x1/hybrid/vmpath/#2'));
  assert.ok(runs.some((r) => runKey(r) === 'bench/bridged/stream/iperf3/2s/#1'));
  const study = parseSweep(
    reproduceSpec(REPRODUCE_SIZES.quick, 0, { iperf3: true, openmpi: true }),
  );
  // per data path and repeat (3, rotating): --quick has the stream alone, 3 placements at 16
  // ranks and the 8-rank pipeline
  assert.equal(study.repeats, 3);
  assert.equal(study.order, 'rotate');
  assert.equal(expandSweep(study, paper).length, 3 * 3 * (1 + 3 + 1));
  const normal = parseSweep(
    reproduceSpec(REPRODUCE_SIZES.default, 0, { iperf3: true, openmpi: true }),
  );
  // the default: 5 repeats, and iperf3's stream, rr and the 2 and 4 rank pipeline
  assert.equal(expandSweep(normal, paper).length, 3 * 5 * (3 + 3 + 3));
  const full = parseSweep(reproduceSpec(REPRODUCE_SIZES.full, 0, { iperf3: true, openmpi: true }));
  // --full: osu x (vmpath, openmpi), the three decompositions
  assert.equal(expandSweep(full, paper).length, 3 * 3 * (5 + 9 + 3));
  const bare = parseSweep(
    reproduceSpec(REPRODUCE_SIZES.quick, 0, { iperf3: false, openmpi: false }),
  );
  assert.equal(expandSweep(bare, paper).length, 3 * 3 * (1 + 3 + 1));
});

test('placements include optimized (graph mapping of the own pattern of the run); osu runs take openmpi', () => {
  const spec = parseSweep({
    datapaths: ['iov'],
    bench: { tests: ['osu', 'rr'], tools: ['vmpath', 'openmpi'] },
    advect: { grid: '32x32x32', steps: 2, ranks: [16], placements: ['optimized', 'intra-node'] },
  });
  const runs = expandSweep(spec, paper);
  assert.deepEqual(runs.map(runKey), [
    'bench/iov/osu/vmpath/3s/#1',
    'bench/iov/osu/openmpi/3s/#1',
    'bench/iov/rr/vmpath/3s/#1',
    'advect/iov/32x32x32x2/16/1x1x16/optimized/vmpath/#1',
    'advect/iov/32x32x32x2/16/1x1x16/intra-node/vmpath/#1',
  ]);
});

test('bad specs: the field, the value and what is allowed; placements checked against the topology', () => {
  const bad = (raw: unknown, message: RegExp, topology = paper) =>
    assert.throws(
      () => expandSweep(parseSweep(raw, 's.yaml'), topology),
      (e: Error & { kind?: string }) => e.kind === 'input' && message.test(e.message),
      message.source,
    );
  const advect = { grid: '16x16x16', steps: 2, ranks: [4] };
  bad({ datapaths: ['wire'] }, /^s\.yaml: datapaths\.0: got "wire"; allowed: /);
  bad({ datapaths: [] }, /datapaths: got \[\]/);
  bad({ datapaths: ['iov'], colour: 'red' }, /colour|Unrecognized/);
  bad({ datapaths: ['iov'], advect: { ...advect, grid: '16x16' } }, /advect\.grid: got "16x16"/);
  bad(
    { datapaths: ['iov'], advect: { ...advect, placements: ['spiral'] } },
    /advect\.placements\.0: got "spiral"/,
  );
  bad(
    { datapaths: ['iov'], advect: { ...advect, ranks: [8] } },
    /-n: got 8; allowed: 1 to 4 \(the slots of topology tiny\)/,
    tiny,
  );
  bad(
    { datapaths: ['iov'], advect: { ...advect, decomps: ['2x2x2'] } },
    /advect\.decomps\.0: got "2x2x2"; allowed: a decomposition of 4 ranks/,
  );
  bad(
    { datapaths: ['iov'], bench: { tools: ['iperf3'], durationS: 1.5 } },
    /bench\.durationS: got 1\.5; allowed: whole seconds/,
  );
  bad({ datapaths: ['iov'] }, /at least one of bench, advect or mpi/);
});

function record(
  over: Partial<RunRecord> & Pick<RunRecord, 'key' | 'kind' | 'params'>,
): Omit<RunRecord, 'id'> {
  return {
    sweepId: 1,
    environmentId: 1,
    status: 'done',
    startedAt: '2026-11-26T00:00:00Z',
    finishedAt: '2026-11-26T00:00:01Z',
    summary: {},
    samples: null,
    error: null,
    ...over,
  };
}

test('the store: a schema version, resume bookkeeping, a failed run replaced once done, never twice', () => {
  const file = join(tempDir('vmpath-store-'), 'r.db');
  const store = Store.open(file);
  const env = store.addEnvironment({ kernel: 'x' });
  const sweep = store.sweepFor('s', 'hash1', { a: 1 });
  assert.equal(store.sweepFor('s', 'hash1', { a: 1 }), sweep, 'one sweep per spec hash');
  store.recordRun({
    ...record({ key: 'k1', kind: 'advect', params: { n: 1 } }),
    sweepId: sweep,
    environmentId: env,
    status: 'failed',
    summary: null,
    error: 'boom',
  });
  assert.deepEqual([...store.doneKeys(sweep)], []);
  store.recordRun({
    ...record({ key: 'k1', kind: 'advect', params: { n: 1 } }),
    sweepId: sweep,
    environmentId: env,
    summary: { wallS: 1 },
  });
  store.recordRun({
    ...record({ key: 'k1', kind: 'advect', params: { n: 1 } }),
    sweepId: sweep,
    environmentId: env,
    summary: { wallS: 2 },
  });
  assert.deepEqual([...store.doneKeys(sweep)], ['k1']);
  const runs = store.runs({ sweepId: sweep });
  assert.equal(runs.length, 1);
  assert.deepEqual(runs[0]?.summary, { wallS: 1 }, 'a done run is kept as it was');
  assert.deepEqual(store.environment(env), { kernel: 'x' });
  store.close();
  const raw = new Database(file);
  assert.equal(
    (raw.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string })
      .value,
    String(SCHEMA_VERSION),
  );
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
  raw.close();
  assert.throws(
    () => Store.open(file),
    (e: Error & { code?: string }) =>
      e.code === 'E_STORE_NEWER' &&
      new RegExp(`schema version 99; this vmpath knows up to ${SCHEMA_VERSION}`).test(e.message),
  );
  assert.throws(
    () => Store.open(join(tempDir('vmpath-store-'), 'none.db'), { create: false }),
    /--db: got ".*none\.db"; allowed: a results database/,
  );
});

test('reproduce findings: each claim with its verdict from the records, and the crossover', () => {
  const bench = (datapath: string, total: number, repeat: number) =>
    record({
      key: `b-${datapath}-${repeat}`,
      kind: 'bench',
      params: { kind: 'bench', datapath, test: 'stream', tool: 'vmpath', durationS: 1, repeat },
      summary: streamSummary(total),
    }) as RunRecord;
  const app = (dp: string, placement: string, ranks: number, f: number[], repeat: number) =>
    record({
      key: `a-${dp}-${placement}-${ranks}-${repeat}`,
      kind: 'advect',
      params: {
        kind: 'advect',
        datapath: dp,
        grid: [32, 32, 32],
        steps: 4,
        ranks,
        decomp: [1, 1, ranks],
        placement,
        engine: 'vmpath',
        repeat,
      },
      summary: advectSummary(
        { wallS: f[0] as number, computeS: f[1] as number, commS: f[2] as number, share: 0.5 },
        ranks,
      ),
    }) as RunRecord;
  const runs = [1, 2, 3].flatMap((k) => [
    bench('native', 1000 + k, k),
    bench('iov', 800 + k, k),
    bench('bridged', 600 + k, k),
    app('bridged', 'hybrid', 2, [1, 0.8, 0.2], k),
    app('bridged', 'hybrid', 16, [1, 0.3, 0.7], k),
  ]);
  const lines = findings(runs, 0);
  assert.match(lines[0] ?? '', /unshaped/);
  assert.equal(
    lines[1],
    'claim 1: REPRODUCED: stream over concurrent vm pairs: NATIVE >= IOV > BRIDGED (native above iov above bridged)',
  );
  assert.match(lines[3] ?? '', /^ {2}ours: {2}native 1002 \[\d+, \d+\] \(n=3\)/);
  assert.match(lines.join('\n'), /claim 3: INCONCLUSIVE: .*16-rank inter-node runs/);
  assert.match(
    lines.join('\n'),
    /bridged: communication share of time 2:20% 16:70%; communication outweighs computation from 16 ranks/,
  );
  assert.match(
    findings([], 10000).join('\n'),
    /shaped to 10000 Mbit\/s[\s\S]*stream runs of each path not stored/,
  );
});

test('sweep order: data path by data path, or repeat by repeat in a rotating order', () => {
  const base = { datapaths: ['native', 'bridged', 'iov'], bench: {}, repeats: 3 };
  const show = (order: { datapath: string; repeat: number | null }[]) =>
    order.map((o) => `${o.datapath}${o.repeat ?? ''}`).join(' ');
  assert.equal(show(sweepOrder(parseSweep(base))), 'native bridged iov');
  assert.equal(
    show(sweepOrder(parseSweep({ ...base, order: 'rotate' }))),
    'native1 bridged1 iov1 bridged2 iov2 native2 iov3 native3 bridged3',
  );
  assert.equal(
    show(sweepOrder(parseSweep({ ...base, repeats: 1, order: 'rotate' }))),
    'native bridged iov',
  );
});

test('mpi blocks: runs per data path, repeat, rank count and placement; {n} is the rank count', () => {
  const spec = parseSweep({
    datapaths: ['bridged', 'shm'],
    mpi: {
      command: ['/opt/app/wave', 100, '{n}0'],
      ranks: [2, 4],
      placements: ['inter-node', 'intra-node'],
      repeats: 2,
    },
  });
  const seen: string[] = [];
  const runs = expandSweep(spec, tiny, (name, field) => {
    seen.push(`${field}=${name}`);
    return name;
  });
  assert.equal(runs.length, 2 * 2 * 2 * 2);
  assert.ok(seen.includes('mpi.command.0=/opt/app/wave'));
  assert.equal(new Set(runs.map(runKey)).size, runs.length, 'keys are unique');
  assert.ok(
    runs.some(
      (r) => runKey(r) === 'mpi/shm/wave/["/opt/app/wave","100","40"]/4/intra-node/profiled/#2',
    ),
  );
  const run = runs.find((r) => r.kind === 'mpi' && r.ranks === 2);
  assert.deepEqual(run?.kind === 'mpi' && run.command, ['/opt/app/wave', '100', '20']);
  assert.equal(run?.kind === 'mpi' && run.profile, true, 'profiled by default');
  assert.throws(
    () =>
      expandSweep(parseSweep({ datapaths: ['iov'], mpi: { command: ['x'], ranks: [9] } }), tiny),
    /-n: got 9|mpi\.placements/,
  );
  assert.throws(
    () => parseSweep({ datapaths: ['iov'], mpi: { command: [], ranks: [2] } }),
    /mpi\.command/,
  );
});
