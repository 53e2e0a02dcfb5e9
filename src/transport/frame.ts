/**
 * Wire format of the runtime's point-to-point messages. Pure.
 *
 * A message is a fixed 24-byte header followed by `size` payload bytes, sent as they are (no
 * copy into a frame buffer: the header and the caller's bytes go to the socket as two writes).
 * Header, big-endian:
 *   0  u16 magic 0x564d ("VM")     2  u8 version (1)     3  u8 kind (1 = message)
 *   4  u32 source rank              8  i32 tag            12 u32 sequence (per source, tag)
 *   16 u64 size in bytes (at most MAX_MESSAGE_BYTES)
 * The decoder takes chunks as TCP delivers them and hands out the payload in pieces, so a
 * large message is never held twice: the receiver copies each piece once, into its buffer.
 */

export const HEADER_BYTES = 24;
export const MAGIC = 0x564d;
export const VERSION = 1;
export const KIND_MESSAGE = 1;
/** Largest message: 4 GiB - 1 (the issue asks for at least 1 GiB). */
export const MAX_MESSAGE_BYTES = 2 ** 32 - 1;

export interface MessageHeader {
  readonly source: number;
  readonly tag: number;
  readonly sequence: number;
  readonly size: number;
}

export function encodeHeader(header: MessageHeader): Buffer {
  if (!Number.isInteger(header.size) || header.size < 0 || header.size > MAX_MESSAGE_BYTES) {
    throw new RangeError(`message size ${header.size} is outside 0..${MAX_MESSAGE_BYTES}`);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES);
  out.writeUInt16BE(MAGIC, 0);
  out.writeUInt8(VERSION, 2);
  out.writeUInt8(KIND_MESSAGE, 3);
  out.writeUInt32BE(header.source, 4);
  out.writeInt32BE(header.tag, 8);
  out.writeUInt32BE(header.sequence >>> 0, 12);
  out.writeBigUInt64BE(BigInt(header.size), 16);
  return out;
}

/** What the decoder reports, in order, for the bytes pushed into it. */
export type FrameEvent =
  | { readonly type: 'header'; readonly header: MessageHeader }
  /** A piece of the current message's payload (a view of the pushed chunk: copy it or use it now). */
  | {
      readonly type: 'payload';
      readonly bytes: Buffer;
      readonly offset: number;
      readonly last: boolean;
    };

/** A malformed header: wrong magic or version, unknown kind, oversized message. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
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
        this.#current = decodeHeader(this.#header);
        this.#received = 0;
        events.push({ type: 'header', header: this.#current });
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

  /** True when no message is partly received (a clean place for a connection to end). */
  get idle(): boolean {
    return this.#current === null && this.#headerFill === 0;
  }
}

function decodeHeader(bytes: Buffer): MessageHeader {
  const magic = bytes.readUInt16BE(0);
  if (magic !== MAGIC)
    throw new FrameError(`bad magic 0x${magic.toString(16)} (expected 0x${MAGIC.toString(16)})`);
  const version = bytes.readUInt8(2);
  if (version !== VERSION) throw new FrameError(`unsupported frame version ${version}`);
  const kind = bytes.readUInt8(3);
  if (kind !== KIND_MESSAGE) throw new FrameError(`unknown frame kind ${kind}`);
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
