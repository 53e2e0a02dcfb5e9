/**
 * Wire format of the runtime's point-to-point messages. Pure.
 *
 * A message is a fixed 24-byte header followed by `size` payload bytes, sent as they are (no
 * copy into a frame buffer: the header and the caller's bytes go out as two pieces). Header,
 * big-endian:
 *   0  u16 magic 0x564d ("VM")     2  u8 version (2)     3  u8 kind
 *   kind 1 message:
 *     4  u32 source rank            8  i32 tag            12 u32 sequence (per source, tag)
 *     16 u64 size in bytes (at most MAX_MESSAGE_BYTES)
 *   kind 2 doorbell (on the socket of a pair whose messages go through shared-memory pipes):
 *     4  u32 which: 0 data came into the pipe the receiver sleeps on, 1 room was made in the
 *        pipe the sender waits on (transport/pipe.ts)
 * The decoder takes chunks as TCP (or a pipe) delivers them and hands out the payload in pieces,
 * so a large message is never held twice: the receiver copies each piece once, into its buffer.
 */
import { VmpathError } from '../core/errors.js';

export const HEADER_BYTES = 24;
export const MAGIC = 0x564d;
export const VERSION = 2;
export const KIND_MESSAGE = 1;
export const KIND_BELL = 2;
export const BELL_DATA = 0;
export const BELL_ROOM = 1;
/** Largest message: 4 GiB - 1 (the issue asks for at least 1 GiB). */
export const MAX_MESSAGE_BYTES = 2 ** 32 - 1;

export interface MessageHeader {
  readonly source: number;
  readonly tag: number;
  readonly sequence: number;
  readonly size: number;
}

/** Writes a message header at `at` of `out` (which must hold HEADER_BYTES there). */
export function writeHeader(out: Buffer, at: number, header: MessageHeader): void {
  if (!Number.isInteger(header.size) || header.size < 0 || header.size > MAX_MESSAGE_BYTES) {
    throw new RangeError(`message size ${header.size} is outside 0..${MAX_MESSAGE_BYTES}`);
  }
  out.writeUInt16BE(MAGIC, at);
  out.writeUInt8(VERSION, at + 2);
  out.writeUInt8(KIND_MESSAGE, at + 3);
  out.writeUInt32BE(header.source, at + 4);
  out.writeInt32BE(header.tag, at + 8);
  out.writeUInt32BE(header.sequence >>> 0, at + 12);
  // The size's high word: 0 below 4 GiB, which every message is.
  out.writeUInt32BE(0, at + 16);
  out.writeUInt32BE(header.size, at + 20);
}

export function encodeHeader(header: MessageHeader): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES);
  writeHeader(out, 0, header);
  return out;
}

/** A doorbell: BELL_DATA or BELL_ROOM. */
export function encodeBell(which: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt16BE(MAGIC, 0);
  out.writeUInt8(VERSION, 2);
  out.writeUInt8(KIND_BELL, 3);
  out.writeUInt32BE(which, 4);
  return out;
}

/** What the decoder reports, in order, for the bytes pushed into it. */
export type FrameEvent =
  /** A message begins; its payload follows. */
  | { readonly type: 'header'; readonly header: MessageHeader }
  | { readonly type: 'bell'; readonly which: number }
  /** A piece of the current message's payload (a view of the pushed chunk: copy it or use it now). */
  | {
      readonly type: 'payload';
      readonly bytes: Buffer;
      readonly offset: number;
      readonly last: boolean;
    };

/** A malformed header: wrong magic or version, unknown kind, oversized message. */
export class FrameError extends VmpathError {
  constructor(message: string) {
    super('E_TRANSPORT_PROTOCOL', message);
    this.name = 'FrameError';
  }
}

/** Turns a byte stream into headers and payload pieces. Throws FrameError on a bad header. */
export class FrameDecoder {
  #header = Buffer.alloc(HEADER_BYTES);
  #headerFill = 0;
  #current: MessageHeader | null = null;
  #received = 0;

  /** Consumes `chunk`; returns the events it completes. */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (!this.#current) {
        const take = Math.min(HEADER_BYTES - this.#headerFill, chunk.length - at);
        chunk.copy(this.#header, this.#headerFill, at, at + take);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill < HEADER_BYTES) break;
        this.#headerFill = 0;
        const kind = decodeKind(this.#header);
        if (kind === KIND_BELL) {
          events.push({ type: 'bell', which: decodeBell(this.#header) });
          continue;
        }
        const header = decodeHeader(this.#header);
        events.push({ type: 'header', header });
        this.#current = header;
        this.#received = 0;
        if (this.#current.size === 0) {
          events.push({ type: 'payload', bytes: Buffer.alloc(0), offset: 0, last: true });
          this.#current = null;
        }
        continue;
      }
      const take = Math.min(this.#current.size - this.#received, chunk.length - at);
      const offset = this.#received;
      this.#received += take;
      const last = this.#received === this.#current.size;
      events.push({ type: 'payload', bytes: chunk.subarray(at, at + take), offset, last });
      at += take;
      if (last) this.#current = null;
    }
    return events;
  }

  /** The inline payload under way: bytes received and still to come; null between messages. */
  get pending(): { received: number; remaining: number } | null {
    if (!this.#current) return null;
    return { received: this.#received, remaining: this.#current.size - this.#received };
  }

  /** `length` bytes of the pending payload arrived elsewhere (read in place); true when that
   * completes the message. */
  advance(length: number): boolean {
    const current = this.#current;
    if (!current || length > current.size - this.#received)
      throw new FrameError(`${length} payload bytes beyond the message under way`);
    this.#received += length;
    if (this.#received < current.size) return false;
    this.#current = null;
    return true;
  }

  /** True when no message is partly received (a clean place for a connection to end). */
  get idle(): boolean {
    return this.#current === null && this.#headerFill === 0;
  }
}

function decodeKind(bytes: Buffer): number {
  const magic = bytes.readUInt16BE(0);
  if (magic !== MAGIC)
    throw new FrameError(`bad magic 0x${magic.toString(16)} (expected 0x${MAGIC.toString(16)})`);
  const version = bytes.readUInt8(2);
  if (version !== VERSION) throw new FrameError(`unsupported frame version ${version}`);
  const kind = bytes.readUInt8(3);
  if (kind !== KIND_MESSAGE && kind !== KIND_BELL)
    throw new FrameError(`unknown frame kind ${kind}`);
  return kind;
}

function decodeBell(bytes: Buffer): number {
  const which = bytes.readUInt32BE(4);
  if (which !== BELL_DATA && which !== BELL_ROOM) throw new FrameError(`unknown doorbell ${which}`);
  return which;
}

function decodeHeader(bytes: Buffer): MessageHeader {
  if (bytes.readUInt32BE(16) !== 0)
    throw new FrameError(
      `message of ${bytes.readBigUInt64BE(16)} bytes exceeds ${MAX_MESSAGE_BYTES}`,
    );
  return {
    source: bytes.readUInt32BE(4),
    tag: bytes.readInt32BE(8),
    sequence: bytes.readUInt32BE(12),
    size: bytes.readUInt32BE(20),
  };
}
