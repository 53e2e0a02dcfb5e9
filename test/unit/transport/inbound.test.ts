/**
 * One peer's inbound frames without a socket (src/transport/inbound.ts): messages reassembled
 * from any split of the bytes, doorbells where the pair has pipes, large payloads offered for
 * reading in place, and each protocol violation refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BELL_DATA,
  BELL_ROOM,
  encodeBell,
  encodeHeader,
  type MessageHeader,
} from '../../../src/transport/frame.js';
import {
  type Carries,
  IN_PLACE_MIN_BYTES,
  InboundMessages,
} from '../../../src/transport/inbound.js';

interface Log {
  messages: { header: MessageHeader; bytes: Buffer }[];
  bells: number[];
  inPlace: number;
}

const MESSAGES: Carries = { messages: true, bells: false };
const BELLS: Carries = { messages: false, bells: true };

function inbound(rank: number, carries = MESSAGES, bind = false) {
  const log: Log = { messages: [], bells: [], inPlace: 0 };
  const messages = new InboundMessages(rank, carries, {
    onHeader: (header) => {
      const bytes = Buffer.alloc(header.size);
      log.messages.push({ header, bytes });
      return bind ? bytes : null;
    },
    onPayload: (bytes, offset, _last, inPlace) => {
      if (inPlace) log.inPlace += bytes.length;
      else bytes.copy((log.messages.at(-1) as { bytes: Buffer }).bytes, offset);
    },
    onBell: (which) => log.bells.push(which),
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
    const { messages, log } = inbound(3);
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

test('doorbells on the socket of a pair with pipes, split anywhere', () => {
  const wire = Buffer.concat([encodeBell(BELL_DATA), encodeBell(BELL_ROOM), encodeBell(BELL_DATA)]);
  for (const step of [1, 5, wire.length]) {
    const { messages, log } = inbound(1, BELLS);
    for (let at = 0; at < wire.length; at += step) messages.push(wire.subarray(at, at + step));
    assert.deepEqual(log.bells, [BELL_DATA, BELL_ROOM, BELL_DATA], `in pieces of ${step}`);
    assert.ok(messages.idle);
  }
});

test('a large inline payload is offered for reading in place once its header is in', () => {
  const size = IN_PLACE_MIN_BYTES * 2;
  const { messages, log } = inbound(2, MESSAGES, true);
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
  const refuse = (bytes: Buffer, pattern: RegExp, carries = MESSAGES) => {
    const { messages } = inbound(4, carries);
    assert.throws(
      () => messages.push(bytes),
      (e: Error & { code?: string }) =>
        e.code === 'E_TRANSPORT_PROTOCOL' && pattern.test(e.message),
    );
  };
  refuse(encodeHeader(header(5, 0, 0)), /rank 4 sent a message claiming source 5/);
  refuse(encodeBell(BELL_DATA), /rank 4 rang a doorbell without pipes/);
  refuse(encodeHeader(header(4, 0, 0)), /message on the socket of a pair with pipes/, BELLS);
  const odd = encodeBell(BELL_DATA);
  odd.writeUInt32BE(9, 4);
  refuse(odd, /unknown doorbell 9/, BELLS);
});
