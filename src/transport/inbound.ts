/**
 * What arrives from one peer after the greeting, decoded without a socket: frames (frame.ts)
 * checked against the protocol (the peer's own rank as source; doorbells only where the pair
 * has pipes, messages only where they may come) and handed on. One of these reads a pair's
 * socket, another its inbound pipe (pipe.ts). Bytes in, handler calls out: unit-tested on byte
 * arrays.
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
  /** A doorbell rang (frame.ts BELL_DATA or BELL_ROOM). */
  onBell(which: number): void;
}

/** What a stream may carry: messages (a socket without pipes, a pipe), doorbells (the socket
 * of a pair with pipes). */
export interface Carries {
  readonly messages: boolean;
  readonly bells: boolean;
}

const protocol = (text: string) => new VmpathError('E_TRANSPORT_PROTOCOL', text);

export class InboundMessages {
  readonly #rank: number;
  readonly #carries: Carries;
  readonly #handlers: InboundHandlers;
  readonly #decoder = new FrameDecoder();
  /** Where the payload under way is bound, when it is large enough to read in place. */
  #target: Buffer | null = null;

  /** `rank` is the peer's. */
  constructor(rank: number, carries: Carries, handlers: InboundHandlers) {
    this.#rank = rank;
    this.#carries = carries;
    this.#handlers = handlers;
  }

  /** True between messages: nothing half-received. */
  get idle(): boolean {
    return this.#decoder.idle;
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
      if (event.type === 'header') this.#header(event.header);
      else if (event.type === 'payload') {
        if (event.last) this.#target = null;
        this.#handlers.onPayload(event.bytes, event.offset, event.last, false);
      } else {
        if (!this.#carries.bells)
          throw protocol(`rank ${this.#rank} rang a doorbell without pipes`);
        this.#handlers.onBell(event.which);
      }
    }
  }

  #header(header: MessageHeader): void {
    const rank = this.#rank;
    if (!this.#carries.messages)
      throw protocol(`rank ${rank} sent a message on the socket of a pair with pipes`);
    if (header.source !== rank)
      throw protocol(`rank ${rank} sent a message claiming source ${header.source}`);
    const bound = this.#handlers.onHeader(header);
    this.#target = bound && bound.length >= header.size && header.size > 0 ? bound : null;
  }
}
