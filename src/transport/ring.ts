/**
 * Shared-memory rings for the local transport: the payload of a large message between two
 * ranks of one machine (one vm, or co-located vms with the `shm` data path) is copied into a
 * ring that both processes map, and only small records (frame.ts kinds 2 to 4) travel on the
 * Unix socket. One ring per direction of a pair, created by its sender under /dev/shm and
 * mapped by its receiver, which then unlinks the file (the mapping lives on; nothing is left
 * behind if a rank is killed later). The mapping comes from a small native addon
 * (native/shm.c); without it the local transport sends every payload inline on the socket.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { VmpathError } from '../core/errors.js';
import type { ChunkRecord } from './frame.js';

/** Bytes of each ring: a few chunks in flight while the receiver copies out. */
export const RING_BYTES = 8 * 1024 * 1024;
/** Largest piece of a message placed in the ring at once. */
export const CHUNK_BYTES = 1024 * 1024;
/** Messages up to this size go inline on the socket (read in place by the receiver); larger
 * ones through the ring. A Unix socket holds about 208 KiB (net.core.wmem_default): a message
 * near that size waits, once its sender has moved on, for both ranks to be back in their event
 * loops, while a ring message is the receiver's to copy out whenever it comes. Measured here
 * with the advection pipeline (all ranks in one vm, 2 cores): 8 ranks of 160^3 (200 KiB faces)
 * 3.1 ms a step inline against 2.5 through the ring; 16 ranks of 96^3 (72 KiB faces) 1.5-1.7
 * against 1.4-1.5. The price is in ping-pong alone: 25 against 15 us at 128 KiB. */
export const INLINE_BYTES = 64 * 1024;
/** Where the rings live: a memory-backed file system. */
export const SHM_DIR = '/dev/shm';

export interface Addon {
  map(path: string, bytes: number, create: boolean): ArrayBuffer;
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

/** The file of the ring carrying messages from rank `from` to rank `to` of one job. */
export function ringPath(prefix: string, from: number, to: number): string {
  return `${prefix}-${from}-${to}`;
}

/** The sender's side of a ring: reserves room for chunks, freed as credits come back. */
export class OutRing {
  readonly bytes: Buffer;
  /** Bytes ever reserved and ever freed; their difference is in use. */
  #head = 0;
  #freed = 0;
  #waiters: { need: () => boolean; resolve: () => void; reject: (e: Error) => void }[] = [];
  #broken: Error | null = null;

  constructor(memory: ArrayBuffer) {
    this.bytes = Buffer.from(memory);
  }

  /** Where a chunk of `length` bytes goes; waits until the receiver has freed enough room. A
   * chunk never wraps: when it would, the bytes up to the ring's end are skipped. */
  async reserve(length: number): Promise<ChunkRecord> {
    const size = this.bytes.length;
    if (length < 1 || length > size / 2)
      throw new RangeError(`chunk of ${length} bytes in a ring of ${size}`);
    const plan = () => {
      const at = this.#head % size;
      const skip = at + length > size ? size - at : 0;
      return { offset: (at + skip) % size, length, advance: skip + length };
    };
    const fits = () => this.#head - this.#freed + plan().advance <= size;
    if (this.#broken) throw this.#broken;
    if (!fits()) {
      await new Promise<void>((resolve, reject) =>
        this.#waiters.push({ need: fits, resolve, reject }),
      );
    }
    const chunk = plan();
    this.#head += chunk.advance;
    return chunk;
  }

  /** The receiver is done with `advance` more bytes. */
  release(advance: number): void {
    if (advance > this.#head - this.#freed)
      throw new VmpathError(
        'E_TRANSPORT_PROTOCOL',
        `credit for ${advance} bytes, but only ${this.#head - this.#freed} in use`,
      );
    this.#freed += advance;
    while (this.#waiters[0]?.need()) this.#waiters.shift()?.resolve();
  }

  /** The connection ended: every wait fails with `error`. */
  break(error: Error): void {
    this.#broken = error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}

/** Creates and maps the ring this rank sends into (the peer unlinks it once mapped). */
export function createRing(path: string, addon: Addon, bytes = RING_BYTES): OutRing {
  return new OutRing(addon.map(path, bytes, true));
}

/** Maps the peer's ring this rank receives from, and unlinks its file. */
export function openRing(path: string, addon: Addon, bytes = RING_BYTES): Buffer {
  const memory = addon.map(path, bytes, false);
  rmSync(path, { force: true });
  return Buffer.from(memory);
}
