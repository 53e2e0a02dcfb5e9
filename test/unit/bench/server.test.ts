import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ControlMessage, encodeFrame, FrameDecoder } from '../../../src/bench/protocol.js';

const SERVER = fileURLToPath(new URL('../../../src/bench/server.js', import.meta.url));

/** Starts the bench server on loopback; its port and a way to stop it. */
async function startServer() {
  const child = spawn(process.execPath, [SERVER, '--bind', '127.0.0.1'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString()) as { port: number };
  return {
    port,
    stop: async () => {
      child.stdin.end(); // the server exits when its input closes
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

function messages(socket: Socket): () => Promise<ControlMessage> {
  const decoder = new FrameDecoder();
  const queue: ControlMessage[] = [];
  let waiter: ((m: ControlMessage) => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    for (const m of decoder.push(chunk)) {
      if (waiter) {
        const w = waiter;
        waiter = null;
        w(m);
      } else queue.push(m);
    }
  });
  return () => {
    const queued = queue.shift();
    return queued ? Promise.resolve(queued) : new Promise((resolve) => (waiter = resolve));
  };
}

async function connected(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

test('the bench server counts every byte of a stream, those sent with the data frame included', async () => {
  const server = await startServer();
  try {
    const control = await connected(server.port);
    const next = messages(control);
    control.write(encodeFrame({ type: 'stream', sizeBytes: 4096, durationMs: 0, warmupMs: 0 }));
    const ready = await next();
    assert.equal(ready.type, 'ready');
    const token = ready.type === 'ready' ? ready.token : '';
    const data = await connected(server.port);
    // The data frame and the first bytes in one write, then writes of odd sizes, some larger
    // than the server's read buffer (4096 asked, 64 KiB at least).
    let sent = 0;
    const chunk = (bytes: number) => {
      sent += bytes;
      return Buffer.alloc(bytes, sent & 0xff);
    };
    data.write(Buffer.concat([encodeFrame({ type: 'data', token }), chunk(1000)]));
    for (const bytes of [1, 4095, 65_537, 300_001, 3, 1 << 20]) data.write(chunk(bytes));
    data.end();
    const result = await next();
    assert.equal(result.type, 'result');
    assert.equal(result.type === 'result' ? result.bytes : -1, sent);
    control.end();
  } finally {
    await server.stop();
  }
});

test('the bench server answers each whole request of an rr test, however the bytes arrive', async () => {
  const server = await startServer();
  try {
    const control = await connected(server.port);
    const next = messages(control);
    control.write(
      encodeFrame({ type: 'rr', requestBytes: 10, responseBytes: 3, durationMs: 0, warmupMs: 0 }),
    );
    const ready = await next();
    const token = ready.type === 'ready' ? ready.token : '';
    const data = await connected(server.port);
    let answered = 0;
    data.on('data', (chunk: Buffer) => {
      answered += chunk.length;
    });
    // 7 requests of 10 bytes, split across writes and the data frame's own segment.
    data.write(Buffer.concat([encodeFrame({ type: 'data', token }), Buffer.alloc(4)]));
    data.write(Buffer.alloc(25));
    data.write(Buffer.alloc(41)); // 70 bytes in all
    const deadline = Date.now() + 5000;
    while (answered < 21 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(answered, 21, '7 responses of 3 bytes');
    data.end();
    const result = await next();
    assert.equal(result.type === 'result' ? result.bytes : -1, 70);
    control.end();
  } finally {
    await server.stop();
  }
});
