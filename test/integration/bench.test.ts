/**
 * The micro-benchmarks on real testbeds: plausible figures on every data path, concurrent
 * pairs, shaping seen by the stream test, iperf3 agreeing with vmpath, bad input and failures
 * leaving nothing running, and the JSON shape.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SINGLE_RUN } from '../../src/bench/iterate.js';
import { explicitPair, studyPairs } from '../../src/bench/pairs.js';
import { runPairs } from '../../src/bench/run.js';
import { median } from '../../src/bench/stats.js';
import type { RrRun, StreamParams, StreamRun } from '../../src/bench/types.js';
import { VmpathError } from '../../src/core/errors.js';
import { processCmdline } from '../../src/sys/tools.js';
import { up } from '../../src/testbed/lifecycle.js';
import { listNetns } from '../../src/testbed/state.js';
import { presetSpec } from '../../src/topology/presets.js';
import { resolveTopology } from '../../src/topology/resolve.js';
import type { Datapath } from '../../src/topology/types.js';
import { vmpath } from '../support/cli.js';
import { CLI } from '../support/paths.js';
import { pidsIn, SKIP_NO_ROOT, tempDir, testEnv, testId, withTestbed } from '../support/testbed.js';

const env = testEnv();
const stream = (durationMs = 1000, warmupMs = 500): StreamParams => ({
  test: 'stream',
  sizeBytes: 131072,
  durationMs,
  warmupMs,
});
const MiBps = (mbit: number) => (mbit * 1e6) / 8 / 2 ** 20;

/** Bench servers in a namespace that no longer has a name (one of a removed testbed's), or in
 * this machine's: what a table that did not end its servers leaves; other tests' servers run
 * in their testbeds' named namespaces. */
function strayServers(): number[] {
  const inode = (path: string) => {
    try {
      return statSync(path).ino;
    } catch {
      return null;
    }
  };
  const named = new Set(readdirSync('/run/netns').map((n) => inode(`/run/netns/${n}`)));
  const server = CLI.replace('cli/main.js', 'bench/server.js');
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      if (!processCmdline(pid)?.includes(server)) return false;
      const ns = inode(`/proc/${pid}/ns/net`);
      return ns !== null && !named.has(ns);
    });
}

describe('micro-benchmarks on every data path', { skip: SKIP_NO_ROOT }, () => {
  for (const datapath of ['native', 'bridged', 'iov'] as Datapath[]) {
    test(`${datapath}: stream and rr give plausible figures; pairs run at the same time`, async () => {
      const topology = resolveTopology(presetSpec('tiny'), { datapath });
      await withTestbed(env, topology, async (id) => {
        const pairs = studyPairs(topology, id);
        const across = pairs[0];
        assert.ok(across);
        const s = await runPairs(env, [across], {
          tool: 'vmpath',
          params: stream(),
          policy: SINGLE_RUN,
        });
        const run = s.pairs[0]?.runs[0] as StreamRun;
        assert.ok(run.mibps > 10 && run.mibps < 20_000, `stream ${run.mibps} MiB/s`);
        assert.ok(Math.abs(run.seconds - 1) < 0.3, `measured over ${run.seconds} s`);
        assert.ok(run.sentBytes >= run.bytes, 'the receiver cannot count more than was sent');
        assert.ok(
          run.senderCpuPct !== null && run.senderCpuPct > 0 && run.senderCpuPct <= 200,
          `cpu ${run.senderCpuPct}`,
        );

        const r = await runPairs(env, [across], {
          tool: 'vmpath',
          params: {
            test: 'rr',
            requestBytes: 1,
            responseBytes: 1,
            durationMs: 1000,
            warmupMs: 300,
          },
          policy: SINGLE_RUN,
        });
        const rr = r.pairs[0]?.runs[0] as RrRun;
        assert.ok(rr.transactionsPerSecond > 200, `rr ${rr.transactionsPerSecond}/s`);
        const { p50, p90, p99, max } = rr.latencyUs;
        assert.ok(
          p50 > 1 && p50 <= p90 && p90 <= p99 && p99 <= max && p50 < 50_000,
          JSON.stringify(rr.latencyUs),
        );

        const all = await runPairs(env, pairs, {
          tool: 'vmpath',
          params: stream(1000, 300),
          policy: SINGLE_RUN,
        });
        const windows = all.pairs.map((p) => p.runs[0]?.window ?? { startMs: 0, endMs: 0 });
        const latestStart = Math.max(...windows.map((w) => w.startMs));
        const earliestEnd = Math.min(...windows.map((w) => w.endMs));
        assert.ok(
          latestStart < earliestEnd - 500,
          `windows overlap by ${earliestEnd - latestStart} ms`,
        );
        // native: as many streams as the vm pairs, all between the two hosts
        assert.equal(all.pairs.length, 2);
        if (datapath === 'native')
          assert.deepEqual(
            [...new Set(all.pairs.map((p) => `${p.from}->${p.to}`))],
            ['host0->host1'],
          );
      });
    });
  }

  test('a 1000 Mbit/s uplink: the total stream figure is 80-105% of the rate; iperf3 agrees within 25%', async () => {
    const topology = resolveTopology(presetSpec('tiny'), { datapath: 'bridged', rateMbit: 1000 });
    await withTestbed(env, topology, async (id) => {
      const total = await runPairs(env, studyPairs(topology, id), {
        tool: 'vmpath',
        params: stream(2000, 1000),
        policy: SINGLE_RUN,
      });
      const pct = (100 * total.total.mean) / MiBps(1000);
      assert.ok(
        pct >= 80 && pct <= 105,
        `total ${total.total.mean.toFixed(1)} MiB/s = ${pct.toFixed(1)}% of the rate`,
      );

      const pair = [explicitPair(topology, id, 'node1', 'node3')];
      const figures: Record<'vmpath' | 'iperf3', number[]> = { vmpath: [], iperf3: [] };
      for (let round = 0; round < 2; round++) {
        for (const tool of round % 2
          ? (['iperf3', 'vmpath'] as const)
          : (['vmpath', 'iperf3'] as const)) {
          const result = await runPairs(env, pair, {
            tool,
            params: stream(2000, 1000),
            policy: SINGLE_RUN,
          });
          figures[tool].push(result.total.mean);
        }
      }
      const ratio = median(figures.iperf3) / median(figures.vmpath);
      assert.ok(
        ratio >= 0.75 && ratio <= 1.25,
        `iperf3/vmpath = ${ratio.toFixed(3)} (${JSON.stringify(figures)})`,
      );
    });
  });
});

describe('socket buffers', { skip: SKIP_NO_ROOT }, () => {
  test('--rcvbuf 8K caps the stream figure; the namespaces get their old limits back', async () => {
    const topology = resolveTopology(presetSpec('tiny'));
    await withTestbed(env, topology, async (id) => {
      const pair = explicitPair(topology, id, 'node1', 'node3');
      const limits = () =>
        spawnSync('ip', ['netns', 'exec', pair.to.netns, 'cat', '/proc/sys/net/ipv4/tcp_rmem'], {
          encoding: 'utf8',
        }).stdout;
      const before = limits();
      const free = await runPairs(env, [pair], {
        tool: 'vmpath',
        params: stream(),
        policy: SINGLE_RUN,
      });
      const capped = await runPairs(env, [pair], {
        tool: 'vmpath',
        params: stream(),
        policy: SINGLE_RUN,
        socketBuffers: { sndbufBytes: null, rcvbufBytes: 8192 },
      });
      assert.deepEqual(capped.socketBuffers, { sndbufBytes: null, rcvbufBytes: 8192 });
      assert.ok(
        capped.total.mean < free.total.mean / 2,
        `capped ${capped.total.mean.toFixed(0)} vs free ${free.total.mean.toFixed(0)} MiB/s`,
      );
      assert.equal(limits(), before, 'tcp_rmem restored');
    });
  });
});

describe('bench failures leave nothing behind', { skip: SKIP_NO_ROOT }, () => {
  test('a bench server that dies mid-test: a clear failure, no process left in the namespaces', async () => {
    const topology = resolveTopology(presetSpec('tiny'));
    await withTestbed(env, topology, async (id) => {
      const pair = explicitPair(topology, id, 'node1', 'node3');
      let killed = false;
      const result = runPairs(env, [pair], {
        tool: 'vmpath',
        params: stream(3000, 0),
        policy: SINGLE_RUN,
        onServer: (_node, pid) =>
          setTimeout(() => {
            killed = true;
            process.kill(pid, 'SIGKILL');
          }, 1000),
      });
      await assert.rejects(
        result,
        (e: unknown) =>
          e instanceof VmpathError &&
          e.code === 'E_BENCH_FAILED' &&
          /node1 -> node3 failed/.test(e.message),
      );
      assert.ok(killed);
      assert.deepEqual(pidsIn(pair.from.netns), [], 'no client left');
      assert.deepEqual(pidsIn(pair.to.netns), [], 'no server left');
    });
  });

  test('CLI: bad input exits 2 naming the option; a port in use exits 2; nothing keeps running', async () => {
    const topology = resolveTopology(presetSpec('tiny'));
    const stateDir = env.stateDir;
    const id = testId();
    await up(env, topology, id);
    const cli = (...args: string[]) => vmpath(['bench', ...args], { VMPATH_STATE_DIR: stateDir });
    const blocker = spawn(
      'ip',
      [
        'netns',
        'exec',
        `vmp-${id}-host1-node3`,
        process.execPath,
        '-e',
        "require('net').createServer().listen(45123, '198.18.0.3', () => console.log('up'))",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((resolve) => blocker.stdout.once('data', resolve));
      const pair = ['--id', id, '--from', 'node1', '--to', 'node3'];
      const cases: [string[], RegExp][] = [
        [['stream', '--id', id, '--from', 'node9', '--to', 'node3'], /--from: got "node9"/],
        [
          ['stream', '--id', 'nothere', '--from', 'node1', '--to', 'node3'],
          /--id: got "nothere"; allowed: an existing testbed/,
        ],
        [['stream', ...pair, '--duration', '0'], /--duration: got "0"/],
        [['stream', ...pair, '--size', '0'], /--size: got "0"/],
        [['stream', ...pair, '--size', '2G'], /--size: got "2G"/],
        [['stream', ...pair, '--rcvbuf', '100'], /--rcvbuf: got "100"/],
        [
          ['rr', ...pair, '--tool', 'iperf3', '--duration', '1'],
          /iperf3 has no request\/response test/,
        ],
        [
          ['stream', ...pair, '--duration', '1', '--port', '45123'],
          /--port: got 45123; .*is in use/,
        ],
        [
          ['stream', ...pair, '--duration', '1', '--port', '45123', '--tool', 'iperf3'],
          /--port: port 45123 .* is in use/,
        ],
      ];
      const onlyIp = tempDir('vmpath-path-');
      for (const tool of ['ip', 'tc'])
        symlinkSync(
          spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(),
          join(onlyIp, tool),
        );
      const noIperf = vmpath(
        [
          'bench',
          'stream',
          '--id',
          id,
          '--from',
          'node1',
          '--to',
          'node3',
          '--duration',
          '1',
          '--tool',
          'iperf3',
        ],
        { VMPATH_STATE_DIR: stateDir, PATH: onlyIp },
      );
      assert.equal(noIperf.status, 2, noIperf.stderr);
      assert.match(
        noIperf.stderr,
        /iperf3 was not found on PATH; install it \(Debian: apt-get install -y iperf3\)/,
      );
      for (const [args, message] of cases) {
        const result = cli(...args);
        assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message, args.join(' '));
      }
      assert.deepEqual(pidsIn(`vmp-${id}-host0-node1`), [], 'no client left');
      assert.deepEqual(
        pidsIn(`vmp-${id}-host1-node3`),
        [blocker.pid],
        'only the test blocker runs there',
      );
    } finally {
      blocker.kill();
      vmpath(['testbed', 'down', '--id', id], { VMPATH_STATE_DIR: stateDir });
    }
  });

  test('CLI: when vmpath is killed with SIGKILL mid-test, its server and client exit by themselves', async () => {
    const topology = resolveTopology(presetSpec('tiny'));
    await withTestbed(env, topology, async (id) => {
      const child = spawn(
        process.execPath,
        [
          CLI,
          'bench',
          'stream',
          '--id',
          id,
          '--from',
          'node1',
          '--to',
          'node3',
          '--duration',
          '20',
        ],
        {
          env: { ...process.env, VMPATH_STATE_DIR: env.stateDir },
          stdio: 'ignore',
        },
      );
      const inside = () => [...pidsIn(`vmp-${id}-host0-node1`), ...pidsIn(`vmp-${id}-host1-node3`)];
      const deadline = Date.now() + 10_000;
      while (inside().length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(inside().length, 2, 'a server and a client run');
      child.kill('SIGKILL');
      const gone = Date.now() + 5000;
      while (inside().length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(inside(), [], 'no bench process outlives vmpath');
    });
  });

  test('CLI: the JSON output has a stable shape', () => {
    const stateDir = env.stateDir;
    const id = testId();
    assert.equal(
      vmpath(['testbed', 'up', '--preset', 'tiny', '--id', id], { VMPATH_STATE_DIR: stateDir })
        .status,
      0,
    );
    try {
      const out = vmpath(
        ['bench', 'pairs', '--id', id, '--duration', '0.5', '--warmup', '0.2', '--json'],
        { VMPATH_STATE_DIR: stateDir },
      );
      assert.equal(out.status, 0, out.stderr);
      const doc = JSON.parse(out.stdout);
      assert.deepEqual(Object.keys(doc).sort(), [
        'confident',
        'interval',
        'iterations',
        'kind',
        'pairs',
        'params',
        'policy',
        'socketBuffers',
        'test',
        'testbed',
        'tool',
        'total',
        'totals',
        'unit',
        'version',
      ]);
      assert.equal(doc.kind, 'vmpath.bench.pairs');
      assert.equal(doc.version, 1);
      assert.deepEqual(Object.keys(doc.pairs[0]).sort(), [
        'from',
        'fromAddress',
        'runs',
        'summary',
        'to',
        'toAddress',
      ]);
      assert.deepEqual(
        Object.keys(doc.pairs[0].runs[0]).sort(),
        ['bytes', 'mibps', 'seconds', 'senderCpuPct', 'sentBytes', 'test', 'window'].sort(),
      );
      assert.deepEqual(Object.keys(doc.total).sort(), ['max', 'mean', 'min', 'n', 'stddev']);
      assert.deepEqual(Object.keys(doc.interval).sort(), [
        'halfWidth',
        'halfWidthPct',
        'level',
        'mean',
      ]);
    } finally {
      vmpath(['testbed', 'down', '--id', id], { VMPATH_STATE_DIR: stateDir });
    }
  });

  test('CLI: bench table builds and removes a testbed per data path, also when interrupted', async () => {
    const stateDir = env.stateDir;
    // The namespaces of the testbeds a table said it built (other tests' run alongside).
    const leftOf = (said: string) =>
      [...said.matchAll(/building the \w+ testbed \((\w+)\)/g)].flatMap((m) =>
        listNetns(`vmp-${m[1]}-`),
      );
    const out = vmpath(
      [
        'bench',
        'table',
        '--preset',
        'tiny',
        '--rate',
        '1000',
        '--duration',
        '1',
        '--warmup',
        '0.5',
        '--json',
      ],
      { VMPATH_STATE_DIR: stateDir },
    );
    assert.equal(out.status, 0, out.stderr);
    const table = JSON.parse(out.stdout);
    assert.deepEqual(
      table.rows.map((r: { datapath: string }) => r.datapath),
      ['native', 'bridged', 'iov'],
    );
    assert.equal(table.rows[0].pctOfNative, 100);
    for (const row of table.rows)
      assert.ok(
        row.pctOfLink > 50 && row.pctOfLink <= 105,
        `${row.datapath}: ${row.pctOfLink}% of the link`,
      );
    assert.ok(table.bridgedOverIov > 0.5 && table.bridgedOverIov < 2, out.stdout);
    assert.match(out.stderr, /building the iov testbed/);
    assert.deepEqual(leftOf(out.stderr), [], 'every testbed removed');

    const child = spawn(
      process.execPath,
      [CLI, 'bench', 'table', '--preset', 'tiny', '--duration', '5'],
      { env: { ...process.env, VMPATH_STATE_DIR: stateDir }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let said = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      said += chunk;
    });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 130, `an interrupted table exits 128 + SIGINT: ${said}`);
    assert.match(said, /interrupted/);
    assert.match(said, /building the \w+ testbed/);
    assert.deepEqual(leftOf(said), [], 'the interrupted testbeds were removed');
    assert.deepEqual(strayServers(), [], 'no bench server left');
  });
});
