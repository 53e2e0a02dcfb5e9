/**
 * Shared-memory pipes for the local transport: between two ranks of one machine (one vm, or
 * co-located vms with the `shm` data path) every message, header and payload, travels through
 * a byte ring that both processes map, in the same frames a socket would carry (frame.ts). The
 * receiver polls the ring while it busy-polls (comm.ts): an 8-byte message then costs two
 * copies and no system call. A receiver that sleeps instead arms the ring's bell, and the
 * sender rings it with a small frame on the pair's Unix socket, which wakes the event loop; a
 * sender that finds the ring full arms the other bell and the receiver rings it once it has
 * made room. The socket also carries the greeting and tells either side when the other ends.
 *
 * One pipe per direction of a pair, created by its sender under /dev/shm and mapped by its
 * receiver, which then unlinks the file (the mapping lives on; nothing is left behind if a rank
 * is killed later). Layout: four 32-bit words, each on a cache line of its own, then the data.
 *   0   head: bytes ever written (mod 2^32), stored by the sender after the bytes
 *   64  bell: 1 while the receiver sleeps; the sender swaps it to 0 and rings
 *   128 tail: bytes ever read (mod 2^32), stored by the receiver once it has copied them out
 *   192 room: 1 while the sender waits for room; the receiver swaps it to 0 and rings
 * Sequentially consistent atomics order a store of head (or tail) against the load of the
 * other side's bell: either the receiver's last look at head sees the bytes, or the sender
 * sees the bell armed (the store-buffer case of Dekker's algorithm). The same holds for room.
 * The mapping comes from a small native addon (native/shm.c); without it the local transport
 * sends every message on the socket.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { VmpathError } from '../core/errors.js';

/** Bytes of each pipe's data (a power of two): a few large messages in flight. */
export const PIPE_BYTES = 8 * 1024 * 1024;
/** Bytes before the data: the four words on their cache lines. */
export const PIPE_HEADER_BYTES = 256;
/** Where the pipes live: a memory-backed file system. */
export const SHM_DIR = '/dev/shm';

/** Parts a waiting write copies first (a frame header fits). */
const HEADER_COPY_BYTES = 64;

const HEAD = 0;
const BELL = 16;
const TAIL = 32;
const ROOM = 48;

export interface Addon {
  map(path: string, bytes: number, create: boolean): ArrayBuffer;
  /** The calling thread's CPU milliseconds and involuntary context switches, and the CPU
   * milliseconds of all the process's threads. */
  threadUsage(): [number, number, number];
}

const ADDON_PATH = fileURLToPath(new URL('../../native/vmpath_shm.node', import.meta.url));
let addon: Addon | string | undefined;

/** The native addon, or why it cannot be used (not built, no /dev/shm). */
export function sharedMemory(): Addon | string {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    } catch (error) {
      addon = `shared memory addon unavailable (${(error as Error).message.split('\n')[0]}); build it with npm run build (needs gcc)`;
    }
  }
  return addon;
}

/** The file of the pipe carrying messages from rank `from` to rank `to` of one job. */
export function pipePath(prefix: string, from: number, to: number): string {
  return `${prefix}-${from}-${to}`;
}

function checkCapacity(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < 64 || bytes > 2 ** 30 || (bytes & (bytes - 1)) !== 0)
    throw new RangeError(`pipe of ${bytes} bytes: a power of two from 64 to 2^30`);
}

/** The words and the data of a mapped pipe. */
class Mapped {
  readonly words: Int32Array;
  readonly data: Buffer;
  readonly mask: number;

  constructor(memory: ArrayBuffer) {
    this.words = new Int32Array(memory, 0, PIPE_HEADER_BYTES / 4);
    this.data = Buffer.from(memory, PIPE_HEADER_BYTES);
    checkCapacity(this.data.length);
    this.mask = this.data.length - 1;
  }

  /** Swaps the bell at `index` to 0; true when it was armed. */
  take(index: number): boolean {
    return Atomics.load(this.words, index) === 1 && Atomics.exchange(this.words, index, 0) === 1;
  }
}

/** The sender's side: copies bytes in, publishes them, rings the receiver's bell if armed. */
export class OutPipe {
  readonly #pipe: Mapped;
  readonly #ring: () => void;
  #head = 0;
  #waiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  #broken: Error | null = null;

  /** `ring`: sends the data doorbell to the receiver (on the pair's socket). */
  constructor(memory: ArrayBuffer, ring: () => void) {
    this.#pipe = new Mapped(memory);
    this.#ring = ring;
    this.#head = Atomics.load(this.#pipe.words, HEAD) >>> 0;
  }

  get #free(): number {
    const tail = Atomics.load(this.#pipe.words, TAIL) >>> 0;
    return this.#pipe.data.length - ((this.#head - tail) >>> 0);
  }

  /** Writes every part, in order, as one run of bytes: at once when they fit (the common case:
   * returns true; the parts may be reused at once), else piece by piece as the receiver makes
   * room (returns the wait; parts up to HEADER_COPY_BYTES, a frame's header, are copied first,
   * the others must stay as they are until it resolves, as a send's buffer does). */
  write(parts: readonly Buffer[]): true | Promise<void> {
    if (this.#broken) return Promise.reject(this.#broken);
    let total = 0;
    for (const part of parts) total += part.length;
    if (total <= this.#free) {
      for (const part of parts) this.#copy(part, 0, part.length);
      this.#publish();
      return true;
    }
    return this.#stream(
      parts.map((part) => (part.length <= HEADER_COPY_BYTES ? Buffer.from(part) : part)),
    );
  }

  async #stream(parts: readonly Buffer[]): Promise<void> {
    for (const part of parts) {
      for (let at = 0; at < part.length; ) {
        const free = this.#free;
        if (free === 0) {
          await this.#room();
          continue;
        }
        const take = Math.min(free, part.length - at);
        this.#copy(part, at, take);
        this.#publish();
        at += take;
      }
    }
  }

  #copy(part: Buffer, from: number, length: number): void {
    const { data, mask } = this.#pipe;
    const at = this.#head & mask;
    const first = Math.min(length, data.length - at);
    part.copy(data, at, from, from + first);
    if (first < length) part.copy(data, 0, from + first, from + length);
    this.#head = (this.#head + length) >>> 0;
  }

  #publish(): void {
    Atomics.store(this.#pipe.words, HEAD, this.#head | 0);
    if (this.#pipe.take(BELL)) this.#ring();
  }

  /** Waits until the receiver has made room: arms the room bell, then looks once more. */
  #room(): Promise<void> {
    if (this.#broken) return Promise.reject(this.#broken);
    Atomics.store(this.#pipe.words, ROOM, 1);
    if (this.#free > 0) {
      Atomics.store(this.#pipe.words, ROOM, 0);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The receiver rang the room bell. */
  roomMade(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.resolve();
  }

  /** The connection ended: a wait for room, and every later write, fail with `error`. */
  break(error: Error): void {
    this.#broken = error;
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.reject(error);
  }
}

/** The receiver's side: hands the bytes that came to `onBytes`, then frees their room. */
export class InPipe {
  readonly #pipe: Mapped;
  readonly #onBytes: (bytes: Buffer) => void;
  readonly #ringRoom: () => void;
  #tail = 0;

  /** `onBytes` gets views of the pipe, valid only during the call; `ringRoom` sends the room
   * doorbell to the sender (on the pair's socket). */
  constructor(memory: ArrayBuffer, onBytes: (bytes: Buffer) => void, ringRoom: () => void) {
    this.#pipe = new Mapped(memory);
    this.#onBytes = onBytes;
    this.#ringRoom = ringRoom;
    this.#tail = Atomics.load(this.#pipe.words, TAIL) >>> 0;
  }

  /** Takes what has come; true when anything had. */
  poll(): boolean {
    const { words, data, mask } = this.#pipe;
    const head = Atomics.load(words, HEAD) >>> 0;
    const used = (head - this.#tail) >>> 0;
    if (used === 0) return false;
    if (used > data.length)
      throw new VmpathError('E_TRANSPORT_PROTOCOL', `pipe claims ${used} bytes in ${data.length}`);
    const at = this.#tail & mask;
    const first = Math.min(used, data.length - at);
    this.#onBytes(data.subarray(at, at + first));
    if (first < used) this.#onBytes(data.subarray(0, used - first));
    this.#tail = head;
    Atomics.store(words, TAIL, head | 0);
    if (this.#pipe.take(ROOM)) this.#ringRoom();
    return true;
  }

  /** The receiver goes to sleep: arms the bell, then takes what came before it was armed. */
  sleep(): boolean {
    Atomics.store(this.#pipe.words, BELL, 1);
    return this.poll();
  }

  /** The receiver polls: the sender need not ring. */
  wake(): void {
    Atomics.store(this.#pipe.words, BELL, 0);
  }
}

/** Creates and maps the pipe this rank sends into, its bell armed (the receiver sleeps until
 * it says otherwise); the peer unlinks it once mapped. */
export function createPipe(path: string, addon: Addon, bytes = PIPE_BYTES): ArrayBuffer {
  checkCapacity(bytes);
  const memory = addon.map(path, PIPE_HEADER_BYTES + bytes, true);
  Atomics.store(new Int32Array(memory, 0, PIPE_HEADER_BYTES / 4), BELL, 1);
  return memory;
}

/** Maps the peer's pipe this rank receives from, and unlinks its file. */
export function openPipe(path: string, addon: Addon, bytes = PIPE_BYTES): ArrayBuffer {
  checkCapacity(bytes);
  try {
    return addon.map(path, PIPE_HEADER_BYTES + bytes, false);
  } finally {
    rmSync(path, { force: true });
  }
}
