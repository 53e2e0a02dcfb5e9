/**
 * What arrives from one peer after the greeting, decoded without a socket: frames (frame.ts)
 * checked against the protocol (the peer's own rank as source, ring messages only with a ring,
 * chunks inside the ring and the message), payloads handed on, and ring chunks credited back.
 * Bytes in, handler calls and credits out: unit-tested on byte arrays.
 */
import { VmpathError } from '../core/errors.js';
import { FrameDecoder, type MessageHeader } from './frame.js';

/** Payloads at least this large (what is left of them) are read in place. */
export const IN_PLACE_MIN_BYTES = 4096;

export interface InboundHandlers {
  /** A message begins; may return the buffer its payload is bound for. */
  onHeader(header: MessageHeader): Buffer | null;
  /** A piece of the payload at `offset`; `inPlace` when it was read into onHeader's buffer. */
  onPayload(bytes: Buffer, offset: number, last: boolean, inPlace: boolean): void;
  /** The receiver has copied a ring chunk out: `advance` bytes of the ring are free again. */
  credit(advance: number): void;
  /** The peer freed `advance` bytes of the ring this side sends into. */
  release(advance: number): void;
}

const protocol = (text: string) => new VmpathError('E_TRANSPORT_PROTOCOL', text);

export class InboundMessages {
  readonly #rank: number;
  /** The ring the peer sends into (null: none). */
  readonly #ring: Buffer | null;
  readonly #canRelease: boolean;
  readonly #handlers: InboundHandlers;
  readonly #decoder = new FrameDecoder();
  /** Bytes of the current ring message still to come, and how many came. */
  #ringLeft = 0;
  #ringDone = 0;
  /** Where the inline payload under way is bound, when it is large enough to read in place. */
  #target: Buffer | null = null;

  /** `rank` is the peer's; `canRelease` whether this side sends through a ring of its own. */
  constructor(rank: number, ring: Buffer | null, canRelease: boolean, handlers: InboundHandlers) {
    this.#rank = rank;
    this.#ring = ring;
    this.#canRelease = canRelease;
    this.#handlers = handlers;
  }

  /** True between messages: nothing half-received. */
  get idle(): boolean {
    return this.#decoder.idle && this.#ringLeft === 0;
  }

  /** Where the next bytes of a large inline payload may be read straight into, or null. */
  direct(): Buffer | null {
    const pending = this.#decoder.pending;
    if (!this.#target || !pending || pending.remaining < IN_PLACE_MIN_BYTES) return null;
    return this.#target.subarray(pending.received, pending.received + pending.remaining);
  }

  /** Bytes the transport read into the buffer direct() gave. */
  pushInPlace(length: number, bytes: Buffer): void {
    const offset = this.#decoder.pending?.received ?? 0;
    const last = this.#decoder.advance(length);
    if (last) this.#target = null;
    this.#handlers.onPayload(bytes, offset, last, true);
  }

  /** Bytes off the wire; throws on a protocol violation (the connection is then dropped). */
  push(chunk: Buffer): void {
    for (const event of this.#decoder.push(chunk)) {
      if (event.type === 'header') this.#header(event.header, event.inline);
      else if (event.type === 'payload') {
        if (event.last) this.#target = null;
        this.#handlers.onPayload(event.bytes, event.offset, event.last, false);
      } else if (event.type === 'chunk') this.#chunk(event.chunk);
      else {
        if (!this.#canRelease) throw protocol(`rank ${this.#rank} sent a credit without a ring`);
        this.#handlers.release(event.advance);
      }
    }
  }

  #header(header: MessageHeader, inline: boolean): void {
    const rank = this.#rank;
    if (header.source !== rank)
      throw protocol(`rank ${rank} sent a message claiming source ${header.source}`);
    if (this.#ringLeft > 0) throw protocol(`rank ${rank} began a message inside another`);
    if (!inline) {
      if (!this.#ring) throw protocol(`rank ${rank} sent a ring message without a ring`);
      if (header.size === 0) throw protocol(`rank ${rank} sent an empty ring message`);
      this.#ringLeft = header.size;
      this.#ringDone = 0;
    }
    const bound = this.#handlers.onHeader(header);
    this.#target = inline && bound && bound.length >= header.size && header.size > 0 ? bound : null;
  }

  #chunk({ offset, length, advance }: { offset: number; length: number; advance: number }): void {
    const ring = this.#ring;
    if (!ring || length === 0 || length > this.#ringLeft || offset + length > ring.length)
      throw protocol(`rank ${this.#rank} sent a chunk outside its ring or message`);
    if (advance < length || advance > ring.length)
      throw protocol(`rank ${this.#rank} sent a chunk advancing ${advance} bytes`);
    this.#ringLeft -= length;
    const at = this.#ringDone;
    this.#ringDone += length;
    this.#handlers.onPayload(
      ring.subarray(offset, offset + length),
      at,
      this.#ringLeft === 0,
      false,
    );
    this.#handlers.credit(advance);
  }
}
