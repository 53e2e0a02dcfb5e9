/**
 * The bench control channel: length-prefixed JSON frames (a 4-byte big-endian length, then
 * that many bytes of UTF-8 JSON), at most MAX_FRAME_BYTES each, as iperf3 frames its control
 * messages. Pure: encoding and an incremental decoder; the server and client own the sockets.
 */

/** Largest control message accepted; a longer one is a protocol error, not a buffer to grow. */
export const MAX_FRAME_BYTES = 64 * 1024;

/** Messages of the control channel, by `type`. */
export type ControlMessage =
  | { type: 'stream'; sizeBytes: number; durationMs: number; warmupMs: number }
  | {
      type: 'rr';
      requestBytes: number;
      responseBytes: number;
      durationMs: number;
      warmupMs: number;
    }
  | { type: 'ready'; token: string }
  | { type: 'data'; token: string }
  | { type: 'result'; bytes: number; seconds: number; firstByteAt: number; lastByteAt: number }
  | { type: 'error'; message: string };

export function encodeFrame(message: ControlMessage): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES)
    throw new Error(`control message of ${body.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Collects bytes and yields whole frames; throws on an oversized or malformed frame.
 * A `data` message ends the control phase of a connection: decoding stops there, and the bytes
 * after it (the test's data) are left for `rest()`. */
export class FrameDecoder {
  #buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the messages now complete, in order. */
  push(chunk: Buffer): ControlMessage[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const messages: ControlMessage[] = [];
    while (this.#buffer.length >= 4) {
      const length = this.#buffer.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES)
        throw new Error(`control frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (this.#buffer.length < 4 + length) break;
      const body = this.#buffer.subarray(4, 4 + length).toString('utf8');
      this.#buffer = this.#buffer.subarray(4 + length);
      const message = JSON.parse(body) as ControlMessage;
      if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
        throw new Error('control frame is not a message object');
      }
      messages.push(message);
      if (message.type === 'data') break;
    }
    return messages;
  }

  /** Bytes received after the last whole frame (data that followed a `data` frame). */
  rest(): Buffer {
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest;
  }
}
