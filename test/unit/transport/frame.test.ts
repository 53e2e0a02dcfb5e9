import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BELL_DATA,
  BELL_ROOM,
  encodeBell,
  encodeHeader,
  FrameDecoder,
  FrameError,
  type FrameEvent,
  HEADER_BYTES,
  MAX_MESSAGE_BYTES,
} from '../../../src/transport/frame.js';

/** Reassembles messages from decoder events. */
function collect(
  events: FrameEvent[],
  into: { source: number; tag: number; sequence: number; bytes: Buffer }[],
): void {
  for (const event of events) {
    if (event.type === 'header')
      into.push({ ...event.header, bytes: Buffer.alloc(event.header.size) });
    else if (event.type === 'payload')
      event.bytes.copy((into.at(-1) as { bytes: Buffer }).bytes, event.offset);
  }
}

function message(source: number, tag: number, sequence: number, bytes: Buffer): Buffer {
  return Buffer.concat([encodeHeader({ source, tag, sequence, size: bytes.length }), bytes]);
}

test('a header is 24 bytes and round-trips source, tag (negative too), sequence and size', () => {
  const header = encodeHeader({ source: 15, tag: -7, sequence: 4_000_000_000, size: 2 ** 31 + 5 });
  assert.equal(header.length, HEADER_BYTES);
  const events = new FrameDecoder().push(header);
  assert.deepEqual(events, [
    {
      type: 'header',
      header: { source: 15, tag: -7, sequence: 4_000_000_000, size: 2 ** 31 + 5 },
    },
  ]);
});

test('messages split at every possible byte come out whole and in order, zero-size included', () => {
  const stream = Buffer.concat([
    message(1, 5, 0, Buffer.from('hello')),
    message(2, 0, 0, Buffer.alloc(0)),
    message(1, 5, 1, Buffer.alloc(300, 7)),
  ]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoder = new FrameDecoder();
    const got: { source: number; tag: number; sequence: number; bytes: Buffer }[] = [];
    collect(decoder.push(stream.subarray(0, cut)), got);
    collect(decoder.push(stream.subarray(cut)), got);
    assert.deepEqual(
      got.map((m) => [m.source, m.tag, m.sequence, m.bytes.toString('hex')]),
      [
        [1, 5, 0, Buffer.from('hello').toString('hex')],
        [2, 0, 0, ''],
        [1, 5, 1, Buffer.alloc(300, 7).toString('hex')],
      ],
    );
    assert.ok(decoder.idle);
  }
});

test('a large payload is handed out in pieces as the chunks come, never whole', () => {
  const size = 8 * 1024 * 1024;
  const decoder = new FrameDecoder();
  const events = decoder.push(encodeHeader({ source: 0, tag: 1, sequence: 0, size }));
  assert.equal(events.length, 1);
  let received = 0;
  let pieces = 0;
  const chunk = Buffer.alloc(65_536, 1);
  while (received < size) {
    for (const e of decoder.push(chunk)) {
      if (e.type !== 'payload') continue;
      assert.equal(e.offset, received);
      received += e.bytes.length;
      pieces++;
      assert.equal(e.last, received === size);
    }
  }
  assert.equal(pieces, size / chunk.length);
  assert.ok(decoder.idle);
});

test('bad headers are refused: magic, version, kind, oversized', () => {
  const good = encodeHeader({ source: 0, tag: 0, sequence: 0, size: 1 });
  const bad = (edit: (b: Buffer) => void, message: RegExp) => {
    const b = Buffer.from(good);
    edit(b);
    assert.throws(
      () => new FrameDecoder().push(b),
      (e: unknown) => e instanceof FrameError && message.test(e.message),
    );
  };
  bad((b) => b.writeUInt16BE(0x4745, 0), /bad magic/);
  bad((b) => b.writeUInt8(9, 2), /version 9/);
  bad((b) => b.writeUInt8(7, 3), /kind 7/);
  bad((b) => b.writeBigUInt64BE(BigInt(MAX_MESSAGE_BYTES) + 1n, 16), /exceeds/);
  assert.throws(() => encodeHeader({ source: 0, tag: 0, sequence: 0, size: -1 }), RangeError);
  assert.throws(
    () => new FrameDecoder().push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
    FrameError,
  );
});

test('doorbells between messages: each its own event, the message around them whole', () => {
  const stream = Buffer.concat([
    encodeBell(BELL_DATA),
    message(3, 9, 2, Buffer.from('after')),
    encodeBell(BELL_ROOM),
  ]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoder = new FrameDecoder();
    const events = [
      ...decoder.push(stream.subarray(0, cut)),
      ...decoder.push(stream.subarray(cut)),
    ];
    assert.deepEqual(events[0], { type: 'bell', which: BELL_DATA });
    assert.equal(events[1]?.type, 'header');
    assert.deepEqual(events.at(-1), { type: 'bell', which: BELL_ROOM });
    const payload = events.map((e) => (e.type === 'payload' ? e.bytes : Buffer.alloc(0)));
    assert.equal(Buffer.concat(payload).toString(), 'after');
    assert.ok(decoder.idle);
  }
});

test('payload read in place: pending tells what is left, advance completes the message', () => {
  const decoder = new FrameDecoder();
  const events = decoder.push(
    Buffer.concat([
      encodeHeader({ source: 1, tag: 2, sequence: 0, size: 10_000 }),
      Buffer.alloc(100),
    ]),
  );
  assert.equal(events.length, 2);
  assert.deepEqual(decoder.pending, { received: 100, remaining: 9_900 });
  assert.equal(decoder.advance(4_000), false);
  assert.deepEqual(decoder.pending, { received: 4_100, remaining: 5_900 });
  assert.throws(() => decoder.advance(6_000), FrameError);
  assert.equal(decoder.advance(5_900), true);
  assert.equal(decoder.pending, null);
  assert.ok(decoder.idle);
  const next = decoder.push(message(1, 2, 1, Buffer.from('x')));
  assert.equal(next[0]?.type, 'header');
});
