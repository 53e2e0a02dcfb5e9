/**
 * Point-to-point messages over stream sockets: TCP between vms (so the testbed's data path
 * carries them) or Unix-domain sockets between ranks of one vm. One connection per pair of
 * ranks, opened by the higher rank; each side proves it holds the job token before any message
 * flows, and a peer that does not, or that sends a malformed frame, is dropped and reported
 * while the job goes on. Messages use frame.ts: a header, then the payload as the caller gave
 * it (a view, not a copy). What a message means (matching, counters) is the runtime's business.
 */
import { timingSafeEqual } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { encodeHeader, FrameDecoder, type MessageHeader } from './frame.js';

/** Where a rank listens. */
export type PeerAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'local'; readonly path: string };

export interface TransportHandlers {
  /** A message from `header.source` begins; its payload follows in `onPayload` calls. */
  onHeader(header: MessageHeader): void;
  onPayload(source: number, bytes: Buffer, offset: number, last: boolean): void;
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
    throw new Error('not a vmpath greeting');
  if (bytes.length < HELLO_FIXED) return null;
  const tokenLength = bytes.readUInt16BE(8);
  if (tokenLength === 0 || tokenLength > MAX_TOKEN_BYTES)
    throw new Error(`greeting token of ${tokenLength} bytes`);
  if (bytes.length < HELLO_FIXED + tokenLength) return null;
  const offered = bytes.subarray(HELLO_FIXED, HELLO_FIXED + tokenLength);
  if (offered.length !== token.length || !timingSafeEqual(offered, token))
    throw new Error('wrong job token');
  return { rank: bytes.readUInt32BE(4), length: HELLO_FIXED + tokenLength };
}

/** One rank's end of the job's connections. */
export class StreamEndpoint {
  readonly rank: number;
  readonly size: number;
  readonly #token: Buffer;
  readonly #handlers: TransportHandlers;
  readonly #peers = new Map<number, Socket>();
  readonly #waiters = new Set<() => void>();
  #server: Server | null = null;
  #closing = false;

  constructor(rank: number, size: number, token: string, handlers: TransportHandlers) {
    this.rank = rank;
    this.size = size;
    this.#token = Buffer.from(token, 'utf8');
    encodeHello(rank, token);
    this.#handlers = handlers;
  }

  /** Listens on a TCP address (port 0: any free port) or a Unix socket path. */
  listen(where: { host: string; port?: number } | { path: string }): Promise<PeerAddress> {
    const server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
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
      const socket =
        address.kind === 'tcp'
          ? createConnection({
              host: address.host,
              port: address.port,
              noDelay: true,
              ...(localAddress ? { localAddress } : {}),
            })
          : createConnection({ path: address.path });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.write(encodeHello(this.rank, this.#token.toString('utf8')));
        this.#handshake(socket, (rank) => {
          if (rank !== peer) throw new Error(`expected rank ${peer}, met rank ${rank}`);
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
          new Error(`ranks ${missing().join(', ')} did not connect within ${timeoutMs / 1000} s`),
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

  /** Sends one message: the header, then `payload` as it is. Resolves once the bytes are with
   * the kernel, after which the caller may reuse its buffer. */
  send(dest: number, header: MessageHeader, payload: ArrayBufferView): Promise<void> {
    const socket = this.#peers.get(dest);
    if (!socket) return Promise.reject(new Error(`no connection to rank ${dest}`));
    const bytes = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return new Promise((resolve, reject) => {
      socket.write(encodeHeader({ ...header, size: bytes.length }));
      socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Closes every connection and the listener. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const socket of this.#peers.values()) socket.end();
    this.#peers.clear();
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve(),
    );
  }

  #accept(socket: Socket): void {
    socket.on('error', () => {});
    this.#handshake(socket, (rank) => {
      if (rank <= this.rank || rank >= this.size)
        throw new Error(`rank ${rank} may not connect to rank ${this.rank}`);
      if (this.#peers.has(rank)) throw new Error(`rank ${rank} is already connected`);
    }).then(
      () => socket.write(encodeHello(this.rank, this.#token.toString('utf8'))),
      (error: Error) => {
        this.#handlers.onRejected(`${socket.remoteAddress ?? 'local'}: ${error.message}`);
        socket.destroy();
      },
    );
  }

  /** Reads the peer's greeting, checks it, then switches the socket to message frames. */
  #handshake(socket: Socket, check: (rank: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let buffered = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error('no greeting within 10 s')), 10_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.off('data', onData);
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        let hello: { rank: number; length: number } | null;
        try {
          hello = decodeHello(buffered, this.#token);
          if (!hello) return;
          check(hello.rank);
        } catch (error) {
          return fail(error as Error);
        }
        clearTimeout(timer);
        socket.off('data', onData);
        this.#adopt(socket, hello.rank, buffered.subarray(hello.length));
        resolve();
      };
      socket.on('data', onData);
      socket.once('close', () => fail(new Error('closed during the greeting')));
    });
  }

  #adopt(socket: Socket, rank: number, rest: Buffer): void {
    this.#peers.set(rank, socket);
    socket.removeAllListeners('close');
    const decoder = new FrameDecoder();
    const onData = (chunk: Buffer) => {
      try {
        for (const event of decoder.push(chunk)) {
          if (event.type === 'header') {
            if (event.header.source !== rank)
              throw new Error(`rank ${rank} sent a message claiming source ${event.header.source}`);
            this.#handlers.onHeader(event.header);
          } else this.#handlers.onPayload(rank, event.bytes, event.offset, event.last);
        }
      } catch (error) {
        this.#handlers.onRejected(`rank ${rank}: ${(error as Error).message}`);
        socket.destroy();
      }
    };
    socket.on('data', onData);
    socket.once('close', () => {
      if (this.#peers.get(rank) === socket) this.#peers.delete(rank);
      if (!this.#closing)
        this.#handlers.onPeerLost(
          rank,
          decoder.idle ? 'connection closed' : 'connection closed in the middle of a message',
        );
    });
    for (const wake of [...this.#waiters]) wake();
    if (rest.length > 0) onData(rest);
  }
}
