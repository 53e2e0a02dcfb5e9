/**
 * Wire format of the runtime's point-to-point messages. Pure.
 *
 * A message is a fixed 24-byte header followed by `size` payload bytes, sent as they are (no
 * copy into a frame buffer: the header and the caller's bytes go to the socket as two writes).
 * Header, big-endian:
 *   0  u16 magic 0x564d ("VM")     2  u8 version (1)     3  u8 kind
 *   kind 1 message, payload inline; kind 2 message, payload in the sender's shared ring:
 *     4  u32 source rank            8  i32 tag            12 u32 sequence (per source, tag)
 *     16 u64 size in bytes (at most MAX_MESSAGE_BYTES)
 *   kind 3 chunk (the next piece of a kind-2 message is in the ring):
 *     4  u32 length                 8  u32 advance (length plus bytes skipped at the ring's end)
 *     16 u64 offset in the ring
 *   kind 4 credit (the receiver is done with `advance` bytes of the sender's ring):
 *     8  u32 advance
 * The decoder takes chunks as TCP delivers them and hands out the payload in pieces, so a
 * large message is never held twice: the receiver copies each piece once, into its buffer.
 * Kinds 2 to 4 flow only on local connections with shared rings (transport/ring.ts).
 */
import { VmpathError } from '../core/errors.js';

export const HEADER_BYTES = 24;
export const MAGIC = 0x564d;
export const VERSION = 1;
export const KIND_MESSAGE = 1;
export const KIND_RING_MESSAGE = 2;
export const KIND_CHUNK = 3;
export const KIND_CREDIT = 4;
/** Largest message: 4 GiB - 1 (the issue asks for at least 1 GiB). */
export const MAX_MESSAGE_BYTES = 2 ** 32 - 1;

export interface MessageHeader {
  readonly source: number;
  readonly tag: number;
  readonly sequence: number;
  readonly size: number;
}

export interface ChunkRecord {
  readonly offset: number;
  readonly length: number;
  readonly advance: number;
}

export function encodeHeader(header: MessageHeader, kind = KIND_MESSAGE): Buffer {
  if (!Number.isInteger(header.size) || header.size < 0 || header.size > MAX_MESSAGE_BYTES) {
    throw new RangeError(`message size ${header.size} is outside 0..${MAX_MESSAGE_BYTES}`);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES);
  out.writeUInt16BE(MAGIC, 0);
  out.writeUInt8(VERSION, 2);
  out.writeUInt8(kind, 3);
  out.writeUInt32BE(header.source, 4);
  out.writeInt32BE(header.tag, 8);
  out.writeUInt32BE(header.sequence >>> 0, 12);
  out.writeBigUInt64BE(BigInt(header.size), 16);
  return out;
}

function control(kind: number, a: number, b: number, offset: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt16BE(MAGIC, 0);
  out.writeUInt8(VERSION, 2);
  out.writeUInt8(kind, 3);
  out.writeUInt32BE(a, 4);
  out.writeUInt32BE(b, 8);
  out.writeBigUInt64BE(BigInt(offset), 16);
  return out;
}

export function encodeChunk(chunk: ChunkRecord): Buffer {
  return control(KIND_CHUNK, chunk.length, chunk.advance, chunk.offset);
}

export function encodeCredit(advance: number): Buffer {
  return control(KIND_CREDIT, 0, advance, 0);
}

/** What the decoder reports, in order, for the bytes pushed into it. */
export type FrameEvent =
  /** A message begins; `inline` says whether its payload follows on the stream (else in chunks). */
  | { readonly type: 'header'; readonly header: MessageHeader; readonly inline: boolean }
  | { readonly type: 'chunk'; readonly chunk: ChunkRecord }
  | { readonly type: 'credit'; readonly advance: number }
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
        if (kind === KIND_CHUNK) {
          events.push({ type: 'chunk', chunk: decodeChunk(this.#header) });
          continue;
        }
        if (kind === KIND_CREDIT) {
          events.push({ type: 'credit', advance: this.#header.readUInt32BE(8) });
          continue;
        }
        const header = decodeHeader(this.#header);
        events.push({ type: 'header', header, inline: kind === KIND_MESSAGE });
        if (kind === KIND_RING_MESSAGE) continue;
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
  if (kind < KIND_MESSAGE || kind > KIND_CREDIT) throw new FrameError(`unknown frame kind ${kind}`);
  return kind;
}

function decodeChunk(bytes: Buffer): ChunkRecord {
  const offset = bytes.readBigUInt64BE(16);
  if (offset > BigInt(MAX_MESSAGE_BYTES)) throw new FrameError(`chunk offset ${offset} too large`);
  return {
    length: bytes.readUInt32BE(4),
    advance: bytes.readUInt32BE(8),
    offset: Number(offset),
  };
}

function decodeHeader(bytes: Buffer): MessageHeader {
  const size = bytes.readBigUInt64BE(16);
  if (size > BigInt(MAX_MESSAGE_BYTES))
    throw new FrameError(`message of ${size} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  return {
    source: bytes.readUInt32BE(4),
    tag: bytes.readInt32BE(8),
    sequence: bytes.readUInt32BE(12),
    size: Number(size),
  };
}
