/**
 * Point-to-point messages over stream sockets: TCP between vms (so the testbed's data path
 * carries them) or Unix-domain sockets between ranks of one machine. One connection per pair of
 * ranks, opened by the higher rank; each side proves it holds the job token before any message
 * flows, and a peer that does not, or that sends a malformed frame, is dropped and reported
 * while the job goes on. Messages use frame.ts: a header, then the payload as the caller gave
 * it (a view, not a copy). On local connections with pipes (pipe.ts) every message goes through
 * shared memory instead, polled by a receiver that busy-polls (poll) and rung for on the socket
 * when it sleeps. What a message means (matching, counters) is the runtime's business.
 */
import type { Server, Socket } from 'node:net';
import { VmpathError } from '../core/errors.js';
import {
  BELL_DATA,
  BELL_ROOM,
  encodeBell,
  encodeHeader,
  HEADER_BYTES,
  type MessageHeader,
  writeHeader,
} from './frame.js';
import { awaitGreeting, encodeHello } from './greeting.js';
import { InboundMessages } from './inbound.js';
import { type Addon, createPipe, InPipe, OutPipe, openPipe, PIPE_BYTES, pipePath } from './pipe.js';
import { adoptAccepted, Reader } from './reader.js';
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

/** Shared-memory pipes for a local endpoint: the addon and the job's file prefix. */
export interface PipeOptions {
  readonly addon: Addon;
  /** e.g. /dev/shm/vmpath-<job>; pipe files are `<prefix>-<from>-<to>`. */
  readonly prefix: string;
  /** Bytes of each pipe's data (default PIPE_BYTES). */
  readonly bytes?: number;
}

/** A pair's mapped pipes, before the connection is adopted. */
interface Mappings {
  readonly out: ArrayBuffer | null;
  readonly in: ArrayBuffer | null;
}

interface Peer {
  readonly socket: Socket;
  readonly reader: Reader;
  /** The pipe this rank sends into and the one it receives from; null without pipes. */
  out: OutPipe | null;
  in: InPipe | null;
  /** The last send still in progress (waiting for room or for the socket): later sends queue
   * behind it. */
  tail: Promise<void> | null;
}

/** A small message's header and payload in one buffer (one write, one segment). */
const COALESCE_BYTES = 1024;

/** One rank's end of the job's connections. */
export class StreamEndpoint {
  readonly rank: number;
  readonly size: number;
  readonly #token: Buffer;
  readonly #handlers: TransportHandlers;
  readonly #pipes: PipeOptions | null;
  readonly #peers = new Map<number, Peer>();
  /** The inbound pipes, polled while the rank busy-polls. */
  readonly #inbound = new Set<InPipe>();
  #awake = false;
  readonly #header = Buffer.allocUnsafe(HEADER_BYTES);
  readonly #waiters = new Set<() => void>();
  #server: Server | null = null;
  #closing = false;
  #inPlace = true;

  constructor(
    rank: number,
    size: number,
    token: string,
    handlers: TransportHandlers,
    pipes: PipeOptions | null = null,
  ) {
    this.rank = rank;
    this.size = size;
    this.#token = Buffer.from(token, 'utf8');
    encodeHello(rank, token);
    this.#handlers = handlers;
    this.#pipes = pipes;
  }

  /** True when messages travel through shared memory. */
  get sharedMemory(): boolean {
    return this.#pipes !== null;
  }

  /** Takes what has come into the inbound pipes; true when anything had. */
  poll(): boolean {
    let any = false;
    for (const pipe of this.#inbound) if (pipe.poll()) any = true;
    return any;
  }

  /** The rank busy-polls (true) or sleeps (false): senders ring only for a sleeping rank.
   * Going to sleep takes what came meanwhile; true when anything had. */
  setAwake(awake: boolean): boolean {
    if (awake === this.#awake) return false;
    this.#awake = awake;
    let any = false;
    for (const pipe of this.#inbound) {
      if (awake) pipe.wake();
      else if (pipe.sleep()) any = true;
    }
    return any;
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
        let out: ArrayBuffer | null;
        try {
          out = this.#createPipe(peer);
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
          return { out, in: this.#openPipe(rank) };
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

  /** Sends one message: the header, then `payload` as it is (or through the pipe). Returns true
   * when the bytes were copied out at once (into the pipe, or into a frame of a small message
   * that goes on the socket), else a promise that resolves once they are with the kernel (or in
   * the pipe); after either the caller may reuse its buffer. Messages to one peer leave in the
   * order of the calls. */
  send(dest: number, header: MessageHeader, payload: ArrayBufferView): true | Promise<void> {
    const peer = this.#peers.get(dest);
    if (!peer)
      return Promise.reject(new VmpathError('E_TRANSPORT_CLOSED', `no connection to rank ${dest}`));
    const bytes = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const full = header.size === bytes.length ? header : { ...header, size: bytes.length };
    const out = peer.out;
    if (out) {
      if (!peer.tail) {
        // One header buffer for every send: the pipe copies it now, or before it waits.
        const head = this.#header;
        writeHeader(head, 0, full);
        const written = out.write(bytes.length > 0 ? [head, bytes] : [head]);
        return written === true ? true : this.#queue(peer, () => written);
      }
      return this.#queue(peer, () => writePipe(out, full, bytes));
    }
    if (!peer.tail) {
      if (
        bytes.length <= COALESCE_BYTES &&
        peer.socket.writable &&
        peer.socket.writableLength === 0
      ) {
        // Copied into its frame, which goes to the kernel at once (nothing is queued before
        // it): the caller's buffer is free (an eager send). Behind queued bytes a send waits
        // for its write, so a sender that outruns its receiver is held back. A connection that
        // breaks later is reported as the peer lost; one known to be closing fails the send.
        writeSmall(peer.socket, full, bytes);
        return true;
      }
      return writeInline(peer.socket, full, bytes);
    }
    return this.#queue(peer, () => writeInline(peer.socket, full, bytes));
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

  #createPipe(peer: number): ArrayBuffer | null {
    const pipes = this.#pipes;
    if (!pipes) return null;
    return createPipe(pipePath(pipes.prefix, this.rank, peer), pipes.addon, pipes.bytes);
  }

  #openPipe(peer: number): ArrayBuffer | null {
    const pipes = this.#pipes;
    if (!pipes) return null;
    return openPipe(
      pipePath(pipes.prefix, peer, this.rank),
      pipes.addon,
      pipes.bytes ?? PIPE_BYTES,
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
      // The peer made its pipe before greeting; this rank makes its own before answering.
      const inbound = this.#openPipe(rank);
      return { out: this.#createPipe(rank), in: inbound };
    }).then(
      () => socket.write(encodeHello(this.rank, this.#token.toString('utf8'))),
      (error: Error) => {
        this.#handlers.onRejected(`${socket.remoteAddress ?? 'local'}: ${error.message}`);
        socket.destroy();
      },
    );
  }

  /** Reads the peer's greeting, checks it (and maps the pipes), then switches the socket to
   * message frames. */
  #handshake(socket: Socket, reader: Reader, accept: (rank: number) => Mappings): Promise<void> {
    return awaitGreeting(socket, reader, this.#token, accept, (rank, pipes, rest) =>
      this.#adopt({ socket, reader, out: null, in: null, tail: null }, rank, pipes, rest),
    );
  }

  /** An established peer: its frames decoded (inbound.ts, from the socket or the pipe), its
   * loss reported. */
  #adopt(peer: Peer, rank: number, pipes: Mappings, rest: Buffer): void {
    const { socket, reader } = peer;
    this.#peers.set(rank, peer);
    // A broken connection is reported by its writes (their promises) and its close (the peer
    // lost), never as an uncaught error event.
    socket.on('error', () => {});
    const refuse = (error: unknown) => {
      reader.onBytes = () => {};
      reader.direct = () => null;
      if (peer.in) this.#inbound.delete(peer.in);
      this.#handlers.onRejected(`rank ${rank}: ${(error as Error).message}`);
      socket.destroy();
    };
    const messages = new InboundMessages(
      rank,
      { messages: true, bells: false },
      this.#delivery(rank),
    );
    const piped = pipes.in !== null && pipes.out !== null;
    if (piped) {
      peer.out = new OutPipe(pipes.out as ArrayBuffer, () => socket.write(encodeBell(BELL_DATA)));
      peer.in = new InPipe(
        pipes.in as ArrayBuffer,
        (bytes) => messages.push(bytes),
        () => socket.write(encodeBell(BELL_ROOM)),
      );
    }
    const inbound = piped ? peer.in : null;
    const onSocket = piped
      ? new InboundMessages(
          rank,
          { messages: false, bells: true },
          {
            onHeader: () => null,
            onPayload: () => {},
            onBell: (which) => {
              if (which === BELL_ROOM) peer.out?.roomMade();
              // A sleeping rank arms its bell again before it looks (the ring took it).
              else if (this.#awake) inbound?.poll();
              else inbound?.sleep();
            },
          },
        )
      : messages;
    reader.direct = () => (piped ? null : messages.direct());
    const onData = (chunk: Buffer, inPlace: boolean) => {
      try {
        if (inPlace) onSocket.pushInPlace(chunk.length, chunk);
        else onSocket.push(chunk);
      } catch (error) {
        refuse(error);
      }
    };
    reader.onBytes = onData;
    if (inbound) {
      // Polled from now on; asleep until the rank busy-polls, and what came before is taken.
      this.#inbound.add(inbound);
      const take = () => {
        try {
          if (this.#awake) {
            inbound.wake();
            inbound.poll();
          } else inbound.sleep();
        } catch (error) {
          refuse(error);
        }
      };
      take();
    }
    socket.once('close', () => {
      if (this.#peers.get(rank) === peer) this.#peers.delete(rank);
      if (inbound) {
        // What the peer put in the pipe before it went can still be received.
        try {
          inbound.poll();
        } catch {
          // a malformed end: the loss below says enough
        }
        this.#inbound.delete(inbound);
      }
      peer.out?.break(new VmpathError('E_TRANSPORT_CLOSED', `connection to rank ${rank} closed`));
      if (!this.#closing)
        this.#handlers.onPeerLost(
          rank,
          messages.idle ? 'connection closed' : 'connection closed in the middle of a message',
        );
    });
    for (const wake of [...this.#waiters]) wake();
    if (rest.length > 0) onData(Buffer.from(rest), false);
  }

  /** The handlers of a peer's messages: the transport's, with the peer's rank. */
  #delivery(rank: number) {
    return {
      onHeader: (header: MessageHeader) => this.#handlers.onHeader(header),
      onPayload: (bytes: Buffer, offset: number, last: boolean, inPlace: boolean) =>
        this.#handlers.onPayload(rank, bytes, offset, last, inPlace),
      onBell: () => {},
    };
  }
}

/** Writes a message's header and payload: a small one as one frame (one segment, one system
 * call), a large one as the header and then the caller's bytes, uncopied. An empty message is
 * its header alone: the peer has it whole once the header arrives, and may be gone (its barrier
 * done, its sockets closed) before a write of nothing after it, which would then fail with
 * EPIPE. */
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
    if (bytes.length <= COALESCE_BYTES) {
      socket.write(frameOf(header, bytes), done);
      return;
    }
    socket.write(encodeHeader(header));
    socket.write(bytes, done);
  });
}

/** A small message's header and payload in one buffer. */
function frameOf(header: MessageHeader, bytes: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + bytes.length);
  writeHeader(frame, 0, header);
  bytes.copy(frame, HEADER_BYTES);
  return frame;
}

/** Writes a small message as one frame, without waiting for the write. */
function writeSmall(socket: Socket, header: MessageHeader, bytes: Buffer): void {
  socket.write(frameOf(header, bytes));
}

/** Writes a message into a pipe, waiting for room as it must. */
async function writePipe(out: OutPipe, header: MessageHeader, bytes: Buffer): Promise<void> {
  const written = out.write(
    bytes.length > 0 ? [encodeHeader(header), bytes] : [encodeHeader(header)],
  );
  if (written !== true) await written;
}
