#!/usr/bin/env node
/**
 * The reference for bench rr-vs-node: the plainest Node.js ping-pong over one TCP connection
 * (no framing, no accounting but a latency per exchange). Run inside namespaces by the bench.
 *   pingpong serve --bind ADDR              prints the port, echoes every byte back
 *   pingpong ping --bind ADDR --target A:P [--bytes N] --ms D --warmup-ms W
 *     sends N bytes (default 1), waits for all N back, again; prints {"meanUs":..,"p50Us":..}
 */
import { createConnection, createServer } from 'node:net';

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1] ?? '';

if (process.argv[2] === 'serve') {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
  });
  server.listen({ host: arg('--bind'), port: 0 }, () => {
    const address = server.address();
    process.stdout.write(
      `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
    );
  });
  process.stdin.on('end', () => process.exit(0)).resume();
} else {
  const [host, port] = arg('--target').split(':');
  const socket = createConnection({
    host,
    port: Number(port),
    localAddress: arg('--bind'),
    noDelay: true,
  });
  const size = process.argv.includes('--bytes') ? Number(arg('--bytes')) : 1;
  const one = Buffer.alloc(size, 1);
  let back = 0;
  const samples: number[] = [];
  socket.on('connect', () => {
    const measureFrom = performance.now() + Number(arg('--warmup-ms'));
    const end = measureFrom + Number(arg('--ms'));
    let sentAt = performance.now();
    socket.on('data', (chunk) => {
      back += chunk.length;
      if (back < size) return;
      back = 0;
      const now = performance.now();
      if (sentAt >= measureFrom) samples.push((now - sentAt) * 1000);
      if (now >= end) {
        samples.sort((a, b) => a - b);
        const meanUs = samples.reduce((s, v) => s + v, 0) / samples.length;
        process.stdout.write(
          `${JSON.stringify({ meanUs, p50Us: samples[Math.floor(samples.length / 2)] })}\n`,
        );
        process.exit(0);
      }
      sentAt = now;
      socket.write(one);
    });
    socket.write(one);
  });
}
