/**
 * A whole job in one process: N ranks joined through a real rendezvous on a Unix socket, talking
 * over loopback TCP (different "vms") and Unix sockets (same vm). Checks results against values
 * computed serially.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANY_SOURCE, ANY_TAG, init, type World } from '../../../src/runtime/index.js';
import { each, inProcessJob as job } from '../../support/job.js';
import { tempDir } from '../../support/temp.js';

test('ring, sendrecv, ANY_SOURCE, collectives against serial values; tcp and local mixed', async () => {
  const { worlds, server } = await job(5, (rank) => `vm${rank >> 1}`);
  try {
    const ring = await each(worlds, async (w) => {
      const right = (w.rank + 1) % w.size;
      const left = (w.rank + w.size - 1) % w.size;
      const got = await w.sendrecv(
        Float64Array.of(w.rank * 10),
        right,
        1,
        left,
        1,
        new Float64Array(1),
      );
      return new Float64Array(got.data.buffer, got.data.byteOffset, 1)[0];
    });
    assert.deepEqual(ring, [40, 0, 10, 20, 30]);

    const gathered = await each(worlds, async (w) => {
      if (w.rank !== 0) {
        await w.send(Buffer.from(`hi from ${w.rank}`), 0, 7);
        return [];
      }
      const from: number[] = [];
      for (let i = 1; i < w.size; i++) from.push((await w.recv(ANY_SOURCE, ANY_TAG)).source);
      return from.sort();
    });
    assert.deepEqual(gathered[0], [1, 2, 3, 4]);

    const sums = await each(worlds, (w) => w.allreduce(w.rank + 1, 'sum'));
    assert.deepEqual(sums, [15, 15, 15, 15, 15]);
    const maxes = await each(worlds, (w) => w.allreduce(Float64Array.of(w.rank, -w.rank), 'max'));
    assert.ok(maxes.every((m) => m[0] === 4 && m[1] === 0));
    const mins = await each(worlds, (w) => w.reduce(w.rank + 3, 'min', 2));
    assert.deepEqual(mins, [null, null, 3, null, null]);
    const bc = await each(worlds, (w) =>
      w.bcast(w.rank === 3 ? Float64Array.of(7, 8, 9) : new Float64Array(3), 3),
    );
    assert.ok(bc.every((b) => b.join() === '7,8,9'));
    const g = await each(worlds, (w) => w.gather(Buffer.from([w.rank]), 1));
    assert.deepEqual(
      g[1]?.map((b) => b[0]),
      [0, 1, 2, 3, 4],
    );
    const ag = await each(worlds, (w) => w.allgather(Buffer.alloc(w.rank, w.rank)));
    assert.ok(ag.every((parts) => parts.map((p) => p.length).join() === '0,1,2,3,4'));
    await each(worlds, (w) => w.barrier());
  } finally {
    await each(worlds, (w) => w.finalize());
    await server.close();
  }
});

test('non-overtaking under load, a 64 MiB message, typed arrays both ways', async () => {
  const { worlds, server } = await job(2, (rank) => `vm${rank}`);
  try {
    const [a, b] = worlds as [World, World];
    const big = Buffer.alloc(64 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 1024) big[i] = (i >> 10) & 0xff;
    const sends = [];
    for (let i = 0; i < 200; i++) sends.push(a.isend(Uint32Array.of(i), 1, i % 3));
    sends.push(a.isend(big, 1, 9));
    // Receive in another order than sent: all of tag 2, then 1, then 0; each tag stays in order.
    for (const tag of [2, 1, 0]) {
      const count = Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 3 === tag).length;
      const values: number[] = [];
      for (let k = 0; k < count; k++) values.push((await b.recv(0, tag)).data.readUInt32LE(0));
      assert.deepEqual(
        values,
        Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 3 === tag),
        `tag ${tag} in order`,
      );
    }
    const into = Buffer.alloc(big.length);
    const r = await b.recv(0, 9, into);
    assert.ok(r.data.equals(big));
    assert.equal(r.data.buffer, into.buffer, 'received into the given buffer');
    await Promise.all(sends.map((s) => s.done));
    await assert.rejects(
      (async () => {
        await a.send(Buffer.alloc(100), 1, 4);
        await b.recv(0, 4, Buffer.alloc(10));
      })(),
      /receive buffer of 10 bytes is too small for a message of 100 bytes from rank 0 with tag 4/,
    );
    assert.throws(() => a.isend(Buffer.alloc(1), 5, 0), /dest: got 5; allowed: a rank from 0 to 1/);
  } finally {
    await each(worlds, (w) => w.finalize());
    await server.close();
  }
});

test('the rendezvous refuses a wrong token and garbage, and the job goes on', async () => {
  const { connect } = await import('node:net');
  const { worlds, server, rejected, path: rendezvousPath } = await job(2, (rank) => `vm${rank}`);
  try {
    for (const line of ['{"token":"nope","info":{"rank":0}}\n', 'GET / HTTP/1.1\r\n\r\n\n']) {
      const socket = connect({ path: rendezvousPath });
      socket.on('error', () => {});
      socket.write(line);
      await new Promise((resolve) => socket.once('close', resolve));
    }
    assert.equal(rejected.length, 2, rejected.join('; '));
    assert.match(rejected.join('; '), /without the job token.*not JSON/);
    assert.deepEqual(await each(worlds, (w) => w.allreduce(1, 'sum')), [2, 2]);
  } finally {
    await each(worlds, (w) => w.finalize());
    await server.close();
  }
});

test('under an external launcher (OMPI_ variables), rank 0 hosts the rendezvous at host:port', async () => {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const dir = tempDir('vmpath-ext-');
  // Start the higher ranks first: they must wait for rank 0's rendezvous to come up.
  const order = [3, 2, 1, 0];
  const pending = order.map((rank) =>
    init({
      env: {
        OMPI_COMM_WORLD_RANK: String(rank),
        OMPI_COMM_WORLD_SIZE: '4',
        VMPATH_TOKEN: 'ext',
        VMPATH_RENDEZVOUS: `127.0.0.1:${port}`,
        VMPATH_NODE: `host${rank % 2}`,
        VMPATH_JOB_DIR: dir,
      },
      timeoutMs: 5000,
    }),
  );
  const worlds = (await Promise.all(pending)).sort((a, b) => a.rank - b.rank);
  assert.deepEqual(await each(worlds, (w) => w.allreduce(w.rank, 'sum')), [6, 6, 6, 6]);
  await each(worlds, (w) => w.finalize());
});
