/**
 * The communicator: MPI-style point-to-point messaging between the ranks of a job, over the
 * transports (tcp between vms, local inside one). Receives are matched by match.ts; payloads
 * are copied once, from the socket's chunks into the receive buffer (the caller's `into`, or a
 * buffer of the message's size). Counters of messages and bytes per destination and transport
 * become the job's communication matrix. Collectives are in collectives.ts, built on this.
 */
import { VmpathError } from '../core/errors.js';
import type { MessageHeader } from '../transport/frame.js';
import { checkRank, checkReservedTag, checkUserTag } from './checks.js';
import { ANY_SOURCE, ANY_TAG, Matcher } from './match.js';
import {
  bytesOf,
  COMPLETED,
  failedRequest,
  type Received,
  type Request,
  request,
  Settling,
  settled,
} from './requests.js';
import type { SpinPolicy } from './spin.js';

export { TAG_UB } from './checks.js';
export { bytesOf, type Received, type Request } from './requests.js';
export { ANY_SOURCE, ANY_TAG };

/** How long a spell of polling goes on once no receive is outstanding: a rank that posts its
 * next receive soon (a ping-pong, a halo exchange's next step) finds the spell still under way,
 * and pays neither its start nor the senders' doorbells. */
const IDLE_SPIN_MS = 0.2;

/** How long one turn of a polling spell looks at the shared-memory pipes before it lets the
 * event loop turn, when the rank has no peer on a socket. */
const TURN_POLL_MS = 0.02;

const EMPTY = Buffer.alloc(0);

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
  /** The receive buffer's bytes, taken once (a typed array's Buffer view costs a microsecond
   * or so to make, and a message needs it at its header and at its end). */
  readonly into: Buffer | undefined;
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

/** A rank's state of waiting (Comm.waits): what it would take for it to go on. */
export interface Waits {
  readonly receives: readonly { readonly source: number; readonly tag: number }[];
  /** Messages whose payload is still coming. */
  readonly arriving: readonly {
    readonly source: number;
    readonly tag: number;
    readonly size: number;
  }[];
  readonly unreceived: readonly {
    readonly source: number;
    readonly tag: number;
    readonly size: number;
  }[];
  /** How many of each there are (the lists hold the first WAITS_LISTED). */
  readonly totals: {
    readonly receives: number;
    readonly arriving: number;
    readonly unreceived: number;
  };
}

/** Entries of each list in Waits. */
export const WAITS_LISTED = 8;

/** What carries a message to a peer (a transport's endpoint, transport/stream.ts). */
export interface MessageSender {
  /** true: the payload was copied out, the send is complete; else when it will be. */
  send(dest: number, header: MessageHeader, payload: Buffer): true | Promise<void>;
  /** True when messages come through shared memory that the rank polls (see Progress). */
  readonly sharedMemory?: boolean;
}

/** The shared-memory pipes a busy-polling rank polls (transport/stream.ts): `poll` takes what
 * has come; `setAwake` tells the senders whether to ring for this rank (false: it sleeps, and
 * what came meanwhile is taken). */
export interface Progress {
  poll(): boolean;
  setAwake(awake: boolean): boolean;
}

export interface Route {
  readonly endpoint: MessageSender;
  readonly transport: 'tcp' | 'local';
}

/** Point-to-point operations on the runtime's own tags (below ANY_TAG), for collectives.ts:
 * no user receive, not even one with ANY_TAG, can take these messages. */
export interface ReservedTags {
  isend(data: ArrayBufferView, dest: number, tag: number): Request<void>;
  irecv(source: number, tag: number, into?: ArrayBufferView): Request<Received>;
  send(data: ArrayBufferView, dest: number, tag: number): Promise<void>;
  recv(source: number, tag: number, into?: ArrayBufferView): Promise<Received>;
}

export class Comm {
  readonly rank: number;
  readonly size: number;
  readonly #routes: ReadonlyMap<number, Route>;
  readonly #matcher = new Matcher<Posted, Incoming>();
  readonly #current = new Map<number, Incoming>();
  readonly #sequence = new Map<number, number>();
  readonly counters: PeerCounters[];
  #failure: Error | null = null;
  readonly #lost = new Map<number, Error>();
  /** Busy-polling (see #spin): how long to keep polling without news, whether polling keeps a
   * core (spin.ts; none: never poll), and the state. */
  readonly #spinMs: number;
  readonly #spinPolicy: SpinPolicy | null;
  readonly #progress: Progress | null;
  /** Peers whose messages come through polled shared memory. */
  readonly #polled = new Set<number>();
  #spinning = false;
  #outstanding = 0;
  #lastNews = 0;

  /** The runtime's own tags (collectives.ts); not for applications. */
  readonly reserved: ReservedTags;

  /** `spin`: while receives are outstanding, poll the sockets and the shared-memory pipes
   * (`progress`) for up to `microseconds` since the last arrival instead of sleeping (0: never;
   * see init.ts for the default), while polling keeps its core
   * (spin.ts). Without it, never poll. */
  constructor(
    rank: number,
    size: number,
    routes: ReadonlyMap<number, Route>,
    spin?: {
      readonly microseconds: number;
      readonly policy: SpinPolicy;
      readonly progress?: Progress;
    },
  ) {
    this.rank = rank;
    this.size = size;
    this.#routes = routes;
    const reservedTag = (tag: number) => checkReservedTag(this.rank, tag);
    this.reserved = {
      isend: (data, dest, tag) => this.#isend(data, dest, reservedTag(tag)),
      irecv: (source, tag, into) => this.#irecv(source, reservedTag(tag), into),
      send: (data, dest, tag) => settled(() => this.#isend(data, dest, reservedTag(tag)).done),
      recv: (source, tag, into) => settled(() => this.#irecv(source, reservedTag(tag), into).done),
    };
    this.#spinMs = (spin?.microseconds ?? 0) / 1000;
    this.#spinPolicy = spin?.policy ?? null;
    this.#progress = spin?.progress ?? null;
    for (const [peer, route] of routes) if (route.endpoint.sharedMemory) this.#polled.add(peer);
    this.counters = Array.from({ length: size }, (_, peer) => ({
      messages: 0,
      bytes: 0,
      transport: peer === rank ? 'self' : (routes.get(peer)?.transport ?? 'tcp'),
    }));
  }

  /** Starts sending `data` to `dest` with `tag` (0 to TAG_UB); completes when the buffer may be
   * reused. A bad rank or tag throws (E_RUNTIME_RANK, E_RUNTIME_TAG). */
  isend(data: ArrayBufferView, dest: number, tag: number): Request<void> {
    return this.#isend(data, dest, checkUserTag(this.rank, tag, false));
  }

  /** Starts a receive from `source` (or ANY_SOURCE) with `tag` (0 to TAG_UB, or ANY_TAG), into
   * `into` if given. A bad rank or tag throws (E_RUNTIME_RANK, E_RUNTIME_TAG). */
  irecv(source: number, tag: number, into?: ArrayBufferView): Request<Received> {
    return this.#irecv(source, checkUserTag(this.rank, tag, true), into);
  }

  #isend(data: ArrayBufferView, dest: number, tag: number): Request<void> {
    checkRank(this.rank, this.size, dest, 'dest');
    const bytes = bytesOf(data);
    // One number per (destination, tag), reserved tags included: no string per message.
    const key = dest * 2 ** 32 + (tag >>> 0);
    const sequence = this.#sequence.get(key) ?? 0;
    this.#sequence.set(key, sequence + 1);
    const counter = this.counters[dest] as PeerCounters;
    counter.messages++;
    counter.bytes += bytes.length;
    const failed = this.#failure ?? this.#lost.get(dest);
    if (failed) return failedRequest(failed);
    if (dest === this.rank) {
      this.#deliver({ source: this.rank, tag, sequence, size: bytes.length }, Buffer.from(bytes));
      return COMPLETED;
    }
    const route = this.#routes.get(dest) as Route;
    const sent = route.endpoint.send(
      dest,
      { source: this.rank, tag, sequence, size: bytes.length },
      bytes,
    );
    return sent === true ? COMPLETED : request(sent);
  }

  #irecv(source: number, tag: number, into?: ArrayBufferView): Request<Received> {
    if (source !== ANY_SOURCE) checkRank(this.rank, this.size, source, 'source');
    const received = new Settling<Received>();
    if (this.#failure) {
      received.reject(this.#failure);
      return received;
    }
    // Counted at once, and uncounted as it settles: a receive just completed is not
    // outstanding any more when the next thing (polling, say) asks.
    this.#outstanding++;
    const posted: Posted = {
      source,
      tag,
      into: into ? bytesOf(into) : undefined,
      resolve: (r) => {
        if (received.completed) return;
        this.#outstanding--;
        received.resolve(r);
      },
      reject: (e) => {
        if (received.completed) return;
        this.#outstanding--;
        received.reject(e);
      },
    };
    const message = this.#matcher.post(posted);
    if (!message) {
      const lost = this.#lost.get(source);
      if (lost) {
        this.#matcher.cancel(posted);
        posted.reject(lost);
      }
    } else if (message.complete) this.#complete(message, posted);
    else message.taker = posted;
    this.#spin();
    return received;
  }

  /** Polls while receives are outstanding, for up to the spin time since the last arrival,
   * instead of sleeping in the kernel until data comes: each turn of Node's event loop takes
   * what came into the shared-memory pipes (progress), and a pending setImmediate makes the loop
   * poll the sockets without waiting, which saves the wake-up. Costs a core while it lasts, like
   * MPI's progress loop, so it happens only when init.ts's rule allows it and while the policy
   * finds that polling keeps its core (spin.ts), and for IDLE_SPIN_MS more once no
   * receive is outstanding. While it lasts the pipes' senders need
   * not ring; when it ends the rank sleeps, and they ring. It pauses while a payload streams in
   * on a socket (the data keeps the loop awake anyway, and on few cores the kernel needs the
   * CPU to move it) and resumes when that message is complete. */
  #spin(): void {
    const policy = this.#spinPolicy;
    if (this.#spinMs <= 0 || this.#spinning || !policy?.allowed()) return;
    this.#spinning = true;
    this.#lastNews = performance.now();
    const progress = this.#progress;
    // A rank with peers on sockets looks at its pipes once a turn: the loop's turn is when the
    // sockets are read, and a moment spent on empty pipes is a moment added to their latency.
    const pipesOnly = progress !== null && this.#polled.size === this.#routes.size;
    progress?.setAwake(true);
    const spell = policy.begin();
    const tick = () => {
      if (pipesOnly) {
        // Look at the pipes for a moment before the loop turns (each turn costs a system call).
        const until = performance.now() + TURN_POLL_MS;
        while (!progress.poll() && performance.now() < until);
      } else if (progress && this.#polled.size > 0) progress.poll(); // sockets wait for the turn
      const quiet = performance.now() - this.#lastNews;
      if (
        (this.#outstanding === 0 && quiet > IDLE_SPIN_MS) ||
        this.#streaming() ||
        this.#failure ||
        quiet > this.#spinMs ||
        !policy.keep(spell)
      ) {
        this.#spinning = false;
        policy.end(spell);
        progress?.setAwake(false);
        return;
      }
      setImmediate(tick);
    };
    setImmediate(tick);
  }

  /** A message under way on a socket (not through a polled pipe). */
  #streaming(): boolean {
    for (const source of this.#current.keys()) if (!this.#polled.has(source)) return true;
    return false;
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
    return settled(() => this.isend(data, dest, tag).done);
  }

  recv(source: number, tag: number, into?: ArrayBufferView): Promise<Received> {
    return settled(() => this.irecv(source, tag, into).done);
  }

  /** Sends and receives at once (no deadlock when every rank does it). Both tags are checked
   * before either operation starts. */
  async sendrecv(
    data: ArrayBufferView,
    dest: number,
    sendTag: number,
    source: number,
    recvTag: number,
    into?: ArrayBufferView,
  ): Promise<Received> {
    checkUserTag(this.rank, sendTag, false);
    checkRank(this.rank, this.size, dest, 'dest');
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

  /** What this rank waits for now (a job that runs out of time says it of each rank): its
   * receives posted and not matched, messages under way, and messages no receive took. */
  get waits(): Waits {
    const message = (m: { source: number; tag: number; size: number }) => ({
      source: m.source,
      tag: m.tag,
      size: m.size,
    });
    const { posted, unexpected } = this.#matcher;
    return {
      receives: posted.slice(0, WAITS_LISTED).map((p) => ({ source: p.source, tag: p.tag })),
      arriving: [...this.#current.values()].slice(0, WAITS_LISTED).map(message),
      unreceived: unexpected.slice(0, WAITS_LISTED).map(message),
      totals: {
        receives: posted.length,
        arriving: this.#current.size,
        unreceived: unexpected.length,
      },
    };
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
      target: EMPTY,
      complete: false,
      taker: null,
      error: null,
    };
    const posted = this.#matcher.arrive(message);
    if (posted) {
      message.taker = posted;
      const into = posted.into ?? null;
      if (into && into.length < header.size) {
        message.error = this.#truncated(into.length, header);
        message.target = Buffer.allocUnsafe(header.size);
      } else message.target = into ?? Buffer.allocUnsafe(header.size);
    } else message.target = Buffer.allocUnsafe(header.size);
    return message;
  }

  #finish(message: Incoming): void {
    message.complete = true;
    if (this.#current.get(message.source) === message) this.#current.delete(message.source);
    if (message.taker) this.#complete(message, message.taker);
    if (this.#outstanding > 0 && !this.#streaming()) this.#spin();
  }

  #complete(message: Incoming, posted: Posted): void {
    if (message.error) {
      posted.reject(message.error);
      return;
    }
    const into = posted.into ?? null;
    if (into && into.length < message.size) {
      posted.reject(this.#truncated(into.length, message));
      return;
    }
    if (into && message.target !== into) message.target.copy(into, 0, 0, message.size);
    const whole = into ?? message.target;
    const data = whole.length === message.size ? whole : whole.subarray(0, message.size);
    posted.resolve({ source: message.source, tag: message.tag, size: message.size, data });
  }

  #truncated(bytes: number, message: { source: number; tag: number; size: number }): Error {
    return new VmpathError(
      'E_RUNTIME_TRUNCATE',
      `rank ${this.rank}: receive buffer of ${bytes} bytes is too small for a message of ${message.size} bytes from rank ${message.source} with tag ${message.tag}`,
      { details: { field: 'into', value: bytes, allowed: `at least ${message.size} bytes` } },
    );
  }
}
