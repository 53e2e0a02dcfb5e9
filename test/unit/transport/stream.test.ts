/**
 * The stream transport on loopback TCP and on Unix-domain sockets, several ranks in one process.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect as rawConnect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MessageHeader } from '../../../src/transport/frame.js';
import { SHM_DIR, sharedMemory } from '../../../src/transport/pipe.js';

const INLINE_BYTES = 64 * 1024;

import {
  decodeHello,
  encodeHello,
  type PeerAddress,
  StreamEndpoint,
} from '../../../src/transport/stream.js';
import { tempDir } from '../../support/temp.js';

interface Got {
  header: MessageHeader;
  bytes: Buffer;
  complete: boolean;
}

/** Builds `size` ranks, fully connected; returns endpoints, what each received, and what was refused. */
async function job(size: number, kind: 'tcp' | 'local' | 'shm', token = 'secret-token') {
  const got: Got[][] = Array.from({ length: size }, () => []);
  const rejected: string[][] = Array.from({ length: size }, () => []);
  const lost: number[][] = Array.from({ length: size }, () => []);
  /** The message under way from each source, and bytes each rank read in place. */
  const current = Array.from({ length: size }, () => new Map<number, Got>());
  const inPlace: number[] = Array.from({ length: size }, () => 0);
  const dir = kind === 'tcp' ? '' : tempDir('vmpath-uds-');
  const addon = sharedMemory();
  if (kind === 'shm' && typeof addon === 'string') throw new Error(addon);
  const prefix = `${SHM_DIR}/vmpath-test-${process.pid}-${Date.now()}`;
  const rings = kind === 'shm' && typeof addon !== 'string' ? { addon, prefix } : null;
  const endpoints = Array.from({ length: size }, (_, rank) => {
    return new StreamEndpoint(
      rank,
      size,
      token,
      {
        onHeader: (header) => {
          const message = { header, bytes: Buffer.alloc(header.size), complete: header.size === 0 };
          got[rank]?.push(message);
          current[rank]?.set(header.source, message);
          return message.bytes;
        },
        onPayload: (source, bytes, offset, last, readInPlace) => {
          const message = current[rank]?.get(source);
          if (!message) return;
          if (!readInPlace) bytes.copy(message.bytes, offset);
          else {
            assert.equal(bytes.buffer, message.bytes.buffer, 'in place means in the buffer');
            inPlace[rank] = (inPlace[rank] ?? 0) + bytes.length;
          }
          if (last) message.complete = true;
        },
        onPeerLost: (peer) => lost[rank]?.push(peer),
        onRejected: (reason) => rejected[rank]?.push(reason),
      },
      rings,
    );
  });
  const addresses: PeerAddress[] = [];
  for (const [rank, endpoint] of endpoints.entries()) {
    addresses.push(
      await endpoint.listen(
        kind === 'tcp' ? { host: '127.0.0.1' } : { path: join(dir, `r${rank}.sock`) },
      ),
    );
  }
  for (const [rank, endpoint] of endpoints.entries()) {
    for (let peer = 0; peer < rank; peer++)
      await endpoint.connect(peer, addresses[peer] as PeerAddress);
  }
  for (const [rank, endpoint] of endpoints.entries()) {
    await endpoint.waitFor(
      Array.from({ length: size }, (_, r) => r).filter((r) => r !== rank),
      5000,
    );
  }
  return { endpoints, got, rejected, lost, addresses, prefix, inPlace };
}

const complete = (messages: Got[] | undefined) => (messages ?? []).filter((m) => m.complete).length;

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const kind of ['tcp', 'local', 'shm'] as const) {
  test(`${kind}: every pair exchanges messages, in order, of any size, typed arrays as views`, async () => {
    const { endpoints, got, inPlace } = await job(3, kind);
    try {
      const big = Buffer.alloc(12 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
      const floats = new Float64Array([1.5, -2.25, Math.PI]);
      const sends: (true | Promise<void>)[] = [];
      for (const [rank, endpoint] of endpoints.entries()) {
        for (let dest = 0; dest < 3; dest++) {
          if (dest === rank) continue;
          for (let seq = 0; seq < 5; seq++)
            sends.push(
              endpoint.send(
                dest,
                { source: rank, tag: seq, sequence: seq, size: 0 },
                Buffer.from([rank, dest, seq]),
              ),
            );
        }
      }
      sends.push(
        endpoints[2]?.send(0, { source: 2, tag: 99, sequence: 0, size: 0 }, big) as Promise<void>,
      );
      sends.push(
        endpoints[1]?.send(0, { source: 1, tag: 7, sequence: 0, size: 0 }, floats) as Promise<void>,
      );
      sends.push(
        endpoints[0]?.send(
          1,
          { source: 0, tag: 50, sequence: 9, size: 0 },
          new Uint8Array(0),
        ) as Promise<void>,
      );
      await Promise.all(sends);
      await until(
        () => complete(got[0]) === 12 && complete(got[1]) === 11 && complete(got[2]) === 10,
        'all messages',
      );
      for (const [rank, messages] of got.entries()) {
        for (const source of [0, 1, 2].filter((s) => s !== rank)) {
          const small = messages.filter((m) => m.header.source === source && m.header.tag < 5);
          assert.deepEqual(
            small.map((m) => [...m.bytes]),
            [0, 1, 2, 3, 4].map((seq) => [source, rank, seq]),
            `order ${source} -> ${rank}`,
          );
        }
      }
      assert.ok(got[0]?.find((m) => m.header.tag === 99)?.bytes.equals(big), '12 MiB intact');
      if (kind !== 'shm') {
        assert.ok(endpoints.every((e) => e.readsInPlace));
        assert.ok((inPlace[0] ?? 0) > 8 * 1024 * 1024, `${inPlace[0]} bytes read in place`);
      }
      const f = got[0]?.find((m) => m.header.tag === 7)?.bytes as Buffer;
      assert.deepEqual(
        [...new Float64Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.length))],
        [1.5, -2.25, Math.PI],
      );
      assert.equal(got[1]?.find((m) => m.header.sequence === 9)?.bytes.length, 0);
    } finally {
      await Promise.all(endpoints.map((e) => e.close()));
    }
  });
}

test('shm: large and small messages keep their order; ring files are gone once mapped', async () => {
  const { endpoints, got, prefix } = await job(2, 'shm');
  try {
    assert.equal(endpoints[0]?.sharedMemory, true);
    const name = prefix.slice(SHM_DIR.length + 1);
    assert.deepEqual(
      readdirSync(SHM_DIR).filter((f) => f.startsWith(name)),
      [],
      'receivers unlink the rings they map',
    );
    const sizes = [100, 2 << 20, 10, 5 << 20, 40_000, 1, 20 << 20, INLINE_BYTES, INLINE_BYTES + 1];
    const payloads = sizes.map((n, i) => {
      const b = Buffer.alloc(n);
      for (let at = 0; at < n; at += 997) b[at] = (at + i) % 256;
      b[n - 1] = i;
      return b;
    });
    await Promise.all(
      payloads.map((p, i) => endpoints[1]?.send(0, { source: 1, tag: 0, sequence: i, size: 0 }, p)),
    );
    await until(() => complete(got[0]) === sizes.length, 'every message');
    assert.deepEqual(
      got[0]?.map((m) => m.header.sequence),
      sizes.map((_, i) => i),
    );
    for (const [i, m] of (got[0] ?? []).entries()) assert.ok(m.bytes.equals(payloads[i] as Buffer));
  } finally {
    await Promise.all(endpoints.map((e) => e.close()));
  }
});

test('a connection without the token, or with garbage, is refused and logged; the job goes on', async () => {
  const { endpoints, got, rejected, addresses } = await job(2, 'tcp');
  try {
    const address = addresses[0] as { host: string; port: number };
    const tries = [
      encodeHello(1, 'wrong-token'),
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      encodeHello(0, 'secret-token'),
      encodeHello(1, 'secret-token'),
    ];
    for (const bytes of tries) {
      const socket = rawConnect({ host: address.host, port: address.port });
      socket.on('error', () => {});
      socket.write(bytes);
      await new Promise((resolve) => socket.once('close', resolve));
    }
    assert.equal(rejected[0]?.length, 4, rejected[0]?.join('; '));
    assert.match(
      rejected[0]?.join('; ') ?? '',
      /wrong job token.*not a vmpath greeting.*may not connect.*already connected/,
    );
    await endpoints[1]?.send(
      0,
      { source: 1, tag: 1, sequence: 0, size: 0 },
      Buffer.from('still fine'),
    );
    await until(
      () => got[0]?.some((m) => m.bytes.toString() === 'still fine') ?? false,
      'the job goes on',
    );
  } finally {
    await Promise.all(endpoints.map((e) => e.close()));
  }
});

test('a peer that goes away is reported; a malformed frame from a peer drops it', async () => {
  const { endpoints, lost, rejected } = await job(3, 'tcp');
  try {
    await endpoints[2]?.close();
    await until(
      () => (lost[0]?.includes(2) ?? false) && (lost[1]?.includes(2) ?? false),
      'peer lost',
    );
    await endpoints[1]?.send(0, { source: 0, tag: 0, sequence: 0, size: 0 }, Buffer.from('x'));
    await until(() => (rejected[0]?.length ?? 0) === 1, 'forged source refused');
    assert.match(rejected[0]?.[0] ?? '', /claiming source 0/);
  } finally {
    await Promise.all(endpoints.map((e) => e.close()));
  }
});

test('greetings: partial input waits, a long token is refused', () => {
  const token = Buffer.from('abc');
  const hello = encodeHello(3, 'abc');
  assert.equal(decodeHello(hello.subarray(0, 6), token), null);
  assert.deepEqual(decodeHello(hello, token), { rank: 3, length: hello.length });
  assert.throws(() => encodeHello(0, 'x'.repeat(200)), RangeError);
});
