import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { VmpathError } from '../../../src/core/errors.js';
import { namespacesOf, planUp } from '../../../src/testbed/plan-up.js';
import { presetSpec } from '../../../src/topology/presets.js';
import { resolveTopology, type TopologyOverrides } from '../../../src/topology/resolve.js';
import type { TopologyInput } from '../../../src/topology/schema.js';
import { GOLDEN_DIR } from '../../support/paths.js';

/** A plan as text: one command per line, "[creates kind:name] argv". Set UPDATE_GOLDEN=1 to rewrite. */
function render(spec: TopologyInput, overrides: TopologyOverrides = {}): string {
  return planUp(resolveTopology(spec, overrides), 't1')
    .map((step) => {
      const c = step.creates;
      const mark = c
        ? `+${c.kind}:${c.kind === 'netns' || c.kind === 'cgroup' ? c.name : c.kind === 'link' ? `${c.netns}/${c.name}` : `${c.netns}/${c.dev}`} `
        : '';
      return `${mark}${step.argv.join(' ')}`;
    })
    .join('\n')
    .concat('\n');
}

function golden(name: string, text: string): void {
  const path = `${GOLDEN_DIR}plan-${name}.txt`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, text);
  assert.equal(
    text,
    readFileSync(path, 'utf8'),
    `plan differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`,
  );
}

const vepa: TopologyInput = { ...presetSpec('tiny'), datapath: 'iov', iov: { mode: 'vepa' } };

describe('planUp golden argv', () => {
  test('tiny bridged', () => golden('tiny-bridged', render(presetSpec('tiny'))));
  test('tiny iov (veb)', () => golden('tiny-iov', render(presetSpec('tiny'), { datapath: 'iov' })));
  test('tiny iov vepa: switch with hairpin', () => golden('tiny-vepa', render(vepa)));
  test('tiny native', () =>
    golden('tiny-native', render(presetSpec('tiny'), { datapath: 'native' })));
  test('trio bridged at 1000 Mbit/s: switch ports shaped', () =>
    golden('trio-bridged-1g', render(presetSpec('trio'), { rateMbit: 1000 })));
  test('paper bridged', () => golden('paper-bridged', render(presetSpec('paper'))));
});

describe('planUp structure', () => {
  test('every namespace has the testbed prefix, and is recorded before any use', () => {
    const steps = planUp(resolveTopology(presetSpec('paper')), 'ab12');
    const created = namespacesOf(steps);
    assert.equal(created.length, 10);
    assert.ok(created.every((ns) => ns.startsWith('vmp-ab12-')));
    const firstUse = (ns: string) => steps.findIndex((s) => s.argv.includes(ns));
    const creation = (ns: string) =>
      steps.findIndex((s) => s.creates?.kind === 'netns' && s.creates.name === ns);
    for (const ns of created) assert.equal(firstUse(ns), creation(ns), ns);
  });

  test('no step touches the root namespace: every ip/tc command names a namespace', () => {
    for (const dp of ['bridged', 'iov', 'native'] as const) {
      for (const step of planUp(
        resolveTopology(presetSpec('trio'), { datapath: dp, rateMbit: 100 }),
        'x',
      )) {
        const argv = step.argv.join(' ');
        const scoped =
          /^(ip|tc) -n vmp-x-/.test(argv) ||
          /^ip netns add vmp-x-/.test(argv) ||
          / netns vmp-x-\S+ type veth peer name \S+ netns vmp-x-/.test(argv);
        assert.ok(scoped, argv);
      }
    }
  });

  test('addresses only from 198.18.0.0/15', () => {
    for (const step of planUp(resolveTopology(presetSpec('paper')), 'x')) {
      const i = step.argv.indexOf('add');
      if (step.argv[3] === 'addr') assert.match(step.argv[i + 1] ?? '', /^198\.1[89]\./);
    }
  });

  test('a vm name that would make an interface name over 15 characters is refused before anything runs', () => {
    const spec = {
      hosts: [
        { name: 'h0', vms: [{ name: 'a_very_long_vm_name', slots: 1 }] },
        { name: 'h1', vms: [{ name: 'b', slots: 1 }] },
      ],
    };
    assert.throws(
      () => planUp(resolveTopology(spec), 'x'),
      (e: unknown) =>
        e instanceof VmpathError &&
        e.kind === 'input' &&
        /hosts\[0\]\.vms\[0\]\.name/.test(e.message) &&
        /15 characters/.test(e.message),
    );
  });
});
