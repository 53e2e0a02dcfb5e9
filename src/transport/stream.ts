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
import type { Server, Socket } from 'node:net';
import { VmpathError } from '../core/errors.js';
import {
  encodeChunk,
  encodeCredit,
  encodeHeader,
  KIND_RING_MESSAGE,
  type MessageHeader,
} from './frame.js';
import { awaitGreeting, encodeHello } from './greeting.js';
import { InboundMessages } from './inbound.js';
import { adoptAccepted, Reader } from './reader.js';
import {
  type Addon,
  CHUNK_BYTES,
  createRing,
  INLINE_BYTES,
  type OutRing,
  openRing,
  ringPath,
} from './ring.js';
import { dial, listenOn, type PeerAddress } from './sockets.js';

export { decodeHello, encodeHello, MAX_TOKEN_BYTES } from './greeting.js';
export { IN_PLACE_MIN_BYTES } from './inbound.js';
export type { PeerAddress } from './sockets.js';

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

/** Shared-memory rings for a local endpoint: the addon and the job's file prefix. */
export interface RingOptions {
  readonly addon: Addon;
  /** e.g. /dev/shm/vmpath-<job>; ring files are `<prefix>-<from>-<to>`. */
  readonly prefix: string;
  readonly bytes?: number;
}

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
  async listen(where: { host: string; port?: number } | { path: string }): Promise<PeerAddress> {
    const { server, address } = await listenOn(where, (socket) => this.#accept(socket));
    this.#server = server;
    return address;
  }

  /** Opens the connection to a lower rank; `localAddress` binds TCP to this rank's own address. */
  connect(peer: number, address: PeerAddress, localAddress?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const reader = new Reader();
      const socket = dial(address, reader, localAddress);
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
    return awaitGreeting(socket, reader, this.#token, accept, (rank, rings, rest) =>
      this.#adopt({ socket, reader, out: rings.out, in: rings.in, tail: null }, rank, rest),
    );
  }

  /** An established peer: its frames decoded (inbound.ts), its loss reported. */
  #adopt(peer: Peer, rank: number, rest: Buffer): void {
    const { socket, reader } = peer;
    this.#peers.set(rank, peer);
    // A broken connection is reported by its writes (their promises) and its close (the peer
    // lost), never as an uncaught error event.
    socket.on('error', () => {});
    const inbound = new InboundMessages(rank, peer.in, peer.out !== null, {
      onHeader: (header) => this.#handlers.onHeader(header),
      onPayload: (bytes, offset, last, inPlace) =>
        this.#handlers.onPayload(rank, bytes, offset, last, inPlace),
      credit: (advance) => socket.write(encodeCredit(advance)),
      release: (advance) => peer.out?.release(advance),
    });
    reader.direct = () => inbound.direct();
    const onData = (chunk: Buffer, inPlace: boolean) => {
      try {
        if (inPlace) inbound.pushInPlace(chunk.length, chunk);
        else inbound.push(chunk);
      } catch (error) {
        reader.onBytes = () => {};
        reader.direct = () => null;
        this.#handlers.onRejected(`rank ${rank}: ${(error as Error).message}`);
        socket.destroy();
      }
    };
    reader.onBytes = onData;
    socket.once('close', () => {
      if (this.#peers.get(rank) === peer) this.#peers.delete(rank);
      peer.out?.break(new VmpathError('E_TRANSPORT_CLOSED', `connection to rank ${rank} closed`));
      if (!this.#closing)
        this.#handlers.onPeerLost(
          rank,
          inbound.idle ? 'connection closed' : 'connection closed in the middle of a message',
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
