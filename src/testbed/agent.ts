#!/usr/bin/env node
/**
 * The traffic agent: a small program vmpath starts inside a testbed namespace (with
 * `ip netns exec`) to check reachability and move bytes over the real data path.
 *
 *   agent serve --bind ADDR            listen on ADDR (random port); print {"ready":true,"port":N}
 *   agent probe --bind ADDR --targets A:P,B:P [--timeout-ms T]
 *                                      one TCP connection to each target, ping/pong; print results
 *   agent send --bind ADDR --target A:P --seconds S
 *                                      stream bytes for S seconds; print what the receiver counted
 *
 * Each connection opens with one JSON line naming the operation. The server exits when its
 * standard input closes (so it never outlives the vmpath process that started it) or on SIGTERM.
 * It prints JSON lines only; it imports nothing from vmpath, so it starts fast.
 */
import { createConnection, createServer, type Socket } from 'node:net';

const CHUNK = Buffer.alloc(128 * 1024, 0x5a);
const MAX_HEADER = 1024;

function option(args: string[], name: string): string {
  const i = args.indexOf(name);
  const value = i >= 0 ? args[i + 1] : undefined;
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}

function splitTarget(target: string): { host: string; port: number } {
  const at = target.lastIndexOf(':');
  return { host: target.slice(0, at), port: Number(target.slice(at + 1)) };
}

/** Reads the first line of a connection (the header); rest of the data goes to `onData`. */
function readHeader(
  socket: Socket,
  onHeader: (header: { op?: string }, rest: Buffer) => void,
): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const newline = buffered.indexOf(10);
    if (newline < 0) {
      if (buffered.length > MAX_HEADER) socket.destroy();
      return;
    }
    socket.off('data', onData);
    let header: { op?: string } = {};
    try {
      header = JSON.parse(buffered.subarray(0, newline).toString('utf8'));
    } catch {
      socket.destroy();
      return;
    }
    onHeader(header, buffered.subarray(newline + 1));
  };
  socket.on('data', onData);
}

function serve(args: string[]): void {
  const bind = option(args, '--bind');
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    readHeader(socket, (header, rest) => {
      if (header.op === 'ping') {
        socket.end(`${JSON.stringify({ op: 'pong', from: bind })}\n`);
        return;
      }
      if (header.op !== 'sink') return socket.destroy();
      let bytes = rest.length;
      let first = rest.length > 0 ? performance.now() : 0;
      let last = first;
      socket.on('data', (chunk: Buffer) => {
        last = performance.now();
        if (bytes === 0) first = last;
        bytes += chunk.length;
      });
      socket.on('end', () =>
        socket.end(`${JSON.stringify({ bytes, seconds: (last - first) / 1000 })}\n`),
      );
    });
  });
  server.listen({ host: bind, port: 0 }, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
  });
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.stdin.on('end', stop).on('close', stop).resume();
  process.on('SIGTERM', stop);
}

function connect(bind: string, target: string, timeoutMs: number): Promise<Socket> {
  const { host, port } = splitTarget(target);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port, localAddress: bind, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function readReply(socket: Socket, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('error', reject);
    socket.once('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(text.trim()));
      } catch {
        reject(new Error('connection closed without a reply'));
      }
    });
  });
}

async function probeOne(bind: string, target: string, timeoutMs: number) {
  const begin = performance.now();
  try {
    const socket = await connect(bind, target, timeoutMs);
    socket.write(`${JSON.stringify({ op: 'ping' })}\n`);
    const reply = await readReply(socket, timeoutMs);
    return { target, ok: reply.op === 'pong', ms: performance.now() - begin, from: reply.from };
  } catch (error) {
    return { target, ok: false, ms: performance.now() - begin, error: (error as Error).message };
  }
}

async function probe(args: string[]): Promise<void> {
  const bind = option(args, '--bind');
  const timeoutMs = args.includes('--timeout-ms') ? Number(option(args, '--timeout-ms')) : 3000;
  const targets = option(args, '--targets').split(',').filter(Boolean);
  const results = await Promise.all(targets.map((target) => probeOne(bind, target, timeoutMs)));
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

async function send(args: string[]): Promise<void> {
  const bind = option(args, '--bind');
  const seconds = Number(option(args, '--seconds'));
  const socket = await connect(bind, option(args, '--target'), 3000);
  socket.write(`${JSON.stringify({ op: 'sink' })}\n`);
  const reply = readReply(socket, (seconds + 10) * 1000);
  const end = performance.now() + seconds * 1000;
  let sent = 0;
  while (performance.now() < end) {
    sent += CHUNK.length;
    if (!socket.write(CHUNK)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.end();
  const counted = await reply;
  process.stdout.write(
    `${JSON.stringify({ sent, received: counted.bytes, seconds: counted.seconds })}\n`,
  );
}

const [mode, ...rest] = process.argv.slice(2);
const modes: Record<string, (args: string[]) => void | Promise<void>> = { serve, probe, send };
const run = mode ? modes[mode] : undefined;
if (!run) {
  process.stderr.write('usage: agent serve|probe|send ...\n');
  process.exit(2);
}
Promise.resolve(run(rest)).catch((error: Error) => {
  process.stderr.write(`agent ${mode}: ${error.message}\n`);
  process.exit(1);
});
