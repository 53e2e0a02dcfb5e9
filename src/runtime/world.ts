/**
 * The object an application gets from `init()`: point-to-point and collective operations of
 * one job, plus abort and finalize. Thin: the work is in comm.ts and collectives.ts.
 */
import { VmpathError } from '../core/errors.js';
import type { StreamEndpoint } from '../transport/stream.js';
import * as coll from './collectives.js';
import type { Comm, Received, Request } from './comm.js';
import type { RendezvousClient, RendezvousServer } from './rendezvous.js';

export type ReduceOp = coll.ReduceOp;

export class World {
  readonly #comm: Comm;
  readonly #rendezvous: RendezvousClient;
  readonly #endpoints: readonly StreamEndpoint[];
  /** The rendezvous this rank hosts (rank 0 under an external launcher), closed last. */
  readonly #hosted: RendezvousServer | null;
  /** Removes this rank's files (its socket; the job folder once empty). */
  readonly #cleanup: () => void;
  #finalized = false;
  /** How the collectives choose their algorithms (collectives.ts). */
  readonly #algorithms: coll.Choice;

  constructor(
    comm: Comm,
    rendezvous: RendezvousClient,
    endpoints: readonly StreamEndpoint[],
    hosted: RendezvousServer | null = null,
    cleanup: () => void = () => {},
    algorithms: coll.Choice = {},
  ) {
    this.#algorithms = algorithms;
    this.#comm = comm;
    this.#rendezvous = rendezvous;
    this.#endpoints = endpoints;
    this.#hosted = hosted;
    this.#cleanup = cleanup;
  }

  get rank(): number {
    return this.#comm.rank;
  }

  get size(): number {
    return this.#comm.size;
  }

  isend(data: ArrayBufferView, dest: number, tag: number): Request<void> {
    return this.#comm.isend(data, dest, tag);
  }

  irecv(source: number, tag: number, into?: ArrayBufferView): Request<Received> {
    return this.#comm.irecv(source, tag, into);
  }

  wait<T>(req: Request<T>): Promise<T> {
    return this.#comm.wait(req);
  }

  waitAll<T>(reqs: readonly Request<T>[]): Promise<T[]> {
    return this.#comm.waitAll(reqs);
  }

  test<T>(req: Request<T>): boolean {
    return this.#comm.test(req);
  }

  send(data: ArrayBufferView, dest: number, tag: number): Promise<void> {
    return this.#comm.send(data, dest, tag);
  }

  recv(source: number, tag: number, into?: ArrayBufferView): Promise<Received> {
    return this.#comm.recv(source, tag, into);
  }

  sendrecv(
    data: ArrayBufferView,
    dest: number,
    sendTag: number,
    source: number,
    recvTag: number,
    into?: ArrayBufferView,
  ): Promise<Received> {
    return this.#comm.sendrecv(data, dest, sendTag, source, recvTag, into);
  }

  barrier(): Promise<void> {
    return coll.barrier(this.#comm, this.#algorithms);
  }

  bcast<T extends ArrayBufferView>(data: T, root: number): Promise<T> {
    return coll.bcast(this.#comm, data, root, this.#algorithms);
  }

  /** Element-wise over Float64Array, or over one number; the root gets the result, others null. */
  async reduce<T extends Float64Array | number>(
    value: T,
    op: ReduceOp,
    root: number,
  ): Promise<T | null> {
    const result = await coll.reduce(
      this.#comm,
      typeof value === 'number' ? Float64Array.of(value) : value,
      op,
      root,
    );
    if (!result) return null;
    return (typeof value === 'number' ? result[0] : result) as T;
  }

  async allreduce<T extends Float64Array | number>(value: T, op: ReduceOp): Promise<T> {
    const result = await coll.allreduce(
      this.#comm,
      typeof value === 'number' ? Float64Array.of(value) : value,
      op,
      this.#algorithms,
    );
    return (typeof value === 'number' ? result[0] : result) as T;
  }

  gather(data: ArrayBufferView, root: number): Promise<Buffer[] | null> {
    return coll.gather(this.#comm, data, root);
  }

  allgather(data: ArrayBufferView): Promise<Buffer[]> {
    return coll.allgather(this.#comm, data, this.#algorithms);
  }

  /** Ends the whole job: every other rank fails with this reason; this process exits with `code`. */
  abort(code: number, reason: string): never {
    this.#rendezvous.abort(code, reason);
    process.stderr.write(`rank ${this.rank}: abort(${code}): ${reason}\n`);
    process.exit(code);
  }

  /** Waits for every rank, checks that no message is left unreceived, writes this rank's row of
   * the communication matrix to the rendezvous, and closes the connections. */
  async finalize(): Promise<void> {
    if (this.#finalized) return;
    await this.barrier();
    this.#finalized = true;
    // This rank's part is done: a rank failing from now on ends the job without ending it.
    this.#rendezvous.onFailed(() => {});
    const unmatched = this.#comm.unmatched;
    this.#rendezvous.finalized(this.#comm.counters);
    await Promise.all(this.#endpoints.map((e) => e.close()));
    await this.#hosted?.allFinalized(10_000);
    this.#rendezvous.close();
    await this.#hosted?.close();
    this.#cleanup();
    if (unmatched.length > 0) {
      const list = unmatched
        .slice(0, 5)
        .map((m) => `from rank ${m.source} tag ${m.tag} (${m.size} bytes)`);
      throw new VmpathError(
        'E_RUNTIME_UNMATCHED',
        `rank ${this.rank}: finalize with ${unmatched.length} message(s) never received: ${list.join(', ')}`,
      );
    }
  }
}
