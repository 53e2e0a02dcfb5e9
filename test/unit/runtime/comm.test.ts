/**
 * The communicator on its own (src/runtime/comm.ts): ranks joined by an in-memory transport
 * that hands each message to the destination's handlers on a later turn, as a socket would.
 * Tags and ranks out of range, the runtime's reserved tags, matching order, truncation, a
 * failed job and a lost peer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasCode } from '../../../src/core/errors.js';
import {
  ANY_SOURCE,
  ANY_TAG,
  Comm,
  type Route,
  TAG_UB,
  WAITS_LISTED,
} from '../../../src/runtime/comm.js';
import { MAX_LOST_MS, SpinPolicy } from '../../../src/runtime/spin.js';
import { describeWaits } from '../../../src/runtime/waits.js';
import type { MessageHeader } from '../../../src/transport/frame.js';

/** `size` communicators whose sends reach each other through setImmediate; `spin` gives each
 * a polling policy. */
function job(size: number, spin?: () => ConstructorParameters<typeof Comm>[3]): Comm[] {
  const comms: Comm[] = [];
  for (let rank = 0; rank < size; rank++) {
    const routes = new Map<number, Route>();
    for (let peer = 0; peer < size; peer++) {
      if (peer === rank) continue;
      routes.set(peer, {
        transport: 'tcp',
        endpoint: {
          send: (dest: number, header: MessageHeader, payload: Buffer) => {
            const copy = Buffer.from(payload);
            return new Promise<void>((resolve) =>
              setImmediate(() => {
                const target = comms[dest] as Comm;
                target.onHeader(header);
                if (header.size > 0) target.onPayload(rank, copy, 0, true, false);
                resolve();
              }),
            );
          },
        },
      });
    }
    comms.push(new Comm(rank, size, routes, spin?.()));
  }
  return comms;
}

const code = (expected: string) => (error: unknown) => hasCode(error, expected as never);
const BAD_TAGS = [-2, -3, TAG_UB + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY];

test('user tags outside 0..2^31-1 are refused by send, isend, recv, irecv and sendrecv', async () => {
  const [a] = job(2) as [Comm, Comm];
  const data = Buffer.from('x');
  for (const tag of [...BAD_TAGS, ANY_TAG]) {
    assert.throws(() => a.isend(data, 1, tag), code('E_RUNTIME_TAG'), `isend tag ${tag}`);
    await assert.rejects(a.send(data, 1, tag), code('E_RUNTIME_TAG'), `send tag ${tag}`);
    await assert.rejects(
      a.sendrecv(data, 1, tag, 1, 0),
      code('E_RUNTIME_TAG'),
      `sendrecv send tag ${tag}`,
    );
  }
  for (const tag of BAD_TAGS) {
    assert.throws(() => a.irecv(1, tag), code('E_RUNTIME_TAG'), `irecv tag ${tag}`);
    await assert.rejects(a.recv(1, tag), code('E_RUNTIME_TAG'), `recv tag ${tag}`);
    await assert.rejects(
      a.sendrecv(data, 1, 0, 1, tag),
      code('E_RUNTIME_TAG'),
      `sendrecv receive tag ${tag}`,
    );
  }
  assert.throws(
    () => a.isend(data, 1, -2),
    /tag: got -2; allowed: an integer from 0 to 2147483647/,
  );
  assert.equal(a.counters[1]?.messages, 0, 'nothing was sent');
});

test('the largest tag and tag 0 travel; ANY_TAG receives them', async () => {
  const [a, b] = job(2) as [Comm, Comm];
  const got = [b.recv(0, TAG_UB), b.recv(0, ANY_TAG)];
  await Promise.all([a.send(Buffer.from('top'), 1, TAG_UB), a.send(Buffer.from('zero'), 1, 0)]);
  const [top, zero] = await Promise.all(got);
  assert.deepEqual([top?.tag, top?.data.toString()], [TAG_UB, 'top']);
  assert.deepEqual([zero?.tag, zero?.data.toString()], [0, 'zero']);
});

test("the runtime's reserved tags: user tags refused there, and ANY_TAG never takes them", async () => {
  const [a, b] = job(2) as [Comm, Comm];
  assert.throws(() => a.reserved.isend(Buffer.alloc(1), 1, 0), code('E_RUNTIME_TAG'));
  assert.throws(() => a.reserved.irecv(1, ANY_TAG), code('E_RUNTIME_TAG'));
  const user = b.recv(0, ANY_TAG);
  await a.reserved.send(Buffer.from('runtime'), 1, -2);
  await a.send(Buffer.from('user'), 1, 5);
  assert.equal((await user).data.toString(), 'user', 'ANY_TAG skipped the reserved message');
  const own = await b.reserved.recv(0, -2);
  assert.equal(own.data.toString(), 'runtime');
});

test('ranks outside the job are refused, naming the field', async () => {
  const [a] = job(3) as [Comm, Comm, Comm];
  for (const dest of [-1, 3, 0.5]) {
    assert.throws(() => a.isend(Buffer.alloc(1), dest, 0), code('E_RUNTIME_RANK'));
    await assert.rejects(a.send(Buffer.alloc(1), dest, 0), /dest: got/);
  }
  assert.throws(() => a.irecv(3, 0), /source: got 3; allowed: a rank from 0 to 2 or ANY_SOURCE/);
  assert.doesNotThrow(() => a.irecv(ANY_SOURCE, 0));
});

test('one source and tag arrive in the order sent; ANY_SOURCE takes messages in arrival order', async () => {
  const [a, b, c] = job(3) as [Comm, Comm, Comm];
  const sends = [];
  for (let i = 0; i < 5; i++) sends.push(a.isend(Uint32Array.of(i), 2, 7).done);
  for (let i = 0; i < 5; i++) sends.push(b.isend(Uint32Array.of(100 + i), 2, 7).done);
  await Promise.all(sends);
  const fromA = [];
  for (let i = 0; i < 5; i++) fromA.push((await c.recv(0, 7)).data.readUInt32LE(0));
  assert.deepEqual(fromA, [0, 1, 2, 3, 4]);
  const any = [];
  for (let i = 0; i < 5; i++) any.push(await c.recv(ANY_SOURCE, 7));
  assert.deepEqual(
    any.map((r) => [r.source, r.data.readUInt32LE(0)]),
    [100, 101, 102, 103, 104].map((v) => [1, v]),
  );
  assert.equal(c.unmatched.length, 0);
});

test('a message into a smaller buffer fails with E_RUNTIME_TRUNCATE, posted before or after', async () => {
  const [a, b] = job(2) as [Comm, Comm];
  const early = b.recv(0, 1, new Uint8Array(2));
  await a.send(Buffer.alloc(8), 1, 1);
  await assert.rejects(early, code('E_RUNTIME_TRUNCATE'));
  await a.send(Buffer.alloc(8), 1, 2);
  await assert.rejects(b.recv(0, 2, new Uint8Array(4)), /buffer of 4 bytes is too small/);
});

test('a failed job fails pending and later operations; a lost peer fails only what needs it', async () => {
  const [a, b, c] = job(3) as [Comm, Comm, Comm];
  const gone = new Error('rank 2 is gone');
  const fromB = a.recv(1, 0);
  const fromC = a.recv(2, 0);
  a.peerLost(2, gone);
  await assert.rejects(fromC, /rank 2 is gone/);
  await assert.rejects(a.send(Buffer.alloc(1), 2, 0), /rank 2 is gone/);
  await b.send(Buffer.from('still'), 0, 0);
  assert.equal((await fromB).data.toString(), 'still');
  const pending = a.recv(1, 3);
  a.fail(new Error('the job failed'));
  await assert.rejects(pending, /the job failed/);
  await assert.rejects(a.send(Buffer.alloc(1), 1, 0), /the job failed/);
  await assert.rejects(a.recv(1, 0), /the job failed/);
  assert.equal(c.failure, null);
});

test('counters: messages and bytes per destination, self included', async () => {
  const [a, b] = job(2) as [Comm, Comm];
  const self = a.recv(0, 0);
  await a.send(Buffer.alloc(3), 0, 0);
  await self;
  const got = b.recv(0, 0);
  await a.send(Float64Array.of(1, 2), 1, 0);
  await got;
  assert.deepEqual(a.counters, [
    { messages: 1, bytes: 3, transport: 'self' },
    { messages: 1, bytes: 16, transport: 'tcp' },
  ]);
});

test('a receive polls while the policy allows it, and stops once polling loses its core', async () => {
  let reads = 0;
  let stolen = false;
  const meter = {
    now: () => performance.now(),
    // While `stolen`, another thread pre-empts this one and takes all of its core.
    usage: () => {
      reads++;
      const cpuMs = stolen ? 0 : performance.now();
      return { cpuMs, preemptions: stolen ? reads : 0, processCpuMs: cpuMs };
    },
  };
  const [a, b] = job(2, () => ({ microseconds: 5000, policy: new SpinPolicy(meter) })) as [
    Comm,
    Comm,
  ];
  const got = b.recv(0, 0);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(reads >= 1, 'a spell of polling began');
  await a.send(Buffer.from('x'), 1, 0);
  assert.equal((await got).data.toString(), 'x');
  await new Promise((resolve) => setTimeout(resolve, 5));
  stolen = true;
  const late = b.recv(0, 1);
  // The spell reads its CPU time every CHECK_MS; past MAX_LOST_MS lost it ends and backs off.
  for (let waited = 0; waited < MAX_LOST_MS * 4; waited += 1)
    await new Promise((resolve) => setTimeout(resolve, 1));
  const after = reads;
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(reads, after, 'the spell ended: no more polling once its core is lost');
  await a.send(Buffer.from('y'), 1, 1);
  assert.equal((await late).data.toString(), 'y', 'the message still arrives, sleeping');
});

test('a rank says what it waits for: receives not matched, messages no receive took, and how many', async () => {
  const [a, b] = job(2) as [Comm, Comm];
  assert.equal(
    describeWaits(0, a.waits),
    'rank 0: waits for no message (it computes, sends, or waits on something else)',
  );
  const pending = [a.irecv(1, 7), a.irecv(ANY_SOURCE, ANY_TAG)];
  for (let i = 0; i < WAITS_LISTED + 2; i++) a.reserved.irecv(1, -3);
  await b.send(Buffer.alloc(5), 0, 3);
  await b.send(Buffer.alloc(2), 0, 4);
  // The first receive (tag 7) still waits; ANY_TAG took the message with tag 3.
  assert.equal((await pending[1]?.done)?.tag, 3);
  await b.reserved.send(Buffer.alloc(0), 0, -2);
  const waits = a.waits;
  assert.deepEqual(waits.totals, { receives: 1 + WAITS_LISTED + 2, arriving: 0, unreceived: 2 });
  assert.equal(waits.receives.length, WAITS_LISTED);
  assert.equal(
    describeWaits(0, waits),
    `rank 0: waits to receive from rank 1 with tag 7, ${Array(WAITS_LISTED - 1)
      .fill("from rank 1 with the runtime's bcast")
      .join(
        ', ',
      )} and 3 more; holds unreceived from rank 1 with tag 4 (2 bytes), from rank 1 with the runtime's barrier (0 bytes)`,
  );
  // Whatever a rank answered, or nothing: a line, never an exception.
  assert.equal(
    describeWaits(3, undefined),
    'rank 3: did not answer (computing, stopped, or not joined yet)',
  );
  assert.match(
    describeWaits(2, { receives: 'garbage', totals: null }),
    /^rank 2: waits for no message/,
  );
  assert.equal(
    describeWaits(1, { ...b.waits, connecting: true }),
    'rank 1: still connects to its peers (in init)',
  );
  assert.equal(
    describeWaits(1, { joining: true }),
    "rank 1: still joins the job (waits for the rendezvous' table)",
  );
  // Another process's answer: entries that are not integers are left out, and no more than
  // WAITS_LISTED are shown whatever it sent.
  const odd = { source: 1, tag: 2, size: { toString: 1 } };
  const many = Array.from({ length: 50 }, () => ({ source: 1, tag: 5 }));
  assert.equal(
    describeWaits(4, { receives: many, unreceived: [odd, { source: 1, tag: '2\nx', size: 1 }] }),
    `rank 4: waits to receive ${Array(WAITS_LISTED).fill('from rank 1 with tag 5').join(', ')} and ${50 - WAITS_LISTED} more`,
  );
});
