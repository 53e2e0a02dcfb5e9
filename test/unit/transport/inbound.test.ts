/**
 * One peer's inbound frames without a socket (src/transport/inbound.ts): messages reassembled
 * from any split of the bytes, ring chunks read out of the ring and credited, large payloads
 * offered for reading in place, and each protocol violation refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encodeChunk,
  encodeCredit,
  encodeHeader,
  KIND_RING_MESSAGE,
  type MessageHeader,
} from '../../../src/transport/frame.js';
import { IN_PLACE_MIN_BYTES, InboundMessages } from '../../../src/transport/inbound.js';

interface Log {
  messages: { header: MessageHeader; bytes: Buffer }[];
  credits: number[];
  releases: number[];
  inPlace: number;
}

function inbound(rank: number, ring: Buffer | null, canRelease = false, bind = false) {
  const log: Log = { messages: [], credits: [], releases: [], inPlace: 0 };
  const messages = new InboundMessages(rank, ring, canRelease, {
    onHeader: (header) => {
      const bytes = Buffer.alloc(header.size);
      log.messages.push({ header, bytes });
      return bind ? bytes : null;
    },
    onPayload: (bytes, offset, _last, inPlace) => {
      if (inPlace) log.inPlace += bytes.length;
      else bytes.copy((log.messages.at(-1) as { bytes: Buffer }).bytes, offset);
    },
    credit: (advance) => log.credits.push(advance),
    release: (advance) => log.releases.push(advance),
  });
  return { messages, log };
}

const header = (source: number, tag: number, size: number) => ({ source, tag, sequence: 0, size });

test('inline messages from any split of the bytes, in order', () => {
  const wire = Buffer.concat([
    encodeHeader(header(3, 7, 5)),
    Buffer.from('hello'),
    encodeHeader(header(3, 8, 0)),
    encodeHeader(header(3, 9, 3)),
    Buffer.from('abc'),
  ]);
  for (const step of [1, 2, 7, wire.length]) {
    const { messages, log } = inbound(3, null);
    for (let at = 0; at < wire.length; at += step) messages.push(wire.subarray(at, at + step));
    assert.deepEqual(
      log.messages.map((m) => [m.header.tag, m.bytes.toString()]),
      [
        [7, 'hello'],
        [8, ''],
        [9, 'abc'],
      ],
      `in pieces of ${step}`,
    );
    assert.ok(messages.idle);
  }
});

test('a ring message: its chunks read out of the ring, each credited with its advance', () => {
  const ring = Buffer.alloc(64);
  ring.write('0123456789', 10);
  ring.write('abcdef', 40);
  const { messages, log } = inbound(1, ring);
  messages.push(encodeHeader(header(1, 0, 16), KIND_RING_MESSAGE));
  assert.equal(messages.idle, false, 'a message under way');
  messages.push(encodeChunk({ offset: 10, length: 10, advance: 10 }));
  messages.push(encodeChunk({ offset: 40, length: 6, advance: 20 }));
  assert.equal(log.messages[0]?.bytes.toString(), '0123456789abcdef');
  assert.deepEqual(log.credits, [10, 20]);
  assert.ok(messages.idle);
  // credits for this side's own ring are passed on, when it has one
  const sender = inbound(1, null, true);
  sender.messages.push(encodeCredit(300));
  assert.deepEqual(sender.log.releases, [300]);
});

test('a large inline payload is offered for reading in place once its header is in', () => {
  const size = IN_PLACE_MIN_BYTES * 2;
  const { messages, log } = inbound(2, null, false, true);
  messages.push(encodeHeader(header(2, 1, size)));
  const target = messages.direct();
  assert.equal(target?.length, size, 'the whole payload, in the bound buffer');
  (target as Buffer).fill(7);
  messages.pushInPlace(size, target as Buffer);
  assert.equal(log.inPlace, size);
  assert.equal(log.messages[0]?.bytes[size - 1], 7, 'the bytes landed in the bound buffer');
  assert.equal(messages.direct(), null, 'nothing under way');
  assert.ok(messages.idle);
  // a small payload is not
  messages.push(encodeHeader(header(2, 1, 16)));
  assert.equal(messages.direct(), null);
});

test('protocol violations are refused, naming the peer', () => {
  const refuse = (bytes: Buffer, pattern: RegExp, ring: Buffer | null = null) => {
    const { messages } = inbound(4, ring);
    assert.throws(
      () => messages.push(bytes),
      (e: Error & { code?: string }) =>
        e.code === 'E_TRANSPORT_PROTOCOL' && pattern.test(e.message),
    );
  };
  refuse(encodeHeader(header(5, 0, 0)), /rank 4 sent a message claiming source 5/);
  refuse(encodeHeader(header(4, 0, 8), KIND_RING_MESSAGE), /ring message without a ring/);
  refuse(encodeHeader(header(4, 0, 0), KIND_RING_MESSAGE), /empty ring message/, Buffer.alloc(8));
  refuse(encodeCredit(8), /credit without a ring/);
  const ring = Buffer.alloc(32);
  const started = encodeHeader(header(4, 0, 8), KIND_RING_MESSAGE);
  refuse(
    Buffer.concat([started, encodeChunk({ offset: 30, length: 8, advance: 8 })]),
    /chunk outside its ring or message/,
    ring,
  );
  refuse(
    Buffer.concat([started, encodeChunk({ offset: 0, length: 4, advance: 64 })]),
    /chunk advancing 64 bytes/,
    ring,
  );
  refuse(
    Buffer.concat([started, encodeHeader(header(4, 1, 0))]),
    /began a message inside another/,
    ring,
  );
});
