/**
 * Point-to-point messages over stream sockets: TCP between vms (so the testbed's data path
 * carries them) or Unix-domain sockets between ranks of one machine. One connection per pair of
 * ranks, opened by the higher rank; each side proves it holds the job token before any message
 * flows, and a peer that does not, or that sends a malformed frame, is dropped and reported
 * while the job goes on. Messages use frame.ts: a header, then the payload as the caller gave
 * it (a view, not a copy). On local connections with rings (ring.ts), payloads above
 * INLINE_BYTES go through shared memory instead, in chunks the receiver credits back. What a
 * message means (matching, counters) is the runtime's business.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { VmpathError } from '../core/errors.js';
import {
  encodeChunk,
  encodeCredit,
  encodeHeader,
  FrameDecoder,
  KIND_RING_MESSAGE,
  type MessageHeader,
} from './frame.js';
import { adoptAccepted, connectWith, Reader } from './reader.js';
import {
  type Addon,
  CHUNK_BYTES,
  createRing,
  INLINE_BYTES,
  type OutRing,
  openRing,
  ringPath,
} from './ring.js';

/** Where a rank listens. */
export type PeerAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'local'; readonly path: string };

export interface TransportHandlers {
  /** A message from `header.source` begins; its payload follows in `onPayload` calls. The
   * handler may return the buffer the payload is bound for (its first `size` bytes): large
   * payloads are then read straight into it. */
  onHeader(header: MessageHeader): Buffer | null;
  /** A piece of the payload at `offset`; `inPlace` when the transport read it straight into the
   * buffer onHeader returned (`bytes` is then a view of it, at `offset`: nothing to copy). */
  onPayload(source: number, bytes: Buffer, offset: number, last: boolean, inPlace: boolean): void;
  /** An established peer's connection ended or broke. */
  onPeerLost(rank: number, reason: string): void;
  /** A connection was refused (no token, wrong token, garbage); the job goes on. */
  onRejected(reason: string): void;
}

const HELLO_MAGIC = 0x564d5048; // "VMPH"
export const MAX_TOKEN_BYTES = 128;
const HELLO_FIXED = 10; // magic u32, rank u32, token length u16

/** The greeting each side of a connection sends first. */
export function encodeHello(rank: number, token: string): Buffer {
  const secret = Buffer.from(token, 'utf8');
  if (secret.length === 0 || secret.length > MAX_TOKEN_BYTES)
    throw new RangeError(`job token must be 1 to ${MAX_TOKEN_BYTES} bytes`);
  const hello = Buffer.alloc(HELLO_FIXED + secret.length);
  hello.writeUInt32BE(HELLO_MAGIC, 0);
  hello.writeUInt32BE(rank, 4);
  hello.writeUInt16BE(secret.length, 8);
  secret.copy(hello, HELLO_FIXED);
  return hello;
}

/** Reads a greeting from the start of `bytes`: the rank and how many bytes it took, null if
 * more bytes are needed; throws on anything that is not a greeting with the right token. */
export function decodeHello(bytes: Buffer, token: Buffer): { rank: number; length: number } | null {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) !== HELLO_MAGIC)
    throw new VmpathError('E_TRANSPORT_PROTOCOL', 'not a vmpath greeting');
  if (bytes.length < HELLO_FIXED) return null;
  const tokenLength = bytes.readUInt16BE(8);
  if (tokenLength === 0 || tokenLength > MAX_TOKEN_BYTES)
    throw new VmpathError('E_TRANSPORT_PROTOCOL', `greeting token of ${tokenLength} bytes`);
  if (bytes.length < HELLO_FIXED + tokenLength) return null;
  const offered = bytes.subarray(HELLO_FIXED, HELLO_FIXED + tokenLength);
  if (offered.length !== token.length || !timingSafeEqual(offered, token))
    throw new VmpathError('E_TRANSPORT_PROTOCOL', 'wrong job token');
  return { rank: bytes.readUInt32BE(4), length: HELLO_FIXED + tokenLength };
}

/** Shared-memory rings for a local endpoint: the addon and the job's file prefix. */
export interface RingOptions {
  readonly addon: Addon;
  /** e.g. /dev/shm/vmpath-<job>; ring files are `<prefix>-<from>-<to>`. */
  readonly prefix: string;
  readonly bytes?: number;
}

/** Payloads at least this large (what is left of them) are read in place. */
export const IN_PLACE_MIN_BYTES = 4096;

interface Peer {
  readonly socket: Socket;
  readonly reader: Reader;
  /** The ring this rank sends into and the one it receives from; null without rings. */
  readonly out: OutRing | null;
  readonly in: Buffer | null;
  /** The last send still in progress (ring sends wait for room): later sends queue behind it. */
  tail: Promise<void> | null;
}

/** One rank's end of the job's connections. */
export class StreamEndpoint {
  readonly rank: number;
  readonly size: number;
  readonly #token: Buffer;
  readonly #handlers: TransportHandlers;
  readonly #rings: RingOptions | null;
  readonly #peers = new Map<number, Peer>();
  readonly #waiters = new Set<() => void>();
  #server: Server | null = null;
  #closing = false;
  #inPlace = true;

  constructor(
    rank: number,
    size: number,
    token: string,
    handlers: TransportHandlers,
    rings: RingOptions | null = null,
  ) {
    this.rank = rank;
    this.size = size;
    this.#token = Buffer.from(token, 'utf8');
    encodeHello(rank, token);
    this.#handlers = handlers;
    this.#rings = rings;
  }

  /** True when payloads above INLINE_BYTES travel through shared memory. */
  get sharedMemory(): boolean {
    return this.#rings !== null;
  }

  /** True while every connection can read large payloads in place (reader.ts). */
  get readsInPlace(): boolean {
    return this.#inPlace;
  }

  /** Listens on a TCP address (port 0: any free port) or a Unix socket path. */
  listen(where: { host: string; port?: number } | { path: string }): Promise<PeerAddress> {
    const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) =>
      this.#accept(socket),
    );
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        const address = server.address();
        if ('path' in where) resolve({ kind: 'local', path: where.path });
        else
          resolve({
            kind: 'tcp',
            host: where.host,
            port: typeof address === 'object' && address ? address.port : 0,
          });
      };
      if ('path' in where) server.listen(where.path, done);
      else server.listen({ host: where.host, port: where.port ?? 0 }, done);
    });
  }

  /** Opens the connection to a lower rank; `localAddress` binds TCP to this rank's own address. */
  connect(peer: number, address: PeerAddress, localAddress?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const reader = new Reader();
      const socket =
        address.kind === 'tcp'
          ? connectWith(
              {
                host: address.host,
                port: address.port,
                noDelay: true,
                ...(localAddress ? { localAddress } : {}),
              },
              reader,
            )
          : connectWith({ path: address.path }, reader);
      socket.once('error', reject);
      socket.once('connect', () => {
        let out: OutRing | null;
        try {
          out = this.#createRing(peer);
        } catch (error) {
          socket.destroy();
          return reject(error);
        }
        socket.write(encodeHello(this.rank, this.#token.toString('utf8')));
        this.#handshake(socket, reader, (rank) => {
          if (rank !== peer)
            throw new VmpathError(
              'E_TRANSPORT_PROTOCOL',
              `expected rank ${peer}, met rank ${rank}`,
            );
          return { out, in: this.#openRing(rank) };
        }).then(
          () => {
            socket.off('error', reject);
            resolve();
          },
          (error: Error) => {
            socket.destroy();
            reject(error);
          },
        );
      });
    });
  }

  /** Resolves when every rank in `ranks` is connected. */
  async waitFor(ranks: readonly number[], timeoutMs: number): Promise<void> {
    const missing = () => ranks.filter((r) => !this.#peers.has(r));
    if (missing().length === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new VmpathError(
            'E_RUNTIME_JOIN',
            `ranks ${missing().join(', ')} did not connect within ${timeoutMs / 1000} s`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (missing().length > 0) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** Sends one message: the header, then `payload` as it is (or through the ring). Resolves
   * once the bytes are with the kernel (or in the ring), after which the caller may reuse its
   * buffer. Messages to one peer leave in the order of the calls. */
  send(dest: number, header: MessageHeader, payload: ArrayBufferView): Promise<void> {
    const peer = this.#peers.get(dest);
    if (!peer)
      return Promise.reject(new VmpathError('E_TRANSPORT_CLOSED', `no connection to rank ${dest}`));
    const bytes = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const full = { ...header, size: bytes.length };
    const out = peer.out;
    if (!out || bytes.length <= INLINE_BYTES) {
      if (!peer.tail) return writeInline(peer.socket, full, bytes);
      return this.#queue(peer, () => writeInline(peer.socket, full, bytes));
    }
    return this.#queue(peer, () => writeRing(peer.socket, out, full, bytes));
  }

  #queue(peer: Peer, next: () => Promise<void>): Promise<void> {
    const sent = (peer.tail ?? Promise.resolve()).then(next);
    const tail = sent.then(
      () => {
        if (peer.tail === tail) peer.tail = null;
      },
      () => {
        if (peer.tail === tail) peer.tail = null;
      },
    );
    peer.tail = tail;
    return sent;
  }

  #createRing(peer: number): OutRing | null {
    if (!this.#rings) return null;
    return createRing(
      ringPath(this.#rings.prefix, this.rank, peer),
      this.#rings.addon,
      this.#rings.bytes,
    );
  }

  #openRing(peer: number): Buffer | null {
    if (!this.#rings) return null;
    return openRing(
      ringPath(this.#rings.prefix, peer, this.rank),
      this.#rings.addon,
      this.#rings.bytes,
    );
  }

  /** Closes every connection and the listener. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const { socket } of this.#peers.values()) socket.end();
    this.#peers.clear();
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve(),
    );
  }

  #accept(raw: Socket): void {
    const reader = new Reader();
    const { socket, inPlace } = adoptAccepted(raw, reader);
    if (!inPlace) this.#inPlace = false;
    socket.on('error', () => {});
    this.#handshake(socket, reader, (rank) => {
      if (rank <= this.rank || rank >= this.size)
        throw new VmpathError(
          'E_TRANSPORT_PROTOCOL',
          `rank ${rank} may not connect to rank ${this.rank}`,
        );
      if (this.#peers.has(rank))
        throw new VmpathError('E_TRANSPORT_PROTOCOL', `rank ${rank} is already connected`);
      // The peer made its ring before greeting; this rank makes its own before answering.
      const inbound = this.#openRing(rank);
      return { out: this.#createRing(rank), in: inbound };
    }).then(
      () => socket.write(encodeHello(this.rank, this.#token.toString('utf8'))),
      (error: Error) => {
        this.#handlers.onRejected(`${socket.remoteAddress ?? 'local'}: ${error.message}`);
        socket.destroy();
      },
    );
  }

  /** Reads the peer's greeting, checks it (and sets up the rings), then switches the socket to
   * message frames. */
  #handshake(
    socket: Socket,
    reader: Reader,
    accept: (rank: number) => { out: OutRing | null; in: Buffer | null },
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      let settled = false;
      const timer = setTimeout(
        () => fail(new VmpathError('E_TRANSPORT_PROTOCOL', 'no greeting within 10 s')),
        10_000,
      );
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reader.onBytes = () => {};
        reject(error);
      };
      reader.onBytes = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        let hello: { rank: number; length: number } | null;
        let rings: { out: OutRing | null; in: Buffer | null };
        try {
          hello = decodeHello(buffered, this.#token);
          if (!hello) return;
          rings = accept(hello.rank);
        } catch (error) {
          return fail(error as Error);
        }
        settled = true;
        clearTimeout(timer);
        this.#adopt(
          { socket, reader, out: rings.out, in: rings.in, tail: null },
          hello.rank,
          buffered.subarray(hello.length),
        );
        resolve();
      };
      socket.once('close', () =>
        fail(new VmpathError('E_TRANSPORT_PROTOCOL', 'closed during the greeting')),
      );
    });
  }

  #adopt(peer: Peer, rank: number, rest: Buffer): void {
    const { socket } = peer;
    this.#peers.set(rank, peer);
    socket.removeAllListeners('close');
    // A broken connection is reported by its writes (their promises) and its close (the peer
    // lost), never as an uncaught error event.
    socket.on('error', () => {});
    const decoder = new FrameDecoder();
    /** Bytes of the current ring message still to come, and how many came. */
    let ringLeft = 0;
    let ringDone = 0;
    /** Where the inline payload under way is bound, when it is large enough to read in place. */
    let target: Buffer | null = null;
    peer.reader.direct = () => {
      const pending = decoder.pending;
      if (!target || !pending || pending.remaining < IN_PLACE_MIN_BYTES) return null;
      return target.subarray(pending.received, pending.received + pending.remaining);
    };
    const onData = (chunk: Buffer, inPlace: boolean) => {
      try {
        if (inPlace) {
          const offset = decoder.pending?.received ?? 0;
          const last = decoder.advance(chunk.length);
          if (last) target = null;
          this.#handlers.onPayload(rank, chunk, offset, last, true);
          return;
        }
        for (const event of decoder.push(chunk)) {
          if (event.type === 'header') {
            if (event.header.source !== rank)
              throw new VmpathError(
                'E_TRANSPORT_PROTOCOL',
                `rank ${rank} sent a message claiming source ${event.header.source}`,
              );
            if (ringLeft > 0)
              throw new VmpathError(
                'E_TRANSPORT_PROTOCOL',
                `rank ${rank} began a message inside another`,
              );
            if (!event.inline) {
              if (!peer.in)
                throw new VmpathError(
                  'E_TRANSPORT_PROTOCOL',
                  `rank ${rank} sent a ring message without a ring`,
                );
              if (event.header.size === 0)
                throw new VmpathError(
                  'E_TRANSPORT_PROTOCOL',
                  `rank ${rank} sent an empty ring message`,
                );
              ringLeft = event.header.size;
              ringDone = 0;
            }
            const bound = this.#handlers.onHeader(event.header);
            target =
              event.inline && bound && bound.length >= event.header.size && event.header.size > 0
                ? bound
                : null;
          } else if (event.type === 'payload') {
            if (event.last) target = null;
            this.#handlers.onPayload(rank, event.bytes, event.offset, event.last, false);
          } else if (event.type === 'chunk') {
            const { offset, length, advance } = event.chunk;
            const ring = peer.in;
            if (!ring || length === 0 || length > ringLeft || offset + length > ring.length)
              throw new VmpathError(
                'E_TRANSPORT_PROTOCOL',
                `rank ${rank} sent a chunk outside its ring or message`,
              );
            if (advance < length || advance > ring.length)
              throw new VmpathError(
                'E_TRANSPORT_PROTOCOL',
                `rank ${rank} sent a chunk advancing ${advance} bytes`,
              );
            ringLeft -= length;
            this.#handlers.onPayload(
              rank,
              ring.subarray(offset, offset + length),
              ringDone,
              ringLeft === 0,
              false,
            );
            ringDone += length;
            socket.write(encodeCredit(advance));
          } else {
            if (!peer.out)
              throw new VmpathError(
                'E_TRANSPORT_PROTOCOL',
                `rank ${rank} sent a credit without a ring`,
              );
            peer.out.release(event.advance);
          }
        }
      } catch (error) {
        peer.reader.onBytes = () => {};
        peer.reader.direct = () => null;
        this.#handlers.onRejected(`rank ${rank}: ${(error as Error).message}`);
        socket.destroy();
      }
    };
    peer.reader.onBytes = onData;
    socket.once('close', () => {
      if (this.#peers.get(rank) === peer) this.#peers.delete(rank);
      peer.out?.break(new VmpathError('E_TRANSPORT_CLOSED', `connection to rank ${rank} closed`));
      if (!this.#closing)
        this.#handlers.onPeerLost(
          rank,
          decoder.idle && ringLeft === 0
            ? 'connection closed'
            : 'connection closed in the middle of a message',
        );
    });
    for (const wake of [...this.#waiters]) wake();
    if (rest.length > 0) onData(Buffer.from(rest), false);
  }
}

/** Writes a message's header and payload. An empty message is its header alone: the peer has
 * it whole once the header arrives, and may be gone (its barrier done, its sockets closed)
 * before a write of nothing after it, which would then fail with EPIPE. */
function writeInline(socket: Socket, header: MessageHeader, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null | undefined) =>
      error
        ? reject(
            new VmpathError('E_TRANSPORT_CLOSED', `connection closed: ${error.message}`, {
              cause: error,
            }),
          )
        : resolve();
    if (bytes.length === 0) {
      socket.write(encodeHeader(header), done);
      return;
    }
    socket.write(encodeHeader(header));
    socket.write(bytes, done);
  });
}

/** Announces the message, then copies it into the ring chunk by chunk as room frees up. */
async function writeRing(
  socket: Socket,
  ring: OutRing,
  header: MessageHeader,
  bytes: Buffer,
): Promise<void> {
  if (socket.destroyed) throw new VmpathError('E_TRANSPORT_CLOSED', 'connection closed');
  socket.write(encodeHeader(header, KIND_RING_MESSAGE));
  const most = Math.min(CHUNK_BYTES, ring.bytes.length / 4);
  for (let at = 0; at < bytes.length; ) {
    const length = Math.min(most, bytes.length - at);
    const chunk = await ring.reserve(length);
    bytes.copy(ring.bytes, chunk.offset, at, at + length);
    socket.write(encodeChunk(chunk));
    at += length;
  }
}
