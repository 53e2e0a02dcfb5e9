#!/usr/bin/env node
/**
 * The bench server: started by vmpath inside the target namespace, one per pair (concurrent
 * pairs never share one). It listens on ADDR, prints {"ready":true,"port":N}, and serves tests
 * one after another: a client sends a test on a control connection (length-prefixed JSON,
 * protocol.ts), gets a token, opens a data connection presenting it, and runs the test.
 *   stream: the server receives and counts bytes, excluding the warm-up, and reports them.
 *   rr:     the server answers every request of N bytes with a response of M bytes.
 * It exits when its standard input closes (vmpath is done or gone), on SIGTERM, or with exit 1
 * when a client vanishes in the middle of a test. It imports only node: modules, protocol.ts and
 * the runtime's socket reader (transport/reader.ts, itself node: only): every connection is read
 * into buffers the server owns, a test's data connection into one of up to the stream's write
 * size (as iperf3's receiver reads into one of its block size), not into a new 64 KiB chunk per
 * read. On tiny's native pair (128 KiB writes) the 'data' events' reads cost the receiver 63% of
 * a core (19% of it user time), against iperf3's 38%, and that core is one of the 2 that the
 * sender and the kernel's packet processing need too.
 *
 *   server --bind ADDR [--port PORT]
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { adoptAccepted, Reader } from '../transport/reader.js';
import { type ControlMessage, encodeFrame, FrameDecoder } from './protocol.js';

/** The largest buffer a test's data connection is read into. */
const MAX_READ_BYTES = 1 << 20;

/** Sends a test's result on its control connection, which marks the test finished. */
type Report = (result: Extract<ControlMessage, { type: 'result' }>) => void;

type Test = Extract<ControlMessage, { type: 'stream' } | { type: 'rr' }>;

interface Pending {
  readonly test: Test;
  readonly control: Socket;
}

const pending = new Map<string, Pending>();
const epochMs = () => performance.timeOrigin + performance.now();

function fail(message: string): never {
  process.stderr.write(`bench server: ${message}\n`);
  process.exit(1);
}

function send(control: Socket, message: ControlMessage): void {
  if (!control.destroyed) control.write(encodeFrame(message));
}

/** stream: count what arrives after the warm-up; report when the sender closes. */
function receiveStream(
  data: Socket,
  reader: Reader,
  first: Buffer,
  test: Extract<Test, { type: 'stream' }>,
  report: Report,
): void {
  let started = 0;
  let warmEnd = 0;
  let last = 0;
  let bytes = 0;
  const onBytes = (length: number) => {
    const now = epochMs();
    if (started === 0) {
      started = now;
      warmEnd = now + test.warmupMs;
    }
    if (now >= warmEnd) bytes += length;
    last = now;
  };
  if (first.length > 0) onBytes(first.length);
  // Only counted: every read lands in the same buffer.
  const sink = Buffer.allocUnsafe(Math.max(64 * 1024, Math.min(test.sizeBytes, MAX_READ_BYTES)));
  reader.direct = () => sink;
  reader.onBytes = (bytes) => onBytes(bytes.length);
  data.on('end', () => {
    const seconds = Math.max(0, (last - warmEnd) / 1000);
    report({ type: 'result', bytes, seconds, firstByteAt: warmEnd, lastByteAt: last });
    data.end();
  });
}

/** rr: answer each whole request with one response. */
function answerRequests(
  data: Socket,
  reader: Reader,
  first: Buffer,
  test: Extract<Test, { type: 'rr' }>,
  report: Report,
): void {
  const response = Buffer.alloc(test.responseBytes, 0x52);
  let buffered = 0;
  let total = 0;
  const firstAt = epochMs();
  const onBytes = (length: number) => {
    buffered += length;
    total += length;
    while (buffered >= test.requestBytes) {
      buffered -= test.requestBytes;
      data.write(response);
    }
  };
  if (first.length > 0) onBytes(first.length);
  reader.onBytes = (bytes) => onBytes(bytes.length);
  data.on('end', () => {
    report({
      type: 'result',
      bytes: total,
      seconds: (epochMs() - firstAt) / 1000,
      firstByteAt: firstAt,
      lastByteAt: epochMs(),
    });
    data.end();
  });
}

function onConnection(raw: Socket): void {
  const reader = new Reader();
  const { socket } = adoptAccepted(raw, reader);
  const decoder = new FrameDecoder();
  socket.on('error', () => socket.destroy());
  // Control frames are small: copied out of the reader's scratch buffer, which the next read
  // reuses (the decoder keeps what it has not parsed yet).
  reader.onBytes = (bytes) => onData(Buffer.from(bytes));
  const onData = (chunk: Buffer) => {
    let messages: ControlMessage[];
    try {
      messages = decoder.push(chunk);
    } catch (error) {
      socket.destroy();
      process.stderr.write(`bench server: bad control frame: ${(error as Error).message}\n`);
      return;
    }
    for (const message of messages) {
      if (message.type === 'stream' || message.type === 'rr') {
        const token = randomBytes(12).toString('hex');
        pending.set(token, { test: message, control: socket });
        socket.once('close', () => {
          if (pending.delete(token)) return;
        });
        send(socket, { type: 'ready', token });
      } else if (message.type === 'data') {
        const entry = pending.get(message.token);
        if (!entry) return void socket.destroy();
        pending.delete(message.token);
        startTest(socket, reader, decoder.rest(), entry);
        return;
      }
    }
  };
}

function startTest(data: Socket, reader: Reader, first: Buffer, { test, control }: Pending): void {
  let finished = false;
  const vanished = () => {
    if (!finished) fail(`client vanished during a ${test.type} test`);
  };
  const report: Report = (result) => {
    finished = true;
    send(control, result);
  };
  control.once('close', vanished);
  data.on('error', () => vanished());
  data.setNoDelay(test.type === 'rr');
  if (test.type === 'stream') receiveStream(data, reader, first, test, report);
  else answerRequests(data, reader, first, test, report);
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const bind = option('--bind') ?? fail('usage: server --bind ADDR [--port PORT]');
const server = createServer({ pauseOnConnect: true }, onConnection);
server.on('error', (error: NodeJS.ErrnoException) => {
  fail(
    error.code === 'EADDRINUSE' ? `port ${option('--port')} on ${bind} is in use` : error.message,
  );
});
server.listen({ host: bind, port: Number(option('--port') ?? 0) }, () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ ready: true, port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
const stop = () => process.exit(0);
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
