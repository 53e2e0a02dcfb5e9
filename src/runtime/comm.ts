/**
 * The communicator: MPI-style point-to-point messaging between the ranks of a job, over the
 * transports (tcp between vms, local inside one). Receives are matched by match.ts; payloads
 * are copied once, from the socket's chunks into the receive buffer (the caller's `into`, or a
 * buffer of the message's size). Counters of messages and bytes per destination and transport
 * become the job's communication matrix. Collectives are in collectives.ts, built on this.
 */
import type { MessageHeader } from '../transport/frame.js';
import type { StreamEndpoint } from '../transport/stream.js';
import { ANY_SOURCE, ANY_TAG, Matcher } from './match.js';

export { ANY_SOURCE, ANY_TAG };

/** What a receive completes with. `data` holds exactly the message's bytes. */
export interface Received {
  readonly source: number;
  readonly tag: number;
  readonly size: number;
  readonly data: Buffer;
}

/** A nonblocking operation: `done` settles when it completes; `completed` says if it has. */
export interface Request<T> {
  readonly done: Promise<T>;
  readonly completed: boolean;
}

export type TransportName = 'tcp' | 'local' | 'self';

/** Counters for one destination. */
export interface PeerCounters {
  messages: number;
  bytes: number;
  transport: TransportName;
}

interface Posted {
  readonly source: number;
  readonly tag: number;
  readonly into: ArrayBufferView | undefined;
  resolve(r: Received): void;
  reject(e: Error): void;
}

interface Incoming {
  readonly source: number;
  readonly tag: number;
  readonly size: number;
  target: Buffer;
  complete: boolean;
  /** Set when a receive took this message before its payload had all arrived. */
  taker: Posted | null;
  /** Set when the receive's buffer is too small: the payload is read and dropped. */
  error: Error | null;
}

/** View of any typed array, DataView or Buffer as bytes, without copying. */
export function bytesOf(data: ArrayBufferView): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function request<T>(promise: Promise<T>): Request<T> {
  const state = { completed: false };
  const done = promise.then((value) => {
    state.completed = true;
    return value;
  });
  done.catch(() => {
    state.completed = true;
  });
  return {
    done,
    get completed() {
      return state.completed;
    },
  };
}

export interface Route {
  readonly endpoint: StreamEndpoint;
  readonly transport: 'tcp' | 'local';
}

export class Comm {
  readonly rank: number;
  readonly size: number;
  readonly #routes: ReadonlyMap<number, Route>;
  readonly #matcher = new Matcher<Posted, Incoming>();
  readonly #current = new Map<number, Incoming>();
  readonly #sequence = new Map<string, number>();
  readonly counters: PeerCounters[];
  #failure: Error | null = null;
  readonly #lost = new Map<number, Error>();
  /** Busy-polling (see #spin): how long to keep polling without news, and the state. */
  readonly #spinMs: number;
  #spinning = false;
  #outstanding = 0;
  #lastNews = 0;

  /** `spinUs`: while receives are outstanding, poll the sockets for up to this long since the
   * last arrival instead of sleeping (0: never; see init.ts for the default). */
  constructor(rank: number, size: number, routes: ReadonlyMap<number, Route>, spinUs = 0) {
    this.rank = rank;
    this.size = size;
    this.#routes = routes;
    this.#spinMs = spinUs / 1000;
    this.counters = Array.from({ length: size }, (_, peer) => ({
      messages: 0,
      bytes: 0,
      transport: peer === rank ? 'self' : (routes.get(peer)?.transport ?? 'tcp'),
    }));
  }

  /** Starts sending `data` to `dest` with `tag`; completes when the buffer may be reused. */
  isend(data: ArrayBufferView, dest: number, tag: number): Request<void> {
    this.#checkRank(dest, 'dest');
    this.#checkTag(tag, false);
    const bytes = bytesOf(data);
    const key = `${dest}:${tag}`;
    const sequence = this.#sequence.get(key) ?? 0;
    this.#sequence.set(key, sequence + 1);
    const counter = this.counters[dest] as PeerCounters;
    counter.messages++;
    counter.bytes += bytes.length;
    const failed = this.#failure ?? this.#lost.get(dest);
    if (failed) return request(Promise.reject(failed));
    if (dest === this.rank) {
      this.#deliver({ source: this.rank, tag, sequence, size: bytes.length }, Buffer.from(bytes));
      return request(Promise.resolve());
    }
    const route = this.#routes.get(dest) as Route;
    return request(
      route.endpoint.send(dest, { source: this.rank, tag, sequence, size: bytes.length }, bytes),
    );
  }

  /** Starts a receive from `source` (or ANY_SOURCE) with `tag` (or ANY_TAG), into `into` if given. */
  irecv(source: number, tag: number, into?: ArrayBufferView): Request<Received> {
    if (source !== ANY_SOURCE) this.#checkRank(source, 'source');
    this.#checkTag(tag, true);
    this.#outstanding++;
    const received = new Promise<Received>((resolve, reject) => {
      if (this.#failure) return reject(this.#failure);
      const posted: Posted = { source, tag, into, resolve, reject };
      const message = this.#matcher.post(posted);
      if (!message) {
        const lost = this.#lost.get(source);
        if (lost) {
          this.#matcher.cancel(posted);
          reject(lost);
        }
        return;
      }
      if (message.complete) this.#complete(message, posted);
      else message.taker = posted;
    });
    const settle = () => {
      this.#outstanding--;
    };
    received.then(settle, settle);
    this.#spin();
    return request(received);
  }

  /** Polls the sockets while receives are outstanding, for up to the spin time since the last
   * arrival, instead of sleeping in the kernel until data comes: a pending setImmediate makes
   * Node's event loop poll without waiting, which saves the wake-up (about 150 us against 25 us
   * per round trip on this machine's vms). Costs a core while it lasts, like MPI's progress
   * loop, so the launcher turns it off when ranks outnumber cores. It pauses while a payload
   * streams in (the data keeps the loop awake anyway, and on few cores the kernel needs the CPU
   * to move it) and resumes when that message is complete. */
  #spin(): void {
    if (this.#spinMs <= 0 || this.#spinning) return;
    this.#spinning = true;
    this.#lastNews = performance.now();
    const tick = () => {
      if (
        this.#outstanding === 0 ||
        this.#current.size > 0 ||
        this.#failure ||
        performance.now() - this.#lastNews > this.#spinMs
      ) {
        this.#spinning = false;
        return;
      }
      setImmediate(tick);
    };
    setImmediate(tick);
  }

  async wait<T>(req: Request<T>): Promise<T> {
    return req.done;
  }

  async waitAll<T>(reqs: readonly Request<T>[]): Promise<T[]> {
    return Promise.all(reqs.map((r) => r.done));
  }

  test<T>(req: Request<T>): boolean {
    return req.completed;
  }

  send(data: ArrayBufferView, dest: number, tag: number): Promise<void> {
    return this.isend(data, dest, tag).done;
  }

  recv(source: number, tag: number, into?: ArrayBufferView): Promise<Received> {
    return this.irecv(source, tag, into).done;
  }

  /** Sends and receives at once (no deadlock when every rank does it). */
  async sendrecv(
    data: ArrayBufferView,
    dest: number,
    sendTag: number,
    source: number,
    recvTag: number,
    into?: ArrayBufferView,
  ): Promise<Received> {
    const r = this.irecv(source, recvTag, into);
    await this.send(data, dest, sendTag);
    return r.done;
  }

  /** Fails every pending and future operation (a peer died, the job failed). */
  fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const posted of [...this.#matcher.posted]) {
      this.#matcher.cancel(posted);
      posted.reject(error);
    }
    for (const message of this.#current.values()) message.taker?.reject(error);
  }

  /** A peer's connection ended: what it sent can still be received; receives that wait for it
   * and sends to it fail with `error`. Ends of connections at finalize pass unnoticed. */
  peerLost(rank: number, error: Error): void {
    this.#lost.set(rank, error);
    for (const posted of [...this.#matcher.posted]) {
      if (posted.source !== rank) continue;
      this.#matcher.cancel(posted);
      posted.reject(error);
    }
    const partial = this.#current.get(rank);
    if (partial && !partial.complete) partial.taker?.reject(error);
  }

  get failure(): Error | null {
    return this.#failure;
  }

  /** Messages that arrived but no receive took (an error at finalize). */
  get unmatched(): readonly { source: number; tag: number; size: number }[] {
    return this.#matcher.unexpected.map((m) => ({ source: m.source, tag: m.tag, size: m.size }));
  }

  /** The transport's handlers: a message begins; its payload goes to the returned buffer (the
   * receive's `into` when one is posted), which the transport may read into in place. */
  onHeader(header: MessageHeader): Buffer {
    this.#lastNews = performance.now();
    const message = this.#begin(header);
    this.#current.set(header.source, message);
    if (header.size === 0) this.#finish(message);
    return message.target;
  }

  /** The transport's handlers: a piece of the current message from `source` (already in place
   * when the transport read it into the target). */
  onPayload(source: number, bytes: Buffer, offset: number, last: boolean, inPlace = false): void {
    const message = this.#current.get(source);
    if (!message) return;
    if (message.size > 0 && !inPlace) bytes.copy(message.target, offset);
    if (last && message.size > 0) this.#finish(message);
  }

  #deliver(header: MessageHeader, payload: Buffer): void {
    const message = this.#begin(header);
    payload.copy(message.target, 0);
    this.#finish(message);
  }

  /** Matches a new message and picks where its payload goes. */
  #begin(header: MessageHeader): Incoming {
    const message: Incoming = {
      source: header.source,
      tag: header.tag,
      size: header.size,
      target: Buffer.alloc(0),
      complete: false,
      taker: null,
      error: null,
    };
    const posted = this.#matcher.arrive(message);
    if (posted) {
      message.taker = posted;
      const into = posted.into ? bytesOf(posted.into) : null;
      if (into && into.length < header.size) {
        message.error = new RangeError(
          `rank ${this.rank}: receive buffer of ${into.length} bytes is too small for a message of ${header.size} bytes from rank ${header.source} with tag ${header.tag}`,
        );
        message.target = Buffer.allocUnsafe(header.size);
      } else message.target = into ?? Buffer.allocUnsafe(header.size);
    } else message.target = Buffer.allocUnsafe(header.size);
    return message;
  }

  #finish(message: Incoming): void {
    message.complete = true;
    if (this.#current.get(message.source) === message) this.#current.delete(message.source);
    if (message.taker) this.#complete(message, message.taker);
    if (this.#current.size === 0 && this.#outstanding > 0) this.#spin();
  }

  #complete(message: Incoming, posted: Posted): void {
    if (message.error) {
      posted.reject(message.error);
      return;
    }
    const into = posted.into ? bytesOf(posted.into) : null;
    if (into && into.length < message.size) {
      posted.reject(
        new RangeError(
          `rank ${this.rank}: receive buffer of ${into.length} bytes is too small for a message of ${message.size} bytes from rank ${message.source} with tag ${message.tag}`,
        ),
      );
      return;
    }
    if (into && message.target !== into) message.target.copy(into, 0, 0, message.size);
    const data = (into ?? message.target).subarray(0, message.size);
    posted.resolve({ source: message.source, tag: message.tag, size: message.size, data });
  }

  #checkRank(rank: number, what: string): void {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) {
      throw new RangeError(
        `${what}: got ${rank}; allowed: a rank from 0 to ${this.size - 1}${what === 'source' ? ' or ANY_SOURCE' : ''}`,
      );
    }
  }

  /** User tags are 0..2^31-1; the runtime's own are negative (collectives.ts). */
  #checkTag(tag: number, receiving: boolean): void {
    if (
      !Number.isInteger(tag) ||
      tag > 0x7fffffff ||
      tag < -0x80000000 ||
      (tag === ANY_TAG && !receiving)
    ) {
      throw new RangeError(
        `tag: got ${tag}; allowed: an integer from 0 to ${0x7fffffff}${receiving ? ' or ANY_TAG' : ''}`,
      );
    }
  }
}
