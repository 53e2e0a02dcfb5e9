/**
 * The topology commands through the built CLI: they need no root, so they run anywhere.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { vmpath } from '../../support/cli.js';
import { tempDir } from '../../support/temp.js';

const dir = tempDir('vmpath-topo-');
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('validate: a good file exits 0 and says what it holds', () => {
  const good = file(
    'good.yaml',
    'hosts:\n  - { name: a, vms: [{ name: x, slots: 2 }] }\n  - { name: b, vms: [{ name: y, slots: 2 }] }\n',
  );
  const result = vmpath(['topology', 'validate', good]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /valid \(2 hosts, 2 vms\)/);
});

test('validate: bad files exit 2 naming each field, in one message without a stack', () => {
  const bad = file(
    'bad.yaml',
    'datapath: sriov\nhosts:\n  - { name: a, uplink: { rateMbit: -1 }, vms: [{ name: x, slots: 0 }] }\n',
  );
  const result = vmpath(['topology', 'validate', bad]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /datapath: got "sriov"; allowed: one of native, bridged, iov/);
  assert.match(result.stderr, /hosts\[0\]\.uplink\.rateMbit: got -1/);
  assert.match(result.stderr, /hosts\[0\]\.vms\[0\]\.slots: got 0/);
  assert.doesNotMatch(result.stderr, /\s+at \S+ \(/, 'no stack trace without --debug');
});

test('validate: JSON works too; a syntax error names the line', () => {
  const json = file(
    't.json',
    JSON.stringify({ hosts: [{ name: 'a', vms: [{ name: 'x', slots: 1 }] }] }),
  );
  assert.equal(vmpath(['topology', 'validate', json]).status, 0);
  const broken = file('broken.yaml', 'hosts:\n  - name: a\n   vms: [\n');
  const result = vmpath(['topology', 'validate', broken]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /broken\.yaml:\d+:\d+: not valid YAML or JSON/);
  const missing = vmpath(['topology', 'validate', join(dir, 'nope.yaml')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file/);
});

test('show --preset paper --json: resolved, with addresses and rates', () => {
  const result = vmpath(['topology', 'show', '--preset', 'paper', '--datapath', 'iov', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const topology = JSON.parse(result.stdout);
  assert.equal(topology.hosts.length, 2);
  assert.equal(topology.hosts[1].vms[3].address, '198.18.0.8');
  assert.equal(topology.hosts[0].vms[0].datapath, 'iov');
  assert.equal(topology.hosts[0].uplink.rateMbit, 10000);
  assert.deepEqual(topology.hosts[0].dom0, { backend: 'user', cpus: { share: 0.125 } });
  const table = vmpath(['topology', 'show', '--preset', 'paper']);
  assert.match(table.stdout, /host0 +host .* user, 12\.5% of its share of the cores/);
  const tiny = vmpath(['topology', 'show', '--preset', 'tiny']);
  assert.match(tiny.stdout, /host0 +host .* kernel, no CPU budget/);
});

test('bad options exit 2 naming the option', () => {
  const cases: [string[], RegExp][] = [
    [['topology', 'show', '--preset', 'huge'], /--preset: got "huge"; allowed: paper, tiny, trio/],
    [['topology', 'show', '--preset', 'tiny', '--datapath', 'xen'], /--datapath: got "xen"/],
    [['topology', 'show', '--preset', 'tiny', '--rate', '-5'], /--rate: got "-5"/],
    [['topology', 'show'], /--topology FILE or --preset NAME/],
    [['testbed', 'up', '--preset', 'tiny', '--id', 'Bad-Id'], /--id: got "Bad-Id"/],
    [['testbed', 'clean'], /exactly one of --id ID or --all/],
    [['testbed', 'nosuch'], /unknown command/],
  ];
  for (const [args, message] of cases) {
    const result = vmpath(args, { VMPATH_STATE_DIR: dir });
    assert.equal(result.status, 2, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
  }
});
