/**
 * The shared-memory pipe (src/transport/pipe.ts) on memory of this process: bytes in order
 * across the ring's end, a sender that waits for room and the receiver that rings for it, the
 * data bell rung only for a sleeping receiver, and a broken pipe failing its wait.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InPipe, OutPipe, PIPE_HEADER_BYTES } from '../../../src/transport/pipe.js';

function pair(bytes: number) {
  const memory = new ArrayBuffer(PIPE_HEADER_BYTES + bytes);
  const got: Buffer[] = [];
  const rung = { data: 0, room: 0 };
  let out: OutPipe | null = null;
  const inbound = new InPipe(
    memory,
    (piece) => got.push(Buffer.from(piece)),
    () => {
      rung.room++;
      out?.roomMade();
    },
  );
  out = new OutPipe(memory, () => rung.data++);
  return { out, inbound, got, rung, received: () => Buffer.concat(got) };
}

test('bytes come out in order across the ring end; the data bell rings only for a sleeper', () => {
  const { out, inbound, received, rung } = pair(64);
  inbound.wake();
  let sent = Buffer.alloc(0);
  for (let i = 0; i < 50; i++) {
    const part = Buffer.alloc(1 + (i % 23), i);
    assert.equal(out.write([part]), true, 'fits at once');
    sent = Buffer.concat([sent, part]);
    assert.equal(inbound.poll(), true);
  }
  assert.equal(inbound.poll(), false, 'nothing more');
  assert.deepEqual(received(), sent);
  assert.equal(rung.data, 0, 'an awake receiver is not rung for');
  assert.equal(inbound.sleep(), false);
  out.write([Buffer.from('x')]);
  out.write([Buffer.from('y')]);
  assert.equal(rung.data, 1, 'a sleeper is rung for once, until it sleeps again');
  assert.equal(inbound.sleep(), true, 'going to sleep takes what came');
  assert.equal(received().subarray(-2).toString(), 'xy');
});

test('a write larger than the ring waits for room, which the receiver rings for', async () => {
  const { out, inbound, received, rung } = pair(64);
  const big = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));
  const written = out.write([Buffer.from('head'), big]);
  assert.notEqual(written, true, 'does not fit: a wait');
  // The receiver sleeps: every doorbell makes it look again (as the socket's bell would).
  while (received().length < 304) {
    inbound.sleep();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await written;
  assert.deepEqual(received(), Buffer.concat([Buffer.from('head'), big]));
  assert.ok(rung.room > 0, 'the sender waited for room and was rung');
});

test('a broken pipe fails the wait for room and every later write', async () => {
  const { out } = pair(64);
  const waiting = out.write([Buffer.alloc(100)]);
  assert.notEqual(waiting, true);
  out.break(new Error('connection closed'));
  await assert.rejects(waiting as Promise<void>, /connection closed/);
  await assert.rejects(out.write([Buffer.alloc(1)]) as Promise<void>, /connection closed/);
  assert.throws(() => new OutPipe(new ArrayBuffer(PIPE_HEADER_BYTES + 100), () => {}), RangeError);
});
