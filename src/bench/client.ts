#!/usr/bin/env node
/**
 * The bench client: started by vmpath inside the source namespace for one run of one test
 * against a bench server (server.ts). It prints one JSON line, a StreamRun or an RrRun
 * (types.ts), and exits; on any failure it prints the reason to stderr and exits 1.
 *
 *   client stream --bind SRC --target DST:PORT --size B --duration-ms D --warmup-ms W
 *   client rr --bind SRC --target DST:PORT --request B --response B --duration-ms D --warmup-ms W
 *
 * stream writes `size`-byte messages for warm-up + duration and reports what the receiver
 * counted after the warm-up (netperf TCP_STREAM); rr does one request/response after another
 * and times each (netperf TCP_RR). It exits when its standard input closes, so it never
 * outlives the vmpath that started it. Imports only node: modules and files of its own folder.
 */
import { createConnection, type Socket } from 'node:net';
import { type ControlMessage, encodeFrame, FrameDecoder } from './protocol.js';
import { percentiles } from './stats.js';
import type { RrRun, StreamRun } from './types.js';
import { MiB } from './types.js';

function option(name: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}

function connect(bind: string, target: string, noDelay: boolean): Promise<Socket> {
  const at = target.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = createConnection({
      host: target.slice(0, at),
      port: Number(target.slice(at + 1)),
      localAddress: bind,
      noDelay,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${target} within 5 s`));
    }, 5000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the bench server at ${target}: ${error.message}`));
    });
  });
}

/** The control connection: send messages, await the next one. */
class Control {
  readonly #socket: Socket;
  readonly #decoder = new FrameDecoder();
  readonly #queue: ControlMessage[] = [];
  #waiter: ((m: ControlMessage) => void) | null = null;
  #failure: Error | null = null;
  #onFail: ((e: Error) => void) | null = null;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const message of this.#decoder.push(chunk)) {
        if (this.#waiter) this.#waiter(message);
        else this.#queue.push(message);
      }
    });
    const lost = () =>
      this.#fail(new Error('the bench server closed the control connection (did it die?)'));
    socket.on('close', lost).on('error', lost);
  }

  send(message: ControlMessage): void {
    this.#socket.write(encodeFrame(message));
  }

  next(): Promise<ControlMessage> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiter = (m) => {
        this.#waiter = null;
        resolve(m);
      };
      this.#onFail = reject;
    });
  }

  close(): void {
    this.#socket.removeAllListeners('close');
    this.#socket.end();
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#onFail?.(error);
  }
}

async function expect<T extends ControlMessage['type']>(
  control: Control,
  type: T,
): Promise<Extract<ControlMessage, { type: T }>> {
  const message = await control.next();
  if (message.type === 'error') throw new Error(`bench server: ${message.message}`);
  if (message.type !== type) throw new Error(`bench server sent ${message.type}, expected ${type}`);
  return message as Extract<ControlMessage, { type: T }>;
}

/** Opens control and data connections for one test; returns both. */
async function open(
  test: ControlMessage,
  noDelay: boolean,
): Promise<{ control: Control; data: Socket }> {
  const bind = option('--bind');
  const target = option('--target');
  const control = new Control(await connect(bind, target, true));
  control.send(test);
  const { token } = await expect(control, 'ready');
  const data = await connect(bind, target, noDelay);
  data.write(encodeFrame({ type: 'data', token }));
  return { control, data };
}

/** Resolves when the socket can take more data, or has closed. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}

async function stream(): Promise<StreamRun> {
  const sizeBytes = Number(option('--size'));
  const durationMs = Number(option('--duration-ms'));
  const warmupMs = Number(option('--warmup-ms'));
  const { control, data } = await open({ type: 'stream', sizeBytes, durationMs, warmupMs }, false);
  const message = Buffer.alloc(sizeBytes, 0x53);
  let failed: Error | null = null;
  data.on('error', (error) => {
    failed = error;
  });
  const cpuBefore = process.cpuUsage();
  const begin = performance.now();
  const end = begin + warmupMs + durationMs;
  let sentBytes = 0;
  while (performance.now() < end && !failed) {
    sentBytes += sizeBytes;
    if (!data.write(message)) await drained(data);
  }
  if (failed) throw new Error(`data connection failed: ${(failed as Error).message}`);
  data.end();
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - begin;
  const result = await expect(control, 'result');
  control.close();
  return {
    test: 'stream',
    bytes: result.bytes,
    seconds: result.seconds,
    mibps: result.seconds > 0 ? result.bytes / MiB / result.seconds : 0,
    sentBytes,
    senderCpuPct: (100 * (cpu.user + cpu.system)) / 1000 / elapsedMs,
    window: { startMs: result.firstByteAt, endMs: result.lastByteAt },
  };
}

async function rr(): Promise<RrRun> {
  const requestBytes = Number(option('--request'));
  const responseBytes = Number(option('--response'));
  const durationMs = Number(option('--duration-ms'));
  const warmupMs = Number(option('--warmup-ms'));
  const { control, data } = await open(
    { type: 'rr', requestBytes, responseBytes, durationMs, warmupMs },
    true,
  );
  const request = Buffer.alloc(requestBytes, 0x51);
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const result = await new Promise<{ startMs: number; endMs: number }>((resolve, reject) => {
    const begin = performance.now();
    const measureFrom = begin + warmupMs;
    const end = measureFrom + durationMs;
    let received = 0;
    let sentAt = performance.now();
    data.on('error', (error) => reject(new Error(`data connection failed: ${error.message}`)));
    data.on('close', () => reject(new Error('the bench server closed the data connection')));
    data.on('data', (chunk: Buffer) => {
      received += chunk.length;
      while (received >= responseBytes) {
        received -= responseBytes;
        const now = performance.now();
        if (sentAt >= measureFrom) {
          if (count === latencies.length) {
            const grown = new Float64Array(latencies.length * 2);
            grown.set(latencies);
            latencies = grown;
          }
          latencies[count++] = (now - sentAt) * 1000;
        }
        if (now >= end) {
          data.removeAllListeners('close');
          return resolve({
            startMs: performance.timeOrigin + measureFrom,
            endMs: performance.timeOrigin + now,
          });
        }
        sentAt = now;
        data.write(request);
      }
    });
    data.write(request);
  });
  data.end();
  await expect(control, 'result');
  control.close();
  const measured = latencies.subarray(0, count);
  const [p50 = 0, p90 = 0, p99 = 0] = percentiles(measured, [50, 90, 99]);
  const seconds = (result.endMs - result.startMs) / 1000;
  let sum = 0;
  let max = 0;
  for (const value of measured) {
    sum += value;
    if (value > max) max = value;
  }
  return {
    test: 'rr',
    transactions: count,
    seconds,
    transactionsPerSecond: seconds > 0 ? count / seconds : 0,
    latencyUs: { mean: count ? sum / count : 0, p50, p90, p99, max },
    window: result,
  };
}

process.stdin.on('end', () => process.exit(1)).resume();

const tests: Record<string, () => Promise<StreamRun | RrRun>> = { stream, rr };
const run = tests[process.argv[2] ?? ''];
if (!run) {
  process.stderr.write('usage: client stream|rr --bind SRC --target DST:PORT ...\n');
  process.exit(2);
}
run().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: Error) => {
    process.stderr.write(`bench client: ${error.message}\n`);
    process.exit(1);
  },
);
