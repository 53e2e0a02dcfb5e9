/**
 * The shared-memory pipes between rank processes of one machine, with this test as the
 * launcher (a rendezvous server, real rank processes on one vm name): small messages in order
 * under ANY_SOURCE and ANY_TAG from several senders at once, small and large messages mixed
 * between one pair both ways, and a peer killed with SIGKILL while the other polls in a
 * receive, which then fails within seconds and leaves no pipe file behind.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RendezvousServer } from '../../../src/runtime/rendezvous.js';
import { sharedMemory } from '../../../src/transport/pipe.js';
import { ROOT } from '../../support/paths.js';
import { tempDir } from '../../support/temp.js';

const APP = join(ROOT, 'test/fixtures/apps/pipes.mjs');
const addon = sharedMemory();
const SKIP = typeof addon === 'string' ? `no shared-memory addon: ${addon}` : false;

interface Rank {
  child: ChildProcess;
  out: string;
  err: string;
  exit: Promise<number | string>;
}

/** Starts `size` ranks of the fixture on one vm, with their own rendezvous and token. */
async function job(size: number, env: NodeJS.ProcessEnv) {
  const dir = tempDir('vmpath-pipes-');
  const token = `pipes-${process.pid}-${Date.now()}`;
  const lost: number[] = [];
  const server = new RendezvousServer(size, token, {
    onRejected: () => {},
    onRankLost: (r) => lost.push(r),
    onAbort: () => {},
  });
  const path = join(dir, 'rv.sock');
  await server.listen({ path });
  const ranks: Rank[] = Array.from({ length: size }, (_, rank) => {
    const child = spawn(process.execPath, [APP], {
      env: {
        ...process.env,
        ...env,
        VMPATH_RANK: String(rank),
        VMPATH_SIZE: String(size),
        VMPATH_TOKEN: token,
        VMPATH_RENDEZVOUS: `unix:${path}`,
        VMPATH_NODE: 'vm0',
        VMPATH_LOCAL_SIZE: String(size),
        VMPATH_JOB_DIR: dir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r: Rank = {
      child,
      out: '',
      err: '',
      exit: new Promise((resolve) =>
        child.once('close', (code, signal) => resolve(code ?? String(signal))),
      ),
    };
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      r.out += c;
    });
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      r.err += c;
    });
    return r;
  });
  const ended = async () => {
    const codes = await Promise.all(ranks.map((r) => r.exit));
    await server.close();
    return codes;
  };
  /** The transports the ranks said they sent messages on, at finalize. */
  const transports = () =>
    new Set(
      [...server.counters().values()].flat().flatMap((c) => (c.messages ? [c.transport] : [])),
    );
  const kill = () => {
    for (const r of ranks) if (r.child.exitCode === null && r.child.pid) r.child.kill('SIGKILL');
  };
  return { ranks, ended, kill, lost, transports };
}

/** Pipe files of any vmpath job in /dev/shm. */
const shmFiles = () => readdirSync('/dev/shm').filter((f) => f.startsWith('vmpath-'));

async function until(what: string, ms: number, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const spin of ['default', '0']) {
  const env = spin === 'default' ? {} : { VMPATH_SPIN_US: spin };
  const how = spin === 'default' ? 'polling as by default' : 'sleeping (VMPATH_SPIN_US=0)';

  test(`${how}: small messages of 3 senders in order under ANY_SOURCE and ANY_TAG`, {
    skip: SKIP,
  }, async (t) => {
    const before = shmFiles();
    const { ranks, ended, kill, transports } = await job(4, { ...env, PIPES_CASE: 'order' });
    t.after(kill);
    const codes = await ended();
    const said = ranks.map((r) => r.out + r.err).join('');
    assert.deepEqual(codes, [0, 0, 0, 0], said);
    assert.match(ranks[0]?.out ?? '', /rank 0 ok received 9000 from 3 ranks in order/);
    for (const r of ranks.slice(1)) assert.match(r.out, /ok sent 3000/);
    assert.deepEqual([...transports()], ['local'], 'every message through the pipes');
    assert.deepEqual(shmFiles(), before, 'no pipe file left');
  });

  test(`${how}: small and large messages (to 12 MiB) mixed between one pair, both ways`, {
    skip: SKIP,
  }, async (t) => {
    const { ranks, ended, kill, transports } = await job(2, { ...env, PIPES_CASE: 'mixed' });
    t.after(kill);
    const codes = await ended();
    assert.deepEqual(codes, [0, 0], ranks.map((r) => r.out + r.err).join(''));
    for (const r of ranks) assert.match(r.out, /ok received 12 messages, 23438349 bytes/);
    assert.deepEqual([...transports()], ['local']);
  });
}

test('a peer killed while the other polls in a receive: the receive fails within 5 s; no pipe file is left', {
  skip: SKIP,
}, async (t) => {
  const before = shmFiles();
  // Polling for 60 s after the last message: the survivor is in its polling loop when its peer dies.
  const { ranks, ended, kill, lost } = await job(2, {
    PIPES_CASE: 'poll',
    VMPATH_SPIN_US: '60000000',
  });
  t.after(kill);
  const [victim, survivor] = ranks as [Rank, Rank];
  await until(
    'both ranks ready',
    20_000,
    () => /polling/.test(survivor.out) && /waiting/.test(victim.out),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const begin = Date.now();
  victim.child.kill('SIGKILL');
  const codes = await ended();
  const took = Date.now() - begin;
  assert.deepEqual(codes, ['SIGKILL', 4], survivor.out + survivor.err);
  assert.ok(took < 5000, `the survivor ended ${took} ms after its peer was killed`);
  assert.match(survivor.out, /rank 1 receive failed after \d+ ms: .*rank 0/);
  assert.deepEqual(lost, [0], 'the rendezvous saw rank 0 go');
  assert.deepEqual(shmFiles(), before, 'no pipe file left');
});
