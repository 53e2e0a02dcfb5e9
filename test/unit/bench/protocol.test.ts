import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from '../../../src/bench/protocol.js';

test('frames round-trip, split anywhere across chunks', () => {
  const a = encodeFrame({ type: 'stream', sizeBytes: 131072, durationMs: 1000, warmupMs: 0 });
  const b = encodeFrame({ type: 'ready', token: 'abc' });
  const all = Buffer.concat([a, b]);
  for (let cut = 0; cut <= all.length; cut++) {
    const decoder = new FrameDecoder();
    const got = [...decoder.push(all.subarray(0, cut)), ...decoder.push(all.subarray(cut))];
    assert.deepEqual(got, [
      { type: 'stream', sizeBytes: 131072, durationMs: 1000, warmupMs: 0 },
      { type: 'ready', token: 'abc' },
    ]);
  }
  assert.equal(a.readUInt32BE(0), a.length - 4, 'a 4-byte big-endian length prefix');
});

test('decoding stops at a data message; the test data after it is left as is', () => {
  const payload = Buffer.alloc(100, 0x53);
  const decoder = new FrameDecoder();
  const messages = decoder.push(
    Buffer.concat([encodeFrame({ type: 'data', token: 't' }), payload]),
  );
  assert.deepEqual(messages, [{ type: 'data', token: 't' }]);
  assert.deepEqual(decoder.rest(), payload);
});

test('an oversized frame is refused, on both sides', () => {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(MAX_FRAME_BYTES + 1);
  assert.throws(() => new FrameDecoder().push(header), /exceeds/);
  assert.throws(
    () => encodeFrame({ type: 'error', message: 'x'.repeat(MAX_FRAME_BYTES) }),
    /exceeds/,
  );
});

test('a frame that is not a message object is refused', () => {
  const body = Buffer.from('[1,2]');
  const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
  assert.throws(() => new FrameDecoder().push(frame), /not a message/);
});

test('socket buffers become per-namespace TCP limits: wmem where the sender runs, rmem where the receiver runs', async () => {
  const { planBuffers } = await import('../../../src/bench/buffers.js');
  const node = (name: string) => ({
    role: 'vm' as const,
    name,
    host: 'h',
    netns: `ns-${name}`,
    datapath: 'bridged' as const,
    address: '198.18.0.1',
  });
  const pairs = [
    { from: node('a'), to: node('b') },
    { from: node('a'), to: node('c') },
  ];
  assert.deepEqual(planBuffers(pairs, { sndbufBytes: 65536, rcvbufBytes: null }), [
    { netns: 'ns-a', key: 'net/ipv4/tcp_wmem', value: '4096 65536 65536' },
  ]);
  assert.deepEqual(
    planBuffers(pairs, { sndbufBytes: null, rcvbufBytes: 8192 }).map(
      (s) => `${s.netns} ${s.key} ${s.value}`,
    ),
    ['ns-b net/ipv4/tcp_rmem 4096 8192 8192', 'ns-c net/ipv4/tcp_rmem 4096 8192 8192'],
  );
  assert.deepEqual(planBuffers(pairs, { sndbufBytes: null, rcvbufBytes: null }), []);
});
