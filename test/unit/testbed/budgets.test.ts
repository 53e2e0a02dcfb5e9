import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { VmpathError } from '../../../src/core/errors.js';
import {
  budgetFiles,
  cpuController,
  guestsCgroupName,
  inCgroup,
  ownCpuQuota,
} from '../../../src/sys/cgroup.js';
import { planBudgets, requireController } from '../../../src/testbed/budgets.js';
import { planBackends } from '../../../src/testbed/dom0.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology } from '../../../src/topology/resolve.js';
import { tempDir } from '../../support/temp.js';

const paper = (datapath?: 'native' | 'bridged' | 'iov' | 'shm') =>
  resolveTopology(presetSpec('paper'), datapath ? { datapath } : {});

test("paper: each host's dom0 has an eighth of its share of the machine, the guests the rest", () => {
  const two = planBudgets(paper(), 'ab', 2);
  assert.deepEqual(
    two.map((b) => [b.name, b.role, b.cpus]),
    [
      ['vmp-ab-host0-dom0', 'dom0', 0.125],
      ['vmp-ab-host0-guests', 'guests', 0.875],
      ['vmp-ab-host1-dom0', 'dom0', 0.125],
      ['vmp-ab-host1-guests', 'guests', 0.875],
    ],
  );
  // The same budgets on every data path: the guests' share does not depend on it.
  for (const dp of ['native', 'iov', 'shm'] as const)
    assert.deepEqual(planBudgets(paper(dp), 'ab', 2), two);
  assert.deepEqual(
    planBudgets(paper(), 'ab', 16).map((b) => b.cpus),
    [1, 7, 1, 7],
  );
});

test('budgets in cores, host cores given, and a budget that leaves the guests nothing', () => {
  const spec = presetSpec('tiny');
  const cores = resolveTopology({ ...spec, dom0: { cpus: 0.5 } });
  assert.deepEqual(
    planBudgets(cores, 'x', 4).map((b) => b.cpus),
    [0.5, 1.5, 0.5, 1.5],
  );
  const sized = resolveTopology({
    ...spec,
    hosts: spec.hosts.map((h) => ({ ...h, cpus: 3, dom0: { cpus: 1 } })),
  });
  assert.deepEqual(
    planBudgets(sized, 'x', 2).map((b) => b.cpus),
    [1, 2, 1, 2],
  );
  assert.throws(
    () => planBudgets(resolveTopology({ ...spec, dom0: { cpus: 1 } }), 'x', 2),
    (e: unknown) =>
      e instanceof VmpathError &&
      /hosts\[0\]\.dom0\.cpus: got 1; allowed: less than host host0's 1 cores/.test(e.message),
  );
  assert.deepEqual(planBudgets(resolveTopology(spec), 'x', 2), [], 'no dom0, no cgroup');
});

test('dom0 in specs: backend and budget, checked', () => {
  const spec = presetSpec('tiny');
  assert.deepEqual(resolveTopology(spec).hosts[0]?.dom0, { backend: 'kernel', cpus: null });
  assert.deepEqual(resolveTopology({ ...spec, dom0: {} }).hosts[0]?.dom0, {
    backend: 'user',
    cpus: null,
  });
  assert.deepEqual(resolveTopology({ ...spec, dom0: { cpus: '30%' } }).hosts[1]?.dom0.cpus, {
    share: 0.3,
  });
  for (const bad of [{ cpus: '150%' }, { cpus: 'half' }, { cpus: 0 }, { backend: 'qemu' }]) {
    assert.throws(
      () => resolveTopology({ ...spec, dom0: bad }),
      (e: unknown) => e instanceof VmpathError && /dom0\./.test(e.message),
      JSON.stringify(bad),
    );
  }
  assert.throws(
    () =>
      resolveTopology({
        ...spec,
        hosts: spec.hosts.map((h) => ({ ...h, cpus: 1, dom0: { cpus: 2 } })),
      }),
    /hosts\[0\]\.dom0\.cpus: got 2; allowed: less than the host's 1 cores/,
  );
});

test('one backend per host with bridged vms behind a user-space dom0', () => {
  assert.deepEqual(planBackends(paper(), 'ab'), [
    {
      host: 'host0',
      netns: 'vmp-ab-host0',
      pairs: ['v-node1:t-node1', 'v-node2:t-node2', 'v-node3:t-node3', 'v-node4:t-node4'],
    },
    {
      host: 'host1',
      netns: 'vmp-ab-host1',
      pairs: ['v-node5:t-node5', 'v-node6:t-node6', 'v-node7:t-node7', 'v-node8:t-node8'],
    },
  ]);
  assert.deepEqual(planBackends(paper('iov'), 'ab'), []);
  const kernel = resolveTopology({ ...presetSpec('paper'), dom0: { backend: 'kernel' } });
  assert.deepEqual(planBackends(kernel, 'ab'), []);
});

test('cgroup names follow the namespaces; joining keeps the PID (sh execs the command)', () => {
  assert.equal(guestsCgroupName('vmp-ab-host0-node1'), 'vmp-ab-host0-guests');
  assert.equal(guestsCgroupName('vmp-ab-host0'), 'vmp-ab-host0-guests');
  assert.equal(guestsCgroupName('other'), null);
  assert.deepEqual(inCgroup('/cg/procs', ['ip', 'netns', 'exec', 'n', 'x']), [
    'sh',
    '-c',
    'echo $$ > "$0" && exec "$@"',
    '/cg/procs',
    'ip',
    'netns',
    'exec',
    'n',
    'x',
  ]);
  assert.deepEqual(budgetFiles({ version: 1, root: '/r' }, '/r/g', 0.25), [
    { file: '/r/g/cpu.cfs_period_us', value: '100000' },
    { file: '/r/g/cpu.cfs_quota_us', value: '25000' },
  ]);
  assert.deepEqual(budgetFiles({ version: 2, root: '/r' }, '/r/g', 1.5), [
    { file: '/r/g/cpu.max', value: '150000 100000' },
  ]);
});

test('the CPU controller: v1 cpu, v2 cpu.max, or a clear refusal naming dom0.cpus', () => {
  const dir = tempDir('vmpath-cgroup-');
  const v1 = join(dir, 'v1');
  mkdirSync(v1);
  writeFileSync(join(v1, 'cpu.cfs_quota_us'), '-1\n');
  assert.deepEqual(cpuController([v1], join(dir, 'none')), { version: 1, root: v1 });
  const v2 = join(dir, 'v2');
  mkdirSync(v2);
  writeFileSync(join(v2, 'cgroup.controllers'), 'cpuset io memory pids\n');
  const noCpu = cpuController([join(dir, 'none')], v2);
  assert.match('missing' in noCpu ? noCpu.missing : '', /v2 at .* has no cpu controller/);
  writeFileSync(join(v2, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  writeFileSync(join(v2, 'cgroup.subtree_control'), 'memory\n');
  const off = cpuController([], v2);
  assert.match('missing' in off ? off.missing : '', /echo \+cpu > .*cgroup\.subtree_control/);
  writeFileSync(join(v2, 'cgroup.subtree_control'), 'cpu memory\n');
  assert.deepEqual(cpuController([], v2), { version: 2, root: v2 });
  const nothing = cpuController([], join(dir, 'none'));
  assert.match('missing' in nothing ? nothing.missing : '', /no cgroup CPU controller is mounted/);

  const budgets = planBudgets(paper(), 'ab', 2);
  assert.equal(requireController([], nothing), null, 'no budgets, no controller needed');
  assert.throws(
    () => requireController(budgets, nothing),
    (e: unknown) =>
      e instanceof VmpathError &&
      e.kind === 'input' &&
      /^dom0\.cpus: CPU budgets need the kernel's CPU controller: no cgroup CPU controller/.test(
        e.message,
      ),
  );
});

test("a process's own CPU quota is the smallest of its cgroup's and its ancestors' (v1 and v2)", () => {
  const dir = tempDir('vmpath-quota-');
  const v1 = join(dir, 'cpu');
  const v2 = join(dir, 'unified');
  const write = (path: string, files: Record<string, string>) => {
    mkdirSync(path, { recursive: true });
    for (const [name, value] of Object.entries(files)) writeFileSync(join(path, name), value);
  };
  write(v1, { 'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000' });
  write(join(v1, 'job'), { 'cpu.cfs_quota_us': '150000', 'cpu.cfs_period_us': '100000' });
  write(join(v1, 'job', 'step'), { 'cpu.cfs_quota_us': '300000', 'cpu.cfs_period_us': '100000' });
  const self = join(dir, 'self-cgroup');
  writeFileSync(self, '4:memory:/elsewhere\n2:cpu,cpuacct:/job/step\n0::/\n');
  assert.equal(ownCpuQuota(self, [v1], join(dir, 'none')), 1.5);
  // cgroup v2 only: cpu.max, "max" for none.
  write(v2, {});
  write(join(v2, 'slurm'), { 'cpu.max': 'max 100000' });
  write(join(v2, 'slurm', 'task'), { 'cpu.max': '50000 100000' });
  writeFileSync(self, '0::/slurm/task\n');
  assert.equal(ownCpuQuota(self, [join(dir, 'no-v1')], v2), 0.5);
  writeFileSync(self, '0::/slurm\n');
  assert.equal(ownCpuQuota(self, [join(dir, 'no-v1')], v2), null);
  // Nothing readable (inside `ip netns exec`, /sys has no cgroup files): no quota known.
  assert.equal(ownCpuQuota(join(dir, 'missing'), [v1], v2), null);
});
